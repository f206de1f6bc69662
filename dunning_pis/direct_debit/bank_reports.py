"""What the creditor's bank reports back about a SEPA direct-debit file, read from its ISO 20022 files.

- pain.002 (Customer Payment Status Report): debits rejected before settlement (``TxSts`` RJCT), or a
  whole file or payment information block rejected (``GrpSts`` / ``PmtInfSts`` RJCT).
- camt.054 (Bank to Customer Debit Credit Notification): booked entries; a debit entry with return
  information (``RtrInf``) is a debit returned after settlement, a credit entry is a collection settled.

Each file is validated against its official ISO 20022 schema before a single value is read from it, and
every debit is identified by its end-to-end identifier, the one reference that travels unchanged from
the pain.008 file to the debtor's bank and back.
"""

import dataclasses
import enum
import functools
import threading
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
PAIN002 = "pain.002"
CAMT054 = "camt.054"
# The versions read, by namespace, with their schema file.
VERSIONS = {
    "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03": (PAIN002, "pain.002.001.03.xsd"),
    "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02": (CAMT054, "camt.054.001.02.xsd"),
    "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08": (CAMT054, "camt.054.001.08.xsd"),
}
MAX_SIZE = 50 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Return:
    """A debit the bank did not collect (rejected before settlement) or took back (returned after it)."""

    end_to_end_id: str
    reason_code: str
    date: date
    amount: Decimal = None
    settled: bool = False


@dataclasses.dataclass(frozen=True)
class Settlement:
    """A debit the bank booked on the creditor's account."""

    end_to_end_id: str
    date: date
    amount: Decimal = None


@dataclasses.dataclass(frozen=True)
class BlockRejection:
    """A whole file (``payment_information_id`` None) or one of its payment blocks rejected by the bank."""

    original_message_id: str
    payment_information_id: str
    reason_code: str
    date: date


@dataclasses.dataclass(frozen=True)
class Report:
    message: str
    message_id: str
    created_on: date
    returns: tuple = ()
    settlements: tuple = ()
    block_rejections: tuple = ()


class ReportProblem(enum.Enum):
    NOT_XML = "not_xml"
    UNKNOWN_MESSAGE = "unknown_message"
    SCHEMA_INVALID = "schema_invalid"
    TOO_LARGE = "too_large"


class ReportError(ValueError):
    def __init__(self, problem, detail=None):
        super().__init__(problem, detail)
        self.problem = problem
        self.detail = detail


_SCHEMA_LOCK = threading.Lock()


@functools.cache
def _schema(file_name):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMAS / file_name), parser))  # noqa: S320 -- shipped file


def _parse(content):
    if len(content) > MAX_SIZE:
        raise ReportError(ReportProblem.TOO_LARGE)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(content, parser)  # noqa: S320 -- no entities, no network
    except etree.XMLSyntaxError as error:
        raise ReportError(ReportProblem.NOT_XML, str(error)) from None
    if root.getroottree().docinfo.doctype:
        # ISO 20022 messages have no document type declaration; one is only ever there to define entities.
        raise ReportError(ReportProblem.NOT_XML, "DOCTYPE")
    return root


def message_of(root):
    """(message, namespace, schema file) of a parsed document, or ReportError(UNKNOWN_MESSAGE)."""
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "Document" or namespace not in VERSIONS:
        raise ReportError(ReportProblem.UNKNOWN_MESSAGE, namespace)
    return (*VERSIONS[namespace][:1], namespace, VERSIONS[namespace][1])


def read(content):
    """The Report of ``content`` (bytes): a pain.002.001.03, a camt.054.001.02 or a camt.054.001.08."""
    root = _parse(content)
    message, namespace, schema_file = message_of(root)
    with _SCHEMA_LOCK:
        schema = _schema(schema_file)
        if not schema.validate(root):
            raise ReportError(ReportProblem.SCHEMA_INVALID, str(schema.error_log.last_error))
    finder = _Finder(namespace)
    return _read_pain002(root, finder) if message == PAIN002 else _read_camt054(root, finder)


