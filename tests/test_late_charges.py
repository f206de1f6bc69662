"""Late interest and recovery indemnity against hand-computed cases, for business and consumer debtors.

Sources: Code de commerce L441-10 (ECB rate + 10 points, from the day after the due date; a contractual rate
of at least three times the legal interest rate) and D441-5 (40 € per invoice); Code civil 1231-6 and 1344-1
(consumers: legal interest rate from the formal notice); Code de commerce L622-28 (interest stops at the
opening judgment). ECB rates: the ECB's decisions; legal interest rates: the arrêtés of 19 June 2025 (2nd
half-year 2025: 2.76 % "for all other cases") and 15 December 2025 (JORF 26 December 2025; 1st half-year
2026: 2.62 %).
"""

from datetime import date
from decimal import Decimal

import pytest
from receivables.late_charges import (
    FixedRate,
    FlooredRate,
    RateTable,
    Regime,
    UnknownRate,
    half_year_start,
    interest_period,
    late_interest,
    minimum_contractual_rate,
    recovery_indemnity,
)

ECB = RateTable((
    (date(2023, 9, 20), Decimal("4.50")),
    (date(2024, 6, 12), Decimal("4.25")),
    (date(2024, 12, 18), Decimal("3.15")),
    (date(2025, 6, 11), Decimal("2.15")),
))
LEGAL = RateTable((
    (date(2025, 1, 1), Decimal("3.71")),
    (date(2025, 7, 1), Decimal("2.76")),
    (date(2026, 1, 1), Decimal("2.62")),
), margin_points=Decimal(0), carries_forward=False)


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
    # D441-5: 40 € per late invoice, owed by a business; consumers owe none
    assert recovery_indemnity(Regime.BUSINESS) == Decimal(40)
    assert recovery_indemnity(Regime.CONSUMER) == Decimal(0)


def test_business_interest_runs_from_the_day_after_the_due_date_without_reminder():
    # L441-10: 1000 due 30 May 2026, on 30 June: 31 days at 2.15 % + 10 points = 12.15 %
    # 1000 x 12.15 % x 31 / 365 = 10.319 -> 10.32
    period = interest_period(Regime.BUSINESS, date(2026, 5, 30), date(2026, 6, 30))
    assert period == (date(2026, 5, 31), date(2026, 6, 30))
    assert late_interest(1000, date(2026, 5, 30), period[1], ECB, since=period[0]) == Decimal("10.32")


def test_consumer_interest_runs_only_from_the_formal_notice_at_the_legal_rate():
    # Code civil 1231-6 and 1344-1: no interest before the formal notice, none on its own date
    due, notice = date(2026, 4, 15), date(2026, 5, 15)
    assert interest_period(Regime.CONSUMER, due, date(2026, 5, 14)) is None
    assert interest_period(Regime.CONSUMER, due, notice, notice_date=notice) is None
    # 15 days after it, 16 to 30 May 2026, at 2.62 %: 1000 x 2.62 % x 15 / 365 = 1.0767 -> 1.08
    period = interest_period(Regime.CONSUMER, due, date(2026, 5, 30), notice_date=notice)
    assert period == (date(2026, 5, 16), date(2026, 5, 30))
    assert late_interest(1000, due, period[1], LEGAL, since=period[0]) == Decimal("1.08")
    # the same days owed by a business: 1000 x 12.15 % x 15 / 365 = 4.993 -> 4.99
    assert late_interest(1000, due, period[1], ECB, since=period[0]) == Decimal("4.99")


def test_legal_rate_of_each_half_year_and_none_carried_over():
    # 17 to 31 December 2025 at 2.76 %, 1 to 15 January 2026 at 2.62 %:
    # 1000 x (2.76 % x 15 + 2.62 % x 15) / 365 = 2.2110 -> 2.21
    assert late_interest(1000, date(2025, 12, 1), date(2026, 1, 15), LEGAL, since=date(2025, 12, 17)) == Decimal("2.21")
    assert LEGAL.annual_rate(date(2026, 6, 30)) == Decimal("2.62")
    assert LEGAL.annual_rate(date(2026, 7, 1)) is None, "the rate of a half-year is fixed for it, never carried over"
    with pytest.raises(UnknownRate) as error:
        late_interest(1000, date(2026, 6, 1), date(2026, 7, 2), LEGAL, since=date(2026, 6, 20))
    assert error.value.half_year == date(2026, 7, 1)


def test_a_period_already_claimed_is_not_claimed_again():
    # J+30 claimed 31 May to 30 June; J+45 claims 1 to 15 July only: 1000 x 12.15 % x 15 / 365 = 4.99
    period = interest_period(Regime.BUSINESS, date(2026, 5, 30), date(2026, 7, 15), claimed_until=date(2026, 6, 30))
    assert period == (date(2026, 7, 1), date(2026, 7, 15))
    assert late_interest(1000, date(2026, 5, 30), period[1], ECB, since=period[0]) == Decimal("4.99")
    claimed = date(2026, 6, 30)
    assert interest_period(Regime.BUSINESS, date(2026, 5, 30), date(2026, 6, 30), claimed_until=claimed) is None


def test_interest_stops_at_the_opening_judgment():
    # L622-28: opening judgment on 10 June 2026: 31 May to 9 June, 10 days: 1000 x 12.15 % x 10 / 365 = 3.33
    period = interest_period(Regime.BUSINESS, date(2026, 5, 30), date(2026, 6, 30), proceedings_date=date(2026, 6, 10))
    assert period == (date(2026, 5, 31), date(2026, 6, 9))
    assert late_interest(1000, date(2026, 5, 30), period[1], ECB, since=period[0]) == Decimal("3.33")
    opened = date(2026, 5, 31)
    assert interest_period(Regime.BUSINESS, date(2026, 5, 30), date(2026, 6, 30), proceedings_date=opened) is None


def test_contractual_rate_floor_is_three_times_the_legal_rate():
    # L441-10: 3 x 2.62 % (1st half-year 2026) = 7.86 %; 3 x 2.76 % (2nd half-year 2025) = 8.28 %
    assert minimum_contractual_rate(LEGAL.annual_rate(date(2026, 3, 1))) == Decimal("7.86")
    assert minimum_contractual_rate(LEGAL.annual_rate(date(2025, 9, 1))) == Decimal("8.28")


def test_a_contractual_rate_never_falls_below_the_floor_of_its_half_year():
    # L441-10: 7.90 % agreed when 3 x 2.62 % = 7.86 % (2026 S1) is allowed; in 2025 S2 the floor was
    # 3 x 2.76 % = 8.28 %, which applies then; a half-year whose legal rate is unknown keeps the agreed rate.
    floored = FlooredRate(FixedRate(Decimal("7.90")), LEGAL)
    assert floored.annual_rate(date(2026, 3, 1)) == Decimal("7.90")
    assert floored.annual_rate(date(2025, 9, 1)) == Decimal("8.28")
    assert floored.annual_rate(date(2026, 9, 1)) == Decimal("7.90")
