"""SEPA Core direct-debit files: ISO 20022 pain.008.001.08, as the EPC rulebooks require them.

The bank takes or refuses a file as a whole, and says why days later, in a status report few users
can read. So everything the rulebook and the schema ask is checked before building, each problem
with the debit it concerns, and the document built is validated against the schema before it is
returned: a file that leaves here is one the bank can read.

Rules followed beyond the schema: text in the EPC basic Latin set and within the EPC's lengths; one
payment information block per sequence type and collection date; postal addresses structured (the
2025 rulebooks refuse unstructured ones from November 2026), with at most two address lines beside
the town and country; the debtor's BIC and address when the debtor's bank is outside the EEA.
"""

import dataclasses
import enum
import functools
import importlib.util
import threading
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from .identifiers import (
    is_valid_bic,
    is_valid_creditor_identifier,
    is_valid_iban,
    is_valid_reference,
    normalize_bic,
    normalize_creditor_identifier,
    normalize_iban,
)
from .latin import to_sepa_latin

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"
SCHEMA_FILE = "pain.008.001.08.xsd"
SEQUENCE_TYPES = ("FRST", "RCUR", "FNAL", "OOFF")
NOT_PROVIDED = "NOTPROVIDED"
MAX_AMOUNT = Decimal("999999999.99")
NAME_LENGTH = 70
REMITTANCE_LENGTH = 140
MAX_ADDRESS_LINES = 2

# The countries of the European Economic Area: a debtor's bank elsewhere in SEPA (Switzerland, the
# United Kingdom, Monaco, ...) needs the debtor's BIC and postal address in the file.
EEA_COUNTRIES = frozenset((
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT",
    "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
))


@dataclasses.dataclass(frozen=True, kw_only=True)
class PostalAddress:
    """A structured address; up to two ``address_lines`` may complete it (the hybrid form)."""

    street: str = None
    building_number: str = None
    postal_code: str = None
    town: str = None
    country: str = None
    address_lines: tuple = ()


@dataclasses.dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_identifier: str
    address: PostalAddress = None


@dataclasses.dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount: Decimal
    mandate_id: str
    mandate_signature_date: date
    sequence_type: str
    collection_date: date
    debtor_name: str
    debtor_iban: str
    debtor_bic: str = None
    debtor_address: PostalAddress = None
    remittance_information: str = ""


@dataclasses.dataclass(frozen=True)
class Batch:
    message_id: str
    created_at: datetime
    creditor: Creditor
    debits: tuple
    currency: str = "EUR"


class DebitProblem(enum.Enum):
    EMPTY_BATCH = "empty_batch"
    NOT_EUR = "not_eur"
    INVALID_REFERENCE = "invalid_reference"
    DUPLICATE_REFERENCE = "duplicate_reference"
    MISSING_NAME = "missing_name"
    INVALID_IBAN = "invalid_iban"
    INVALID_BIC = "invalid_bic"
    MISSING_BIC = "missing_bic"
    MISSING_CREDITOR_IDENTIFIER = "missing_creditor_identifier"
    INVALID_CREDITOR_IDENTIFIER = "invalid_creditor_identifier"
    NOT_POSITIVE = "not_positive"
    INVALID_AMOUNT = "invalid_amount"
    BAD_SEQUENCE_TYPE = "bad_sequence_type"
    MISSING_SIGNATURE_DATE = "missing_signature_date"
    COLLECTION_DATE_PAST = "collection_date_past"
    ADDRESS_NOT_STRUCTURED = "address_not_structured"
    ADDRESS_TOO_MANY_LINES = "address_too_many_lines"
    INVALID_COUNTRY = "invalid_country"
    ADDRESS_REQUIRED = "address_required"
    SCHEMA_INVALID = "schema_invalid"


class DirectDebitError(ValueError):
    """A file that cannot be built.

    ``item`` is the end-to-end id of the offending debit, or None when the batch or its creditor is at
    fault; ``detail`` is the schema validator's message for SCHEMA_INVALID.
    """

    def __init__(self, problem, item=None, detail=None):
        super().__init__(problem, item, detail)
        self.problem = problem
        self.item = item
        self.detail = detail


def _amount(value):
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None


def _address_problem(address):
    if address is None:
        return None
    if not to_sepa_latin(address.town, 35) or not (address.country or "").strip():
        return DebitProblem.ADDRESS_NOT_STRUCTURED
    country = address.country.strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        return DebitProblem.INVALID_COUNTRY
    if len([line for line in address.address_lines if to_sepa_latin(line)]) > MAX_ADDRESS_LINES:
        return DebitProblem.ADDRESS_TOO_MANY_LINES
    return None


def _creditor_problems(creditor):
    found = []
    if not to_sepa_latin(creditor.name, NAME_LENGTH):
        found.append(DebitProblem.MISSING_NAME)
    if not is_valid_iban(creditor.iban):
        found.append(DebitProblem.INVALID_IBAN)
    if creditor.bic and not is_valid_bic(creditor.bic):
        found.append(DebitProblem.INVALID_BIC)
    if not (creditor.creditor_identifier or "").strip():
        found.append(DebitProblem.MISSING_CREDITOR_IDENTIFIER)
    elif not is_valid_creditor_identifier(creditor.creditor_identifier):
        found.append(DebitProblem.INVALID_CREDITOR_IDENTIFIER)
    address = _address_problem(creditor.address)
    return found + ([address] if address else [])


