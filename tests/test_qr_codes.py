"""The EPC credit-transfer QR code, against the European Payments Council's guidelines EPC069-12 (version 2.1):
section 3 "Data elements" (service tag BCD, version 002, character set 1 = UTF-8, identification SCT, BIC
optional in version 002, name max 70, IBAN, amount "EUR" + max 12 characters from 0.01 to 999999999.99,
purpose, structured or unstructured remittance max 140) and the 331-byte limit of the payload."""

import pytest
from receivables.qr_codes import PayloadError, epc_payload, png


def test_the_lines_in_the_guidelines_order():
    payload = epc_payload("Menuiserie Dupont SARL", "FR76 3000 6000 0112 3456 7890 189", "1050.3",
                          "DUN/2026/0008/00001", bic="AGRIFRPP")
    assert payload.split("\n") == [
        "BCD", "002", "1", "SCT", "AGRIFRPP", "Menuiserie Dupont SARL", "FR7630006000011234567890189",
        "EUR1050.30", "", "", "DUN/2026/0008/00001",
    ]
    assert not payload.endswith("\n")


def test_bic_may_be_left_out_in_version_002():
    assert epc_payload("Dupont", "FR7630006000011234567890189", 12, "F1").split("\n")[4] == ""


@pytest.mark.parametrize("name, iban, amount, remittance, field", [
    ("", "FR7630006000011234567890189", 10, "x", "name"),
    ("N" * 71, "FR7630006000011234567890189", 10, "x", "name"),
    ("Dupont", "FR76-3000", 10, "x", "iban"),
    ("Dupont", "FR7630006000011234567890189", 0, "x", "amount"),
    ("Dupont", "FR7630006000011234567890189", "1000000000.00", "x", "amount"),
])
def test_what_the_guidelines_refuse(name, iban, amount, remittance, field):
    with pytest.raises(PayloadError) as error:
        epc_payload(name, iban, amount, remittance)
    assert error.value.field == field


def test_remittance_cut_at_140_and_the_payload_within_331_bytes():
    assert len(epc_payload("Dupont", "FR7630006000011234567890189", 10, "R" * 200).split("\n")[-1]) == 140
    payload = epc_payload("Société Générale Client éèà", "FR7630006000011234567890189", "999999999.99", "é" * 200)
    assert len(payload.encode()) <= 331
    assert payload.split("\n")[-1] == "é" * len(payload.split("\n")[-1]), "shortened, not broken"


def test_png_is_a_png():
    import base64
    assert base64.b64decode(png("https://example.com")).startswith(b"\x89PNG")
