"""Bank account numbers: what a SEPA credit transfer may be sent to."""

import re


def normalize_iban(text):
    return re.sub(r"\s+", "", text or "").upper()


def is_valid_iban(text):
    """ISO 13616: two letters, two check digits, up to 30 alphanumerics, and the mod-97 check equal to 1."""
    iban = normalize_iban(text)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1
