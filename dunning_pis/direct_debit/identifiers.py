"""The identifiers of a SEPA direct debit: accounts, banks, the creditor, the mandate and the references.

A file with one wrong identifier is rejected by the bank as a whole, days later; checking them when
they are typed in, and again before a file is built, tells the user at once which one is wrong.
"""

import importlib.machinery
import re

import stdnum

# Odoo's monkey-patching import hook gives the stdnum package a loader without a resource reader, and
# stdnum.iban reads its registry of national formats as a package resource on import: give the package
# its plain file loader back first.
if not hasattr(stdnum.__spec__.loader, "get_resource_reader"):
    stdnum.__spec__.loader = importlib.machinery.SourceFileLoader(stdnum.__name__, stdnum.__file__)

from stdnum import bic, iban
from stdnum.iso7064 import mod_97_10

from .latin import to_sepa_latin

MAX_REFERENCE_LENGTH = 35

# EPC implementation guidelines: references and identifiers use the Latin set without spaces, and
# must not start or end with a slash nor contain two slashes in a row.
_REFERENCE = re.compile(r"[A-Za-z0-9/\-?:().,'+]{1,35}")
_CREDITOR_IDENTIFIER = re.compile(r"([A-Z]{2})([0-9]{2})[A-Z0-9]{3}([A-Z0-9]{1,28})")


def normalize_iban(text):
    return iban.compact(text or "")


def is_valid_iban(text):
    """ISO 13616: the mod-97 check, and the length and layout of the country's account numbers.

    python-stdnum's national checks are left out: the Belgian one also wants the bank in its own list
    of banks, which lags behind (it refuses the Belgian IBAN of the ISO 13616 examples), and the user
    could do nothing about it. The mod-97 check already catches any one wrong or swapped character.
    """
    return bool(text) and iban.is_valid(text, check_country=False)


def normalize_bic(text):
    return bic.compact(text or "")


def is_valid_bic(text):
    """ISO 9362: 8 or 11 characters, the bank, its country, its location, and an optional branch."""
    return bool(text) and bic.is_valid(text)


def normalize_creditor_identifier(text):
    return re.sub(r"[\s-]+", "", text or "").upper()


def is_valid_creditor_identifier(text):
    """The SEPA Creditor Identifier: country, check digits, a business code, then the national identifier.

    The check digits are ISO 7064 mod 97-10 over the national identifier followed by the country; the
    business code (``ZZZ`` by default) is free and left out of the check.
    """
    match = _CREDITOR_IDENTIFIER.fullmatch(normalize_creditor_identifier(text))
    if match is None:
        return False
    country, check_digits, national = match.groups()
    return mod_97_10.is_valid(national + country + check_digits)


def is_valid_reference(text):
    """Whether ``text`` may be a message, payment, end-to-end or mandate reference as it is."""
    return bool(text) and _REFERENCE.fullmatch(text) is not None and "//" not in text and not (
        text.startswith("/") or text.endswith("/")
    )


def mandate_reference(prefix, number):
    """A mandate reference (the French RUM) from a prefix and the mandate's number: ``RUM-000042``.

    Mandate references are compared without regard to case, so they are made upper case; the prefix
    is reduced to the characters allowed and shortened to leave the number whole within 35 characters.
    """
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ValueError(number)
    digits = f"{number:06d}"
    if len(digits) > MAX_REFERENCE_LENGTH:
        raise ValueError(number)
    cleaned = re.sub(r"/{2,}", "/", to_sepa_latin(prefix).replace(" ", "-").upper()).strip("/")
    return cleaned[: MAX_REFERENCE_LENGTH - len(digits)].rstrip("/") + digits
