"""Which bank holds an account: the national bank code inside an IBAN.

An IBAN is the country, two check digits and the national account number (BBAN), which starts with
(or, in Italy and San Marino, follows one check character with) the code of the bank that holds it.
The positions below are those of the SWIFT IBAN Registry ("Bank identifier position within the
BBAN") for the SEPA countries whose banks a French business's customers most often use.
"""

# Country: (first character of the bank code in the IBAN, its length).
BANK_CODE_POSITIONS = {
    "AT": (4, 5), "BE": (4, 3), "CH": (4, 5), "CY": (4, 3), "DE": (4, 8), "EE": (4, 2), "ES": (4, 4),
    "FI": (4, 3), "FR": (4, 5), "GR": (4, 3), "HR": (4, 7), "IE": (4, 4), "IT": (5, 5), "LT": (4, 5),
    "LU": (4, 3), "LV": (4, 4), "MC": (4, 5), "MT": (4, 4), "NL": (4, 4), "PT": (4, 4), "SI": (4, 5),
    "SK": (4, 4), "SM": (5, 5), "PL": (4, 8), "GB": (4, 4), "DK": (4, 4), "SE": (4, 3), "NO": (4, 4),
}


def bank_of(iban):
    """(country, national bank code) of an IBAN already checked (``direct_debit.identifiers``), or
    (country, None) where the layout of its country's account numbers is not known here."""
    compact = "".join((iban or "").split()).upper()
    country = compact[:2]
    start, length = BANK_CODE_POSITIONS.get(country, (None, None))
    return country, (compact[start:start + length] if start else None)


def normalize_bank_codes(text):
    """The bank codes of a directory entry, typed with commas, spaces or new lines: upper case, unique."""
    codes = []
    for typed in (text or "").replace(",", " ").split():
        code = typed.upper()
        if code not in codes:
            codes.append(code)
    return codes