def _debit_problems(debit, created_on):
    found = []
    if not is_valid_reference(debit.end_to_end_id) or not is_valid_reference(debit.mandate_id):
        found.append(DebitProblem.INVALID_REFERENCE)
    amount = _amount(debit.amount)
    if amount is None or not amount.is_finite() or amount <= 0:
        found.append(DebitProblem.NOT_POSITIVE)
    elif amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        found.append(DebitProblem.INVALID_AMOUNT)
    if debit.sequence_type not in SEQUENCE_TYPES:
        found.append(DebitProblem.BAD_SEQUENCE_TYPE)
    if debit.mandate_signature_date is None:
        found.append(DebitProblem.MISSING_SIGNATURE_DATE)
    if debit.collection_date < created_on:
        found.append(DebitProblem.COLLECTION_DATE_PAST)
    if not to_sepa_latin(debit.debtor_name, NAME_LENGTH):
        found.append(DebitProblem.MISSING_NAME)
    valid_iban = is_valid_iban(debit.debtor_iban)
    if not valid_iban:
        found.append(DebitProblem.INVALID_IBAN)
    if debit.debtor_bic and not is_valid_bic(debit.debtor_bic):
        found.append(DebitProblem.INVALID_BIC)
    outside_eea = valid_iban and normalize_iban(debit.debtor_iban)[:2] not in EEA_COUNTRIES
    if outside_eea and not debit.debtor_bic:
        found.append(DebitProblem.MISSING_BIC)
    if outside_eea and debit.debtor_address is None:
        found.append(DebitProblem.ADDRESS_REQUIRED)
    address = _address_problem(debit.debtor_address)
    return found + ([address] if address else [])


def problems(batch):
    """Everything that keeps ``batch`` from making a valid file: [(DebitProblem, end-to-end id or None)]."""
    found = []
    if (batch.currency or "").upper() != "EUR":
        found.append((DebitProblem.NOT_EUR, None))
    if not batch.debits:
        found.append((DebitProblem.EMPTY_BATCH, None))
    if not is_valid_reference(batch.message_id):
        found.append((DebitProblem.INVALID_REFERENCE, None))
    found += [(problem, None) for problem in _creditor_problems(batch.creditor)]
    seen = set()
    for debit in batch.debits:
        found += [(problem, debit.end_to_end_id) for problem in _debit_problems(debit, batch.created_at.date())]
        if debit.end_to_end_id in seen:
            found.append((DebitProblem.DUPLICATE_REFERENCE, debit.end_to_end_id))
        seen.add(debit.end_to_end_id)
    return found


# Building ---------------------------------------------------------------------------------------


class _Tags(dict):
    def __missing__(self, name):
        self[name] = tag = f"{{{NAMESPACE}}}{name}"
        return tag


_TAGS = _Tags()


def _sub(parent, name, text=None):
    element = etree.SubElement(parent, _TAGS[name])
    if text is not None:
        element.text = text
    return element


def _path(parent, names, text):
    """Nested elements ``names[0]/names[1]/...`` under ``parent``, the last one holding ``text``."""
    for name in names:
        parent = _sub(parent, name)
    parent.text = text
    return parent


def _postal_address(parent, address):
    node = _sub(parent, "PstlAdr")
    for name, value, length in (
        ("StrtNm", address.street, 70),
        ("BldgNb", address.building_number, 16),
        ("PstCd", address.postal_code, 16),
        ("TwnNm", address.town, 35),
    ):
        text = to_sepa_latin(value, length)
        if text:
            _sub(node, name, text)
    _sub(node, "Ctry", address.country.strip().upper())
    for line in address.address_lines:
        text = to_sepa_latin(line, 70)
        if text:
            _sub(node, "AdrLine", text)


def _party(parent, name, party_name, address):
    node = _sub(parent, name)
    _sub(node, "Nm", to_sepa_latin(party_name, NAME_LENGTH))
    if address is not None:
        _postal_address(node, address)


def _agent(parent, name, bic):
    institution = _sub(_sub(parent, name), "FinInstnId")
    if bic:
        _sub(institution, "BICFI", normalize_bic(bic))
    else:
        _path(institution, ("Othr", "Id"), NOT_PROVIDED)


def _account(parent, name, iban):
    _path(parent, (name, "Id", "IBAN"), normalize_iban(iban))


def _money(amount):
    return f"{amount:.2f}"


def _payment_information_id(message_id, index):
    suffix = f"-{index}"
    return message_id[: 35 - len(suffix)] + suffix


