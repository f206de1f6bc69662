"""SEPA Core direct-debit files (pain.008.001.08): what the bank reads, and every reason a file is refused."""

import dataclasses
import importlib.util
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from direct_debit import pain008
from direct_debit.pain008 import Batch, Creditor, Debit, DebitProblem, DirectDebitError, PostalAddress, build
from lxml import etree

NS = {"p": pain008.NAMESPACE}
XSD = Path(importlib.util.find_spec("sepaxml").origin).parent / "schemas" / "pain.008.001.08.xsd"

CREDITOR = Creditor(
    name="Compagnie des Eaux d'Île-de-France",
    iban="FR76 3000 6000 0112 3456 7890 189",
    bic="AGRIFRPP",
    creditor_identifier="FR72ZZZ123456",
    address=PostalAddress(street="Rue de la Paix", building_number="12", postal_code="75002", town="Paris",
                          country="FR"),
)
MONDAY, NEXT_MONDAY = date(2026, 3, 2), date(2026, 3, 9)


def debit(number, **changes):
    values = {
        "end_to_end_id": f"ECH-2026-{number:04d}",
        "amount": Decimal("100.00"),
        "mandate_id": f"RUM-{number:06d}",
        "mandate_signature_date": date(2025, 11, 3),
        "sequence_type": "RCUR",
        "collection_date": MONDAY,
        "debtor_name": f"Client {number}",
        "debtor_iban": "DE89370400440532013000",
        "remittance_information": f"Echeance {number}",
    }
    return Debit(**{**values, **changes})


def batch(debits, **changes):
    return Batch(**{"message_id": "PRLV-2026-0001", "created_at": datetime(2026, 2, 20, 10, 15, 30),
                    "creditor": CREDITOR, "debits": tuple(debits), **changes})


MIXED = (
    debit(1, sequence_type="FRST", amount=Decimal("49.90"), debtor_name="Société Générale & Fils — Noël",
          debtor_bic="SOGEFRPP", remittance_information="Échéance 1/3 — facture FAC/2026/0001"),
    debit(2, sequence_type="RCUR", amount=Decimal("120.00")),
    debit(3, sequence_type="FRST", amount=Decimal("0.01")),
    debit(4, sequence_type="RCUR", amount=Decimal("1000.10"), collection_date=NEXT_MONDAY),
    debit(5, sequence_type="RCUR", amount=Decimal("30.00"), collection_date=NEXT_MONDAY),
)


def parse(content):
    return etree.fromstring(content)  # noqa: S320 -- the file built just now


def transaction_of(root, end_to_end_id):
    found = root.xpath(".//p:DrctDbtTxInf[p:PmtId/p:EndToEndId = $id]", namespaces=NS, id=end_to_end_id)
    assert len(found) == 1, end_to_end_id
    return found[0]


def texts(node, path):
    return [element.text for element in node.iterfind(path, NS)]


def text(node, path):
    found = texts(node, path)
    assert len(found) == 1, (path, found)
    return found[0]


def problem_of(a_batch):
    with pytest.raises(DirectDebitError) as error:
        build(a_batch)
    return error.value.problem, error.value.item


def test_a_first_and_recurring_batch_passes_the_schema():
    content = build(batch(MIXED))
    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso')
    schema = etree.XMLSchema(etree.parse(str(XSD)))  # noqa: S320 -- the XSD sepaxml ships
    assert schema.validate(parse(content)), schema.error_log


