"""SEPA identifiers and text: IBAN, BIC, creditor identifier, references, and the EPC Latin character set."""

import re

import pytest
from direct_debit.identifiers import (
    is_valid_bic,
    is_valid_creditor_identifier,
    is_valid_iban,
    is_valid_reference,
    mandate_reference,
    normalize_bic,
    normalize_iban,
)
from direct_debit.latin import to_sepa_latin
from hypothesis import given
from hypothesis import strategies as st

EPC_LATIN = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")


@pytest.mark.parametrize("iban", [
    "FR76 3000 6000 0112 3456 7890 189",
    "fr7630006000011234567890189",
    "DE89370400440532013000",
    "BE68539007547034",  # the ISO 13616 example: a bank python-stdnum's Belgian list does not know
    "CH9300762011623852957",
])
def test_valid_ibans(iban):
    assert is_valid_iban(iban)


@pytest.mark.parametrize("iban", [
    "FR7630006000011234567890188",  # one digit wrong
    "FR7630006000011234567890819",  # two digits swapped
    "FR76300060000112345678901",  # too short for France
    "DE89 3704 0044 0532 0130",
    "XX89370400440532013000",
    "",
    None,
])
def test_invalid_ibans(iban):
    assert not is_valid_iban(iban)


def test_ibans_are_written_without_spaces_in_capitals():
    assert normalize_iban(" fr76 3000 6000 0112 3456 7890 189 ") == "FR7630006000011234567890189"


@pytest.mark.parametrize(("bic", "valid"), [
    ("BNPAFRPP", True),
    ("BNPAFRPPXXX", True),
    ("agri fr pp 882", True),
    ("BNPAFRP", False),
    ("BNPA12PP", False),
    ("BNPAFRPPXX", False),
    ("", False),
    (None, False),
])
def test_bics(bic, valid):
    assert is_valid_bic(bic) is valid


def test_bics_are_written_in_capitals():
    assert normalize_bic("agri fr pp 882") == "AGRIFRPP882"


@pytest.mark.parametrize("identifier", [
    "FR72ZZZ123456",
    "DE98ZZZ09999999999",
    "ES59ZZZX1234567L",
    "IT66ZZZA1B2C3D4E5F6G7H8",
    "fr72 zzz 123456",
    "FR72ABC123456",  # the business code is left out of the check
])
def test_valid_creditor_identifiers(identifier):
    assert is_valid_creditor_identifier(identifier)


@pytest.mark.parametrize("identifier", [
    "FR73ZZZ123456",
    "FR72ZZZ123457",
    "DE98ZZZ09999999998",
    "FR72ZZZ",
    "72FRZZZ123456",
    "FR7630006000011234567890189",  # an IBAN is not a creditor identifier
    "",
    None,
])
def test_invalid_creditor_identifiers(identifier):
    assert not is_valid_creditor_identifier(identifier)


@pytest.mark.parametrize(("reference", "valid"), [
    ("RUM-000042", True),
    ("FAC/2026/00001", True),
    ("A" * 35, True),
    ("A" * 36, False),
    ("RUM 000042", False),
    ("/RUM000042", False),
    ("RUM000042/", False),
    ("FAC//2026", False),
    ("RUM_000042", False),
    ("RÉF-1", False),
    ("", False),
    (None, False),
])
def test_references(reference, valid):
    assert is_valid_reference(reference) is valid


def test_mandate_references():
    assert mandate_reference("RUM-", 42) == "RUM-000042"
    assert mandate_reference("rum-", 42) == "RUM-000042"  # the bank would take them for the same mandate
    assert mandate_reference("Mandat Société", 7) == "MANDAT-SOCIETE000007"
    assert mandate_reference("", 1234567) == "1234567"


def test_a_long_prefix_is_cut_never_the_number():
    reference = mandate_reference("Prélèvements de la Compagnie des Eaux / ", 987654321)
    assert len(reference) == 35
    assert reference.endswith("987654321")
    assert is_valid_reference(reference)


@given(prefix=st.text(max_size=60), number=st.integers(min_value=0, max_value=10**20))
def test_any_mandate_reference_is_a_valid_reference(prefix, number):
    reference = mandate_reference(prefix, number)
    assert is_valid_reference(reference)
    assert reference == reference.upper()
    assert reference.endswith(str(number).zfill(6))


@pytest.mark.parametrize("number", [-1, "42", 4.2, True])
def test_mandate_numbers_are_counts(number):
    with pytest.raises(ValueError):
        mandate_reference("RUM-", number)


@pytest.mark.parametrize(("text", "latin"), [
    ("Société Générale & Fils — Noël", "Societe Generale + Fils - Noel"),
    ("L'Œuvre", "L'OEuvre"),
    ("L’Hôpital Saint-Éloi", "L'Hopital Saint-Eloi"),
    ("Cœur de Lœwen", "Coeur de Loewen"),
    ("Straße 5, Köln", "Strasse 5, Koln"),
    ("Ærø Ørsted", "AEro Orsted"),
    ("Façade «Ça va» 100 €", "Facade Ca va 100 EUR"),
    ("  deux   espaces\tet\nlignes  ", "deux espaces et lignes"),
    ("contact@example.com; #1 * 2 = 2", "contact example.com 1 2 2"),
    ("東京", ""),
    ("", ""),
    (None, ""),
])
def test_text_in_the_epc_latin_set(text, latin):
    assert to_sepa_latin(text) == latin


def test_text_is_cut_to_the_length_without_a_trailing_space():
    assert to_sepa_latin("Société Générale", 8) == "Societe"
    assert to_sepa_latin("Œuvre", 2) == "OE"


@given(text=st.text(max_size=200), max_length=st.one_of(st.none(), st.integers(min_value=1, max_value=140)))
def test_any_text_comes_out_in_the_set_and_the_length(text, max_length):
    latin = to_sepa_latin(text, max_length)
    assert EPC_LATIN.fullmatch(latin)
    assert latin == latin.strip()
    assert "  " not in latin
    assert max_length is None or len(latin) <= max_length


def test_iban_check_digits_of_the_payee_account():
    """The check pay by bank applies to the company's account before sending a payment request."""
    assert is_valid_iban("FR76 3000 6000 0112 3456 7890 189")
    assert is_valid_iban("de89370400440532013000")
    assert not is_valid_iban("FR76 3000 6000 0112 3456 7890 188")
    assert not is_valid_iban("12345")
    assert not is_valid_iban(None)
