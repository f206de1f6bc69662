"""The GSM 7-bit default alphabet of SMS (3GPP TS 23.038, section 6.2.1), and how long a text is in it.

One SMS carries 160 septets in that alphabet. Characters of its extension table (section 6.2.1.1,
such as € and square brackets) take two septets, an escape and the character. A text with any other
character goes as UCS-2 instead, and then one SMS carries only 70 characters: a single "ê" in a
reminder would cost more than twice its price. A longer text is split in parts of 153 septets (or 67
UCS-2 characters), each part then paying for its concatenation header.
"""

import unicodedata

SINGLE_SMS_SEPTETS = 160
SINGLE_SMS_UCS2 = 70
PART_SEPTETS = 153
PART_UCS2 = 67

# The basic character set (table 6.2.1), without the escape to the extension table.
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table (6.2.1.1): two septets each.
EXTENSION = frozenset("\f^{}\\[~]|€")
# What a text from a form or a formatter holds that the alphabet spells otherwise.
_REPLACEMENTS = {
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "«": '"', "»": '"',
    "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u2026": "...", "œ": "oe", "Œ": "OE", "ç": "c", "`": "'",
}


def septets(text):
    """The length of ``text`` in septets, or None when it has a character outside the GSM alphabet."""
    length = 0
    for char in text:
        if char in BASIC:
            length += 1
        elif char in EXTENSION:
            length += 2
        else:
            return None
    return length


def parts(text):
    """How many SMS ``text`` takes."""
    length = septets(text)
    if length is None:
        single, part, length = SINGLE_SMS_UCS2, PART_UCS2, len(text.encode("utf-16-le")) // 2
    else:
        single, part = SINGLE_SMS_SEPTETS, PART_SEPTETS
    return 1 if length <= single else -(-length // part)


def fits_one_sms(text):
    return parts(text) == 1


def to_gsm7(text):
    """``text`` in the GSM alphabet: typographic spaces, quotes and dashes made plain, letters outside
    the alphabet (ê, â, ç...) without their accent, anything else left out as a question mark."""
    return "".join(_plain(_REPLACEMENTS.get(char, char)) for char in text)


def _plain(text):
    if septets(text) is not None:
        return text
    base = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return base if base and septets(base) is not None else "?"
