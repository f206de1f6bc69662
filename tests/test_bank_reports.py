"""Reading the bank's reports on a direct-debit file: pain.002 rejects and camt.054 returns and settlements.

The sample files (dunning_pis/tests/data) are written from banks' implementation guides (cited in each
file); each filled-in sample is first checked against the official ISO 20022 schema independently of
the reader, so a test cannot pass on a file no bank would send.
"""

import string
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from direct_debit import bank_reports, reason_codes
from direct_debit.bank_reports import ReportError, ReportProblem
from lxml import etree

ADDON = Path(__file__).resolve().parent.parent / "dunning_pis"
DATA = ADDON / "tests" / "data"
VALUES = {
    "report_id": "20261202001", "created_at": "2026-12-02T08:15:00", "message_id": "PRLV-2026-0007",
    "count": "3", "collection_date": "2026-11-30", "creditor_iban": "FR7630006000011234567890189",
    "e2e_1": "PRLV-2026-0007-41", "e2e_2": "PRLV-2026-0007-42", "amount_1": "300.00", "amount_2": "150.50",
    "reason_1": "AM04", "reason_2": "MD01", "sequence_1": "FRST", "mandate_1": "RUM-2026-000001",
    "mandate_2": "RUM-2026-000002", "debtor_1": "Boulangerie Test SARL", "debtor_2": "Jean Client",
    "iban_1": "FR7630004000031234567890143", "iban_2": "DE89370400440532013000", "total": "450.50",
    "booked_on": "2026-12-04", "settled_on": "2026-11-30", "returned_on": "2026-12-07",
}


def sample(name, **changes):
    return string.Template((DATA / name).read_text()).substitute({**VALUES, **changes}).encode()


def official_schema(file_name):
    """The ISO 20022 XSD, parsed here on its own (not through the reader)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(ADDON / "direct_debit" / "schemas" / file_name), parser))  # noqa: S320


@pytest.mark.parametrize(("name", "xsd"), [
    ("pain002_rejects.xml", "pain.002.001.03.xsd"),
    ("camt054_returns_v02.xml", "camt.054.001.02.xsd"),
    ("camt054_settled_and_returned_v08.xml", "camt.054.001.08.xsd"),
])
def test_the_samples_are_valid_against_the_official_schemas(name, xsd):
    schema = official_schema(xsd)
    document = etree.fromstring(sample(name))  # noqa: S320 -- our own sample
    assert schema.validate(document), schema.error_log


def test_a_pain002_gives_each_rejected_debit_with_its_reason():
    report = bank_reports.read(sample("pain002_rejects.xml"))
    assert (report.message, report.message_id, report.created_on) == ("pain.002", "STS-20261202001",
                                                                       date(2026, 12, 2))
    assert report.returns == (
        bank_reports.Return("PRLV-2026-0007-41", "AM04", date(2026, 12, 2), Decimal("300.00"), settled=False),
        bank_reports.Return("PRLV-2026-0007-42", "MD01", date(2026, 12, 2), Decimal("150.50"), settled=False),
    )
    assert report.block_rejections == () and report.settlements == ()


def test_a_pain002_rejecting_the_whole_file_says_so():
    content = sample("pain002_rejects.xml").replace(b"<GrpSts>PART</GrpSts>", b"<GrpSts>RJCT</GrpSts>"
                                                    b"<StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf>")
    report = bank_reports.read(content)
    assert report.block_rejections == (
        bank_reports.BlockRejection("PRLV-2026-0007", None, "FF01", date(2026, 12, 2)),)


def test_accepted_transactions_of_a_pain002_are_not_returns():
    content = sample("pain002_rejects.xml").replace(b"<TxSts>RJCT</TxSts>", b"<TxSts>ACCP</TxSts>", 1)
    assert [item.end_to_end_id for item in bank_reports.read(content).returns] == ["PRLV-2026-0007-42"]


def test_a_camt054_v02_gives_the_returns_on_their_booking_date():
    report = bank_reports.read(sample("camt054_returns_v02.xml"))
    assert report.message == "camt.054"
    assert report.returns == (
        bank_reports.Return("PRLV-2026-0007-41", "AM04", date(2026, 12, 4), Decimal("300.00"), settled=True),
        bank_reports.Return("PRLV-2026-0007-42", "MD01", date(2026, 12, 4), Decimal("150.50"), settled=True),
    )


def test_a_camt054_v08_gives_settlements_and_returns():
    report = bank_reports.read(sample("camt054_settled_and_returned_v08.xml", reason_2="MD06"))
    assert report.settlements == (
        bank_reports.Settlement("PRLV-2026-0007-41", date(2026, 11, 30), Decimal("300.00")),
        bank_reports.Settlement("PRLV-2026-0007-42", date(2026, 11, 30), Decimal("150.50")),
    )
    assert report.returns == (
        bank_reports.Return("PRLV-2026-0007-42", "MD06", date(2026, 12, 7), Decimal("150.50"), settled=True),)


def test_pending_entries_are_not_read():
    content = sample("camt054_settled_and_returned_v08.xml").replace(b"<Cd>BOOK</Cd>", b"<Cd>PDNG</Cd>")
    report = bank_reports.read(content)
    assert (report.settlements, report.returns) == ((), ())


@pytest.mark.parametrize(("content", "problem"), [
    (b"not xml at all", ReportProblem.NOT_XML),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"/>', ReportProblem.UNKNOWN_MESSAGE),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', ReportProblem.UNKNOWN_MESSAGE),
])
def test_what_is_no_report_is_refused(content, problem):
    with pytest.raises(ReportError) as error:
        bank_reports.read(content)
    assert error.value.problem is problem


def test_a_report_the_schema_refuses_is_refused_with_the_schema_message():
    content = sample("pain002_rejects.xml").replace(b"<TxSts>RJCT</TxSts>", b"<TxSts>NOPE</TxSts>", 1)
    with pytest.raises(ReportError) as error:
        bank_reports.read(content)
    assert error.value.problem is ReportProblem.SCHEMA_INVALID
    assert "TxSts" in error.value.detail


def test_entities_are_not_expanded():
    content = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">&x;</Document>')
    with pytest.raises(ReportError) as error:
        bank_reports.read(content)
    assert error.value.problem is ReportProblem.NOT_XML


def test_reason_codes_mean_what_the_iso_code_sets_say():
    # ISO 20022 External Code Sets, ExternalReturnReason1Code / ExternalStatusReason1Code.
    assert reason_codes.meaning("AM04") == \
        "Amount of funds available to cover specified message amount is insufficient."
    assert reason_codes.meaning("ac04") == "Account number specified has been closed on the bank of account's books."
    assert reason_codes.meaning("MD06") == "Return of funds requested by end customer."
    assert reason_codes.meaning("XX99") is None
    assert reason_codes.mandate_failed("MD01") and reason_codes.mandate_failed("AC04")
    assert not reason_codes.mandate_failed("AM04") and not reason_codes.mandate_failed("MD06")
