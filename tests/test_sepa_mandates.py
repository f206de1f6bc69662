"""A SEPA mandate lapses 36 months after its last presented collection, or after its signature if never used."""

from datetime import date

from direct_debit.mandates import is_usable, lapse_date


def test_a_mandate_never_used_lapses_36_months_after_its_signature():
    assert lapse_date(date(2023, 12, 1)) == date(2026, 12, 1)
    assert is_usable(date(2023, 12, 1), (), date(2026, 11, 30))
    assert not is_usable(date(2023, 12, 1), (), date(2026, 12, 1))


def test_each_presented_collection_restarts_the_36_months():
    presented = (date(2024, 1, 15), date(2025, 3, 10))
    assert lapse_date(date(2020, 6, 30), presented) == date(2028, 3, 10)
    assert is_usable(date(2020, 6, 30), presented, date(2026, 11, 25))


def test_end_of_month_signatures_lapse_on_the_last_day_of_the_month():
    assert lapse_date(date(2024, 2, 29)) == date(2027, 2, 28)


def test_an_unsigned_mandate_is_never_usable():
    assert not is_usable(None, (), date(2026, 11, 25))