def test_group_header_counts_and_sums_every_debit():
    root = parse(build(batch(MIXED)))
    assert text(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId") == "PRLV-2026-0001"
    assert text(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:CreDtTm") == "2026-02-20T10:15:30"
    assert text(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs") == "5"
    assert text(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum") == "1200.01"
    assert text(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:InitgPty/p:Nm") == "Compagnie des Eaux d'Ile-de-France"


def test_one_payment_block_per_sequence_type_and_collection_date():
    root = parse(build(batch(MIXED)))
    blocks = root.findall("p:CstmrDrctDbtInitn/p:PmtInf", NS)
    summary = [
        (text(block, "p:PmtTpInf/p:SeqTp"), text(block, "p:ReqdColltnDt"), text(block, "p:NbOfTxs"),
         text(block, "p:CtrlSum"), texts(block, "p:DrctDbtTxInf/p:PmtId/p:EndToEndId"))
        for block in blocks
    ]
    assert summary == [
        ("FRST", "2026-03-02", "2", "49.91", ["ECH-2026-0001", "ECH-2026-0003"]),
        ("RCUR", "2026-03-02", "1", "120.00", ["ECH-2026-0002"]),
        ("RCUR", "2026-03-09", "2", "1030.10", ["ECH-2026-0004", "ECH-2026-0005"]),
    ]
    assert [text(block, "p:PmtInfId") for block in blocks] == ["PRLV-2026-0001-1", "PRLV-2026-0001-2",
                                                               "PRLV-2026-0001-3"]


def test_each_block_is_a_sepa_core_collection_for_the_creditor():
    block = parse(build(batch(MIXED))).find("p:CstmrDrctDbtInitn/p:PmtInf", NS)
    assert text(block, "p:PmtMtd") == "DD"
    assert text(block, "p:BtchBookg") == "true"
    assert text(block, "p:PmtTpInf/p:SvcLvl/p:Cd") == "SEPA"
    assert text(block, "p:PmtTpInf/p:LclInstrm/p:Cd") == "CORE"
    assert text(block, "p:Cdtr/p:Nm") == "Compagnie des Eaux d'Ile-de-France"
    assert text(block, "p:Cdtr/p:PstlAdr/p:TwnNm") == "Paris"
    assert text(block, "p:CdtrAcct/p:Id/p:IBAN") == "FR7630006000011234567890189"
    assert text(block, "p:CdtrAgt/p:FinInstnId/p:BICFI") == "AGRIFRPP"
    assert text(block, "p:ChrgBr") == "SLEV"
    assert text(block, "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == "FR72ZZZ123456"
    assert text(block, "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:SchmeNm/p:Prtry") == "SEPA"


def test_each_debit_carries_its_mandate_amount_and_debtor():
    transaction = parse(build(batch(MIXED))).find(".//p:DrctDbtTxInf", NS)
    assert [etree.QName(child).localname for child in transaction] == [
        "PmtId", "InstdAmt", "DrctDbtTx", "DbtrAgt", "Dbtr", "DbtrAcct", "RmtInf",
    ]
    amount = transaction.find("p:InstdAmt", NS)
    assert (amount.text, amount.get("Ccy")) == ("49.90", "EUR")
    assert text(transaction, "p:DrctDbtTx/p:MndtRltdInf/p:MndtId") == "RUM-000001"
    assert text(transaction, "p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr") == "2025-11-03"
    assert text(transaction, "p:DbtrAgt/p:FinInstnId/p:BICFI") == "SOGEFRPP"
    assert text(transaction, "p:DbtrAcct/p:Id/p:IBAN") == "DE89370400440532013000"


def test_accents_are_transliterated_and_texts_cut_to_their_lengths():
    long_name = "Établissements Dupont-Aignan et Associés de la Région Île-de-France Réunis"
    root = parse(build(batch([*MIXED, debit(6, debtor_name=long_name, remittance_information="Réf. " * 40)])))
    first, long = transaction_of(root, "ECH-2026-0001"), transaction_of(root, "ECH-2026-0006")
    assert text(first, "p:Dbtr/p:Nm") == "Societe Generale + Fils - Noel"
    assert text(first, "p:RmtInf/p:Ustrd") == "Echeance 1/3 - facture FAC/2026/0001"
    assert text(long, "p:Dbtr/p:Nm") == "Etablissements Dupont-Aignan et Associes de la Region Ile-de-France Re"  # 70
    remittance = text(long, "p:RmtInf/p:Ustrd")
    assert remittance == ("Ref. " * 28).strip()  # cut at 140, less the space the cut left at the end
    assert len(remittance) == 139


def test_a_debtor_without_bic_is_sent_as_not_provided_and_an_empty_remittance_left_out():
    transaction = parse(build(batch([debit(1, debtor_bic=None, remittance_information="")]))).find(
        ".//p:DrctDbtTxInf", NS)
    assert text(transaction, "p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == "NOTPROVIDED"
    assert transaction.find("p:RmtInf", NS) is None


def test_a_creditor_without_bic_or_address():
    creditor = dataclasses.replace(CREDITOR, bic=None, address=None)
    block = parse(build(batch([debit(1)], creditor=creditor))).find(".//p:PmtInf", NS)
    assert text(block, "p:CdtrAgt/p:FinInstnId/p:Othr/p:Id") == "NOTPROVIDED"
    assert block.find("p:Cdtr/p:PstlAdr", NS) is None


def test_structured_and_hybrid_addresses():
    structured = PostalAddress(street="Avenue des Champs-Élysées", building_number="101", postal_code="75008",
                               town="Paris", country="fr")
    hybrid = PostalAddress(town="Lyon", country="FR", address_lines=("Bâtiment B, 3e étage", "Zone d'activité Nord"))
    root = parse(build(batch([debit(1, debtor_address=structured), debit(2, debtor_address=hybrid)])))
    first, second = root.findall(".//p:Dbtr/p:PstlAdr", NS)
    assert [(etree.QName(child).localname, child.text) for child in first] == [
        ("StrtNm", "Avenue des Champs-Elysees"), ("BldgNb", "101"), ("PstCd", "75008"), ("TwnNm", "Paris"),
        ("Ctry", "FR"),
    ]
    assert [(etree.QName(child).localname, child.text) for child in second] == [
        ("TwnNm", "Lyon"), ("Ctry", "FR"), ("AdrLine", "Batiment B, 3e etage"), ("AdrLine", "Zone d'activite Nord"),
    ]


def test_a_swiss_debtor_with_bic_and_address():
    swiss = debit(1, debtor_iban="CH9300762011623852957", debtor_bic="UBSWCHZH80A",
                  debtor_address=PostalAddress(street="Bahnhofstrasse", building_number="45", postal_code="8001",
                                               town="Zürich", country="CH"))
    root = parse(build(batch([swiss])))
    assert text(root, ".//p:Dbtr/p:PstlAdr/p:TwnNm") == "Zurich"


def test_time_zone_kept_and_fractions_of_seconds_dropped():
    created = datetime(2026, 2, 20, 10, 15, 30, 123456, tzinfo=timezone(timedelta(hours=1)))
    root = parse(build(batch([debit(1)], created_at=created)))
    assert text(root, ".//p:GrpHdr/p:CreDtTm") == "2026-02-20T10:15:30+01:00"


def test_amounts_read_from_floats_are_written_with_two_decimals():
    root = parse(build(batch([debit(1, amount=10.1), debit(2, amount=7)])))
    assert texts(root, ".//p:InstdAmt") == ["10.10", "7.00"]
    assert text(root, ".//p:GrpHdr/p:CtrlSum") == "17.10"


def test_payment_block_ids_stay_within_35_characters():
    message_id = "M" * 35
    root = parse(build(batch([debit(1), debit(2, sequence_type="FRST")], message_id=message_id)))
    ids = texts(root, ".//p:PmtInf/p:PmtInfId")
    assert ids == ["M" * 33 + "-1", "M" * 33 + "-2"]


SWISS_IBAN = "CH9300762011623852957"


@pytest.mark.parametrize(("a_batch", "expected"), [
    (batch([]), (DebitProblem.EMPTY_BATCH, None)),
    (batch([debit(1)], currency="CHF"), (DebitProblem.NOT_EUR, None)),
    (batch([debit(1)], message_id="PRLV 2026"), (DebitProblem.INVALID_REFERENCE, None)),
    (batch([debit(1)], creditor=dataclasses.replace(CREDITOR, iban="FR7630006000011234567890188")),
     (DebitProblem.INVALID_IBAN, None)),
    (batch([debit(1)], creditor=dataclasses.replace(CREDITOR, bic="AGRIFRP")), (DebitProblem.INVALID_BIC, None)),
    (batch([debit(1)], creditor=dataclasses.replace(CREDITOR, creditor_identifier="")),
     (DebitProblem.MISSING_CREDITOR_IDENTIFIER, None)),
    (batch([debit(1)], creditor=dataclasses.replace(CREDITOR, creditor_identifier="FR73ZZZ123456")),
     (DebitProblem.INVALID_CREDITOR_IDENTIFIER, None)),
    (batch([debit(1)], creditor=dataclasses.replace(CREDITOR, name="  ")), (DebitProblem.MISSING_NAME, None)),
    (batch([debit(1)], creditor=dataclasses.replace(CREDITOR, address=PostalAddress(
        address_lines=("12 rue de la Paix", "75002 Paris")))), (DebitProblem.ADDRESS_NOT_STRUCTURED, None)),
    (batch([debit(1, debtor_iban="DE89370400440532013001")]), (DebitProblem.INVALID_IBAN, "ECH-2026-0001")),
    (batch([debit(1, debtor_bic="DEUTDE")]), (DebitProblem.INVALID_BIC, "ECH-2026-0001")),
    (batch([debit(1, mandate_signature_date=None)]), (DebitProblem.MISSING_SIGNATURE_DATE, "ECH-2026-0001")),
    (batch([debit(1, amount=Decimal(0))]), (DebitProblem.NOT_POSITIVE, "ECH-2026-0001")),
    (batch([debit(1, amount=Decimal("-10.00"))]), (DebitProblem.NOT_POSITIVE, "ECH-2026-0001")),
    (batch([debit(1, amount=Decimal("10.005"))]), (DebitProblem.INVALID_AMOUNT, "ECH-2026-0001")),
    (batch([debit(1, amount=Decimal("1000000000.00"))]), (DebitProblem.INVALID_AMOUNT, "ECH-2026-0001")),
    (batch([debit(1, sequence_type="RPRE")]), (DebitProblem.BAD_SEQUENCE_TYPE, "ECH-2026-0001")),
    (batch([debit(1, sequence_type="frst")]), (DebitProblem.BAD_SEQUENCE_TYPE, "ECH-2026-0001")),
    (batch([debit(1, mandate_id="RUM 000001")]), (DebitProblem.INVALID_REFERENCE, "ECH-2026-0001")),
    (batch([debit(1, end_to_end_id="ECH//1")]), (DebitProblem.INVALID_REFERENCE, "ECH//1")),
    (batch([debit(1), debit(2, end_to_end_id="ECH-2026-0001")]), (DebitProblem.DUPLICATE_REFERENCE, "ECH-2026-0001")),
    (batch([debit(1, debtor_name="王")]), (DebitProblem.MISSING_NAME, "ECH-2026-0001")),
    (batch([debit(1, collection_date=date(2026, 2, 19))]), (DebitProblem.COLLECTION_DATE_PAST, "ECH-2026-0001")),
    (batch([debit(1, debtor_address=PostalAddress(address_lines=("12 rue de la Paix", "75002 Paris")))]),
     (DebitProblem.ADDRESS_NOT_STRUCTURED, "ECH-2026-0001")),
    (batch([debit(1, debtor_address=PostalAddress(street="Rue de la Paix", country="FR"))]),
     (DebitProblem.ADDRESS_NOT_STRUCTURED, "ECH-2026-0001")),
    (batch([debit(1, debtor_address=PostalAddress(town="Paris"))]),
     (DebitProblem.ADDRESS_NOT_STRUCTURED, "ECH-2026-0001")),
    (batch([debit(1, debtor_address=PostalAddress(town="Paris", country="France"))]),
     (DebitProblem.INVALID_COUNTRY, "ECH-2026-0001")),
    (batch([debit(1, debtor_address=PostalAddress(town="Paris", country="FR", address_lines=("a", "b", "c")))]),
     (DebitProblem.ADDRESS_TOO_MANY_LINES, "ECH-2026-0001")),
    (batch([debit(1, debtor_iban=SWISS_IBAN, debtor_address=PostalAddress(town="Bern", country="CH"))]),
     (DebitProblem.MISSING_BIC, "ECH-2026-0001")),
    (batch([debit(1, debtor_iban=SWISS_IBAN, debtor_bic="UBSWCHZH80A")]),
     (DebitProblem.ADDRESS_REQUIRED, "ECH-2026-0001")),
])
def test_refused_before_anything_is_built(a_batch, expected):
    assert problem_of(a_batch) == expected


def test_every_problem_is_listed_with_its_debit():
    faulty = batch(
        [debit(1), debit(2, debtor_iban="FR00", amount=0), debit(3, mandate_signature_date=None)],
        creditor=dataclasses.replace(CREDITOR, creditor_identifier=None),
    )
    assert pain008.problems(faulty) == [
        (DebitProblem.MISSING_CREDITOR_IDENTIFIER, None),
        (DebitProblem.NOT_POSITIVE, "ECH-2026-0002"),
        (DebitProblem.INVALID_IBAN, "ECH-2026-0002"),
        (DebitProblem.MISSING_SIGNATURE_DATE, "ECH-2026-0003"),
    ]
    assert pain008.problems(batch(MIXED)) == []


def test_a_hand_broken_document_fails_the_schema():
    root = pain008.document(batch(MIXED))
    pain008.validate(root)
    amount = root.find(".//p:InstdAmt", NS)
    amount.text = "49.901234"  # more decimals than the schema allows
    with pytest.raises(DirectDebitError) as error:
        pain008.validate(root)
    assert error.value.problem == DebitProblem.SCHEMA_INVALID
    assert "InstdAmt" in error.value.detail


def test_elements_out_of_order_fail_the_schema():
    root = pain008.document(batch(MIXED))
    header = root.find(".//p:GrpHdr", NS)
    header.append(header.find("p:MsgId", NS))
    with pytest.raises(DirectDebitError) as error:
        pain008.validate(etree.tostring(root))
    assert error.value.problem == DebitProblem.SCHEMA_INVALID
    assert "MsgId" in error.value.detail


def test_bytes_that_are_not_xml_fail_the_schema():
    with pytest.raises(DirectDebitError) as error:
        pain008.validate(b"<Document><unclosed></Document>")
    assert error.value.problem == DebitProblem.SCHEMA_INVALID


def test_build_returns_nothing_the_schema_refuses(monkeypatch):
    document = pain008.document

    def broken_document(a_batch):
        root = document(a_batch)
        root.find(".//p:PmtInf/p:PmtMtd", NS).text = "TRF"
        return root

    monkeypatch.setattr(pain008, "document", broken_document)
    with pytest.raises(DirectDebitError) as error:
        build(batch(MIXED))
    assert error.value.problem == DebitProblem.SCHEMA_INVALID
    assert "PmtMtd" in error.value.detail