def _groups(debits):
    """Debits by (collection date, sequence type), in date then sequence order, each in the given order."""
    groups = {}
    for debit in debits:
        groups.setdefault((debit.collection_date, SEQUENCE_TYPES.index(debit.sequence_type)), []).append(debit)
    return [(SEQUENCE_TYPES[sequence], day, groups[day, sequence]) for day, sequence in sorted(groups)]


def _transaction(parent, debit, currency):
    node = _sub(parent, "DrctDbtTxInf")
    _path(node, ("PmtId", "EndToEndId"), debit.end_to_end_id)
    _sub(node, "InstdAmt", _money(_amount(debit.amount))).set("Ccy", currency)
    mandate = _sub(_sub(node, "DrctDbtTx"), "MndtRltdInf")
    _sub(mandate, "MndtId", debit.mandate_id)
    _sub(mandate, "DtOfSgntr", debit.mandate_signature_date.isoformat())
    _agent(node, "DbtrAgt", debit.debtor_bic)
    _party(node, "Dbtr", debit.debtor_name, debit.debtor_address)
    _account(node, "DbtrAcct", debit.debtor_iban)
    remittance = to_sepa_latin(debit.remittance_information, REMITTANCE_LENGTH)
    if remittance:
        _path(node, ("RmtInf", "Ustrd"), remittance)


def _payment_information(parent, batch, index, sequence_type, collection_date, debits):
    creditor, currency = batch.creditor, batch.currency.upper()
    node = _sub(parent, "PmtInf")
    _sub(node, "PmtInfId", _payment_information_id(batch.message_id, index))
    _sub(node, "PmtMtd", "DD")
    _sub(node, "BtchBookg", "true")
    _sub(node, "NbOfTxs", str(len(debits)))
    _sub(node, "CtrlSum", _money(sum((_amount(debit.amount) for debit in debits), Decimal(0))))
    payment_type = _sub(node, "PmtTpInf")
    _path(payment_type, ("SvcLvl", "Cd"), "SEPA")
    _path(payment_type, ("LclInstrm", "Cd"), "CORE")
    _sub(payment_type, "SeqTp", sequence_type)
    _sub(node, "ReqdColltnDt", collection_date.isoformat())
    _party(node, "Cdtr", creditor.name, creditor.address)
    _account(node, "CdtrAcct", creditor.iban)
    _agent(node, "CdtrAgt", creditor.bic)
    _sub(node, "ChrgBr", "SLEV")
    other = _path(_sub(node, "CdtrSchmeId"), ("Id", "PrvtId", "Othr", "Id"),
                  normalize_creditor_identifier(creditor.creditor_identifier)).getparent()
    _path(other, ("SchmeNm", "Prtry"), "SEPA")
    for debit in debits:
        _transaction(node, debit, currency)


def document(batch):
    """The pain.008 document of ``batch`` as an lxml element, unchecked: ``build`` is the way in."""
    root = etree.Element(_TAGS["Document"], nsmap={None: NAMESPACE})
    initiation = _sub(root, "CstmrDrctDbtInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", batch.message_id)
    _sub(header, "CreDtTm", batch.created_at.replace(microsecond=0).isoformat())
    _sub(header, "NbOfTxs", str(len(batch.debits)))
    _sub(header, "CtrlSum", _money(sum((_amount(debit.amount) for debit in batch.debits), Decimal(0))))
    _path(header, ("InitgPty", "Nm"), to_sepa_latin(batch.creditor.name, NAME_LENGTH))
    for index, (sequence_type, collection_date, debits) in enumerate(_groups(batch.debits), start=1):
        _payment_information(initiation, batch, index, sequence_type, collection_date, debits)
    return root


# Schema validation ------------------------------------------------------------------------------

# libxml2 keeps a validation's errors on the schema object: one validation at a time.
_SCHEMA_LOCK = threading.Lock()


@functools.cache
def _schema():
    """The XSD shipped with sepaxml, parsed once (sepaxml itself is not imported)."""
    package = Path(importlib.util.find_spec("sepaxml").origin).parent
    return etree.XMLSchema(etree.parse(str(package / "schemas" / SCHEMA_FILE)))  # noqa: S320 -- installed package


def validate(document):
    """Raise DirectDebitError(SCHEMA_INVALID) unless ``document`` (bytes or lxml tree) is a valid pain.008.001.08."""
    if isinstance(document, bytes):
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            document = etree.fromstring(document, parser)  # noqa: S320 -- no entities, no network
        except etree.XMLSyntaxError as error:
            raise DirectDebitError(DebitProblem.SCHEMA_INVALID, detail=str(error)) from None
    with _SCHEMA_LOCK:
        schema = _schema()
        if schema.validate(document):
            return
        detail = str(schema.error_log.last_error)
    raise DirectDebitError(DebitProblem.SCHEMA_INVALID, detail=detail)


def build(batch):
    """The pain.008.001.08 file of ``batch``, as UTF-8 bytes with an XML declaration.

    Raises DirectDebitError with the first problem found (see ``problems`` for all of them), or with
    SCHEMA_INVALID if the document built does not pass the schema.
    """
    found = problems(batch)
    if found:
        raise DirectDebitError(*found[0])
    root = document(batch)
    validate(root)
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
