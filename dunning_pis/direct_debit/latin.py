"""Text for SEPA files: the EPC's basic Latin character set, which every bank in SEPA must accept.

Banks may reject a file, or replace characters at will, when a name or a remittance text carries
anything else. French names are full of accents, ligatures and typographic punctuation: they are
transliterated (é → e, œ → oe, ß → ss, & → +, — → -) rather than dropped, and whatever has no Latin
equivalent becomes a space.
"""

import functools
import re
import unicodedata

# Letters and signs that Unicode does not decompose into basic Latin, and what they become.
_TRANSLITERATION = str.maketrans({
    "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ß": "ss", "ẞ": "SS",
    "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "TH", "þ": "th",
    "Ł": "L", "ł": "l", "ı": "i", "Ħ": "H", "ħ": "h",
    "&": "+", "€": "EUR", "⁄": "/", "_": "-",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'", "´": "'", "ʼ": "'",
})
_ALLOWED = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9/\-?:().,'+]+")


@functools.lru_cache(maxsize=8192)
def _transliterate(text):
    if _ALLOWED.fullmatch(text) and "  " not in text and text == text.strip():
        return text
    text = text.translate(_TRANSLITERATION)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text).translate(_TRANSLITERATION)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALLOWED.sub(" ", text).strip()


def to_sepa_latin(text, max_length=None):
    """``text`` in the EPC basic Latin set (a-z A-Z 0-9 / - ? : ( ) . , ' + and space), spaces collapsed.

    Cut to ``max_length`` characters when given; None or an empty text gives an empty string.
    """
    latin = _transliterate(text or "")
    if max_length is not None and len(latin) > max_length:
        latin = latin[:max_length].rstrip()
    return latin