class _Finder:
    def __init__(self, namespace):
        self.ns = {"d": namespace}

    def all(self, node, path):
        return node.xpath(path, namespaces=self.ns)

    def text(self, node, path):
        found = node.xpath(path, namespaces=self.ns)
        return found[0].text.strip() if found and found[0].text else None


def _date(text):
    return date.fromisoformat(text[:10]) if text else None


def _datetime_date(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def _amount(text):
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _reason(finder, node):
    return finder.text(node, "d:StsRsnInf/d:Rsn/d:Cd") or finder.text(node, "d:StsRsnInf/d:Rsn/d:Prtry") or "NARR"


def _read_pain002(root, finder):
    report = finder.all(root, "d:CstmrPmtStsRpt")[0]
    message_id = finder.text(report, "d:GrpHdr/d:MsgId")
    created_on = _datetime_date(finder.text(report, "d:GrpHdr/d:CreDtTm"))
    group = finder.all(report, "d:OrgnlGrpInfAndSts")[0]
    original_message_id = finder.text(group, "d:OrgnlMsgId")
    blocks, returns = [], []
    if finder.text(group, "d:GrpSts") == "RJCT":
        blocks.append(BlockRejection(original_message_id, None, _reason(finder, group), created_on))
    for payment in finder.all(report, "d:OrgnlPmtInfAndSts"):
        if finder.text(payment, "d:PmtInfSts") == "RJCT":
            blocks.append(BlockRejection(original_message_id, finder.text(payment, "d:OrgnlPmtInfId"),
                                         _reason(finder, payment), created_on))
        for transaction in finder.all(payment, "d:TxInfAndSts"):
            if finder.text(transaction, "d:TxSts") != "RJCT":
                continue
            returns.append(Return(
                end_to_end_id=finder.text(transaction, "d:OrgnlEndToEndId"),
                reason_code=_reason(finder, transaction),
                date=created_on,
                amount=_amount(finder.text(transaction, "d:OrgnlTxRef/d:Amt/d:InstdAmt")),
            ))
    return Report(PAIN002, message_id, created_on, returns=tuple(returns), block_rejections=tuple(blocks))


def _entry_booked(finder, entry):
    return (finder.text(entry, "d:Sts") or finder.text(entry, "d:Sts/d:Cd")) == "BOOK"


def _read_camt054(root, finder):
    notification = finder.all(root, "d:BkToCstmrDbtCdtNtfctn")[0]
    message_id = finder.text(notification, "d:GrpHdr/d:MsgId")
    created_on = _datetime_date(finder.text(notification, "d:GrpHdr/d:CreDtTm"))
    returns, settlements = [], []
    for entry in finder.all(notification, "d:Ntfctn/d:Ntry"):
        if not _entry_booked(finder, entry):
            continue
        booked_on = _date(finder.text(entry, "d:BookgDt/d:Dt") or finder.text(entry, "d:BookgDt/d:DtTm")) \
            or created_on
        debit = finder.text(entry, "d:CdtDbtInd") == "DBIT"
        for details in finder.all(entry, "d:NtryDtls/d:TxDtls"):
            end_to_end_id = finder.text(details, "d:Refs/d:EndToEndId")
            if not end_to_end_id or end_to_end_id == "NOTPROVIDED":
                continue
            amount = _amount(finder.text(details, "d:Amt") or finder.text(details, "d:AmtDtls/d:TxAmt/d:Amt")
                             or (finder.text(entry, "d:Amt") if len(finder.all(entry, "d:NtryDtls/d:TxDtls")) == 1
                                 else None))
            reason = finder.text(details, "d:RtrInf/d:Rsn/d:Cd") or finder.text(details, "d:RtrInf/d:Rsn/d:Prtry")
            if debit and (reason or finder.all(details, "d:RtrInf")):
                returns.append(Return(end_to_end_id, reason or "NARR", booked_on, amount, settled=True))
            elif not debit:
                settlements.append(Settlement(end_to_end_id, booked_on, amount))
    return Report(CAMT054, message_id, created_on, returns=tuple(returns), settlements=tuple(settlements))
