"""Late interest and recovery indemnity against hand-computed cases (ECB rates of 2024 and 2025)."""

from datetime import date
from decimal import Decimal

import pytest
from receivables.late_charges import (
    FixedRate,
    RateTable,
    UnknownRate,
    half_year_start,
    late_interest,
    recovery_indemnity,
)

ECB = RateTable((
    (date(2023, 9, 20), Decimal("4.50")),
    (date(2024, 6, 12), Decimal("4.25")),
    (date(2024, 12, 18), Decimal("3.15")),
    (date(2025, 6, 11), Decimal("2.15")),
))


def test_rate_in_force_on_the_first_day_of_the_half_year_plus_ten_points():
    assert half_year_start(date(2024, 6, 30)) == date(2024, 1, 1)
    assert half_year_start(date(2024, 7, 1)) == date(2024, 7, 1)
    assert ECB.annual_rate(date(2024, 6, 30)) == Decimal("14.50")  # 4.25 came in on 12 June: too late
    assert ECB.annual_rate(date(2024, 7, 1)) == Decimal("14.25")
    assert ECB.annual_rate(date(2025, 3, 1)) == Decimal("13.15")


def test_thirty_days_in_a_leap_year():
    # 1000 x 14.50 % x 30 / 366 = 11.885
    assert late_interest(1000, date(2024, 3, 31), date(2024, 4, 30), ECB) == Decimal("11.89")


def test_across_two_half_years():
    # 1000 x (14.50 % x 10 + 14.25 % x 10) / 366 = 7.855
    assert late_interest(1000, date(2024, 6, 20), date(2024, 7, 10), ECB) == Decimal("7.86")


def test_across_the_new_year_each_year_over_its_own_length():
    # 1000 x 14.25 % x 10 / 366 + 1000 x 13.15 % x 10 / 365 = 3.893 + 3.603
    assert late_interest(1000, date(2024, 12, 21), date(2025, 1, 10), ECB) == Decimal("7.50")


def test_a_partial_payment_stops_interest_on_what_it_paid():
    # 1000 from 1 to 10 February, 600 from 11 February to 2 March: (10000 + 12000) x 13.15 % / 365
    payments = [(date(2025, 2, 10), Decimal(400))]
    assert late_interest(1000, date(2025, 1, 31), date(2025, 3, 2), ECB, payments) == Decimal("7.93")


def test_nothing_owed_on_or_before_the_due_date():
    assert late_interest(1000, date(2025, 1, 31), date(2025, 1, 31), ECB) == Decimal("0.00")
    assert late_interest(1000, date(2025, 1, 31), date(2025, 1, 1), ECB) == Decimal("0.00")


def test_contractual_rate_and_half_up_rounding():
    assert late_interest(500, date(2025, 1, 1), date(2025, 12, 31), FixedRate(Decimal(12))) == Decimal("59.84")
    # 100 x 1.825 % / 365 = 0.005 exactly: half-up gives a cent where banker's rounding gives none
    assert late_interest(100, date(2025, 1, 1), date(2025, 1, 2), FixedRate(Decimal("1.825"))) == Decimal("0.01")


def test_currency_precision():
    assert late_interest(100000, date(2025, 1, 31), date(2025, 3, 2), ECB, digits=0) == Decimal(1081)


def test_unknown_half_year_is_reported():
    with pytest.raises(UnknownRate) as error:
        late_interest(1000, date(2023, 5, 1), date(2023, 5, 31), ECB)
    assert error.value.half_year == date(2023, 1, 1)


def test_indemnity_is_for_business_customers_once_per_invoice():
    assert recovery_indemnity(is_business=True, already_charged=False) == Decimal(40)
    assert recovery_indemnity(is_business=False, already_charged=False) == Decimal(0)
    assert recovery_indemnity(is_business=True, already_charged=True) == Decimal(0)
