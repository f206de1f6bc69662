"""SMS length in the GSM 7-bit alphabet, counted against 3GPP TS 23.038 (tables 6.2.1 and 6.2.1.1)."""

from messaging.gsm7 import BASIC, EXTENSION, fits_one_sms, parts, septets, to_gsm7


def test_the_alphabet_has_128_positions_and_ten_extensions():
    # 128 positions in table 6.2.1, one of them the escape to the extension table (not a character).
    assert len(BASIC) == 127
    assert len(EXTENSION) == 10
    assert not BASIC & EXTENSION


def test_160_plain_characters_are_one_sms_and_161_are_two():
    assert septets("a" * 160) == 160
    assert fits_one_sms("a" * 160)
    assert parts("a" * 161) == 2
    assert parts("a" * 306) == 2, "two parts of 153 septets"
    assert parts("a" * 307) == 3


def test_the_euro_sign_takes_two_septets():
    assert septets("12,50 €") == 8
    assert fits_one_sms("€" * 80)
    assert not fits_one_sms("€" * 81)


def test_french_letters_of_the_alphabet_and_the_others():
    assert septets("échéance à régler") == 17, "é and à are in the basic set"
    assert septets("intérêts") is None, "ê is not: the SMS would go as UCS-2"
    assert parts("ê" * 70) == 1
    assert parts("ê" * 71) == 2, "UCS-2 parts hold 70, then 67 characters"


def test_to_gsm7_keeps_what_fits_and_spells_the_rest_plainly():
    typographic = "Crêperie Lefèvre : 1\u202f234,56\u00a0€ – «\u00a0reçu\u00a0»"
    assert to_gsm7(typographic) == 'Creperie Lefèvre : 1 234,56 € - " recu "'
    assert to_gsm7("Œuvre’s") == "OEuvre's"
    assert to_gsm7("訂單") == "??"
    assert septets(to_gsm7("Jérôme Müller, Ærø, ßtraße")) is not None
