"""Installment plans: exact sums at every currency precision, month-end dates, edited plans, payments oldest first."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from installments.schedule import (
    Allocation,
    Installment,
    ScheduleError,
    ScheduleProblem,
    allocate,
    due_dates,
    split,
    validate,
)


def amounts(plan):
    return [installment.amount for installment in plan]


def problem_of(call, *args, **kwargs):
    with pytest.raises(ScheduleError) as error:
        call(*args, **kwargs)
    return error.value.problem


def test_a_hundred_in_three_the_last_takes_the_cent():
    plan = split(Decimal(100), 3, date(2026, 1, 15))
    assert amounts(plan) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert [installment.sequence for installment in plan] == [1, 2, 3]
    assert [installment.due_date for installment in plan] == [date(2026, 1, 15), date(2026, 2, 15), date(2026, 3, 15)]


def test_awkward_total_in_seven():
    # 1000.01 / 7 = 142.858..., six parts of 142.86 and the last gets 1000.01 - 857.16
    plan = split("1000.01", 7, date(2026, 1, 1))
    assert amounts(plan) == [Decimal("142.86")] * 6 + [Decimal("142.85")]
    assert sum(amounts(plan)) == Decimal("1000.01")


def test_a_few_cents_over_three_installments():
    assert amounts(split("0.05", 3, date(2026, 1, 1))) == [Decimal("0.02"), Decimal("0.02"), Decimal("0.01")]
    assert amounts(split("0.03", 3, date(2026, 1, 1))) == [Decimal("0.01")] * 3


def test_less_than_a_cent_per_installment_is_refused():
    assert problem_of(split, "0.02", 3, date(2026, 1, 1)) == ScheduleProblem.TOO_SMALL


def test_many_installments_of_a_cent_and_a_half_round_down_rather_than_leave_the_last_negative():
    # Half-up would give 99 x 0.02 = 1.98 > 1.50; rounding down leaves 0.51 to the last one.
    plan = split("1.50", 100, date(2026, 1, 1), interval=1, unit="days")
    assert amounts(plan) == [Decimal("0.01")] * 99 + [Decimal("0.51")]


def test_yen_have_no_decimals():
    assert amounts(split(10000, 3, date(2026, 1, 1), digits=0)) == [Decimal(3333), Decimal(3333), Decimal(3334)]
    assert amounts(split(100, 7, date(2026, 1, 1), digits=0)) == [Decimal(14)] * 6 + [Decimal(16)]
    assert all(amount == amount.to_integral_value() for amount in amounts(split(99999, 11, date(2026, 1, 1), digits=0)))


def test_three_decimal_currencies():
    assert amounts(split(10, 3, date(2026, 1, 1), digits=3)) == [Decimal("3.333"), Decimal("3.333"), Decimal("3.334")]
    assert amounts(split("0.005", 2, date(2026, 1, 1), digits=3)) == [Decimal("0.003"), Decimal("0.002")]


def test_odd_counts():
    assert amounts(split(100, 1, date(2026, 1, 1))) == [Decimal("100.00")]
    assert amounts(split(100, 9, date(2026, 1, 1))) == [Decimal("11.11")] * 8 + [Decimal("11.12")]
    plan = split(1234.56, 13, date(2026, 1, 1))
    assert len(plan) == 13
    assert sum(amounts(plan)) == Decimal("1234.56")


def test_float_totals_from_the_orm_are_read_at_the_currency_precision():
    # 0.1 + 0.2 is 0.30000000000000004 as a float
    assert amounts(split(0.1 + 0.2, 3, date(2026, 1, 1))) == [Decimal("0.10")] * 3


def test_first_amount_then_the_rest_in_equal_parts():
    plan = split(1000, 4, date(2026, 1, 10), first_amount="250.50")
    assert amounts(plan) == [Decimal("250.50"), Decimal("249.83"), Decimal("249.83"), Decimal("249.84")]
    assert amounts(split(1000, 2, date(2026, 1, 10), first_amount=400)) == [Decimal("400.00"), Decimal("600.00")]


def test_first_amount_of_a_single_installment_is_the_total():
    assert amounts(split(100, 1, date(2026, 1, 1), first_amount=100)) == [Decimal("100.00")]
    assert problem_of(split, 100, 1, date(2026, 1, 1), first_amount=60) == ScheduleProblem.FIRST_AMOUNT_NOT_TOTAL
    assert problem_of(split, 100, 1, date(2026, 1, 1), first_amount=160) == ScheduleProblem.FIRST_AMOUNT_TOO_LARGE


@pytest.mark.parametrize(("first_amount", "problem"), [
    (100, ScheduleProblem.FIRST_AMOUNT_TOO_LARGE),
    ("100.01", ScheduleProblem.FIRST_AMOUNT_TOO_LARGE),
    (0, ScheduleProblem.FIRST_AMOUNT_NOT_POSITIVE),
    (-10, ScheduleProblem.FIRST_AMOUNT_NOT_POSITIVE),
    ("0.004", ScheduleProblem.FIRST_AMOUNT_NOT_POSITIVE),  # nothing at the currency's precision
    ("99.99", ScheduleProblem.TOO_SMALL),  # one cent left for two installments
])
def test_first_amounts_that_leave_no_plan(first_amount, problem):
    assert problem_of(split, 100, 3, date(2026, 1, 1), first_amount=first_amount) == problem


@pytest.mark.parametrize(("args", "problem"), [
    ((100, 0, date(2026, 1, 1)), ScheduleProblem.NO_INSTALLMENT),
    ((0, 3, date(2026, 1, 1)), ScheduleProblem.NOTHING_TO_SPLIT),
    ((-50, 3, date(2026, 1, 1)), ScheduleProblem.NOTHING_TO_SPLIT),
    (("0.004", 1, date(2026, 1, 1)), ScheduleProblem.NOTHING_TO_SPLIT),
    ((100, 3, date(2026, 1, 1), 0), ScheduleProblem.BAD_INTERVAL),
    ((100, 3, date(2026, 1, 1), 1, "weeks"), ScheduleProblem.BAD_UNIT),
])
def test_plans_that_cannot_be_made(args, problem):
    assert problem_of(split, *args) == problem


def test_month_ends_are_kept_not_drifted():
    assert due_dates(date(2025, 1, 31), 4, 1, "months") == (
        date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30),
    )


def test_leap_years():
    assert due_dates(date(2024, 1, 31), 2, 1, "months")[1] == date(2024, 2, 29)
    assert due_dates(date(2024, 2, 29), 5, 12, "months") == (
        date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29),
    )
    assert due_dates(date(2024, 2, 15), 3, 7, "days") == (date(2024, 2, 15), date(2024, 2, 22), date(2024, 2, 29))


def test_every_two_months_and_every_quarter_across_the_year_end():
    assert due_dates(date(2025, 11, 30), 3, 2, "months") == (date(2025, 11, 30), date(2026, 1, 30), date(2026, 3, 30))
    assert due_dates(date(2025, 10, 31), 4, 3, "months") == (
        date(2025, 10, 31), date(2026, 1, 31), date(2026, 4, 30), date(2026, 7, 31),
    )


def test_days():
    assert due_dates(date(2025, 12, 15), 3, 30, "days") == (date(2025, 12, 15), date(2026, 1, 14), date(2026, 2, 13))


@given(
    cents=st.integers(min_value=1, max_value=10**11),
    count=st.integers(min_value=1, max_value=60),
    digits=st.integers(min_value=0, max_value=3),
    interval=st.integers(min_value=1, max_value=12),
    unit=st.sampled_from(["days", "months"]),
    first_day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
)
def test_any_plan_adds_up_exactly(cents, count, digits, interval, unit, first_day):
    unit_amount = Decimal(1).scaleb(-digits)
    total = cents * unit_amount
    if total < count * unit_amount:
        assert problem_of(split, total, count, first_day, interval, unit, digits=digits) == ScheduleProblem.TOO_SMALL
        return
    plan = split(total, count, first_day, interval, unit, digits=digits)
    parts = amounts(plan)
    assert sum(parts) == total
    assert all(part > 0 and part == part.quantize(unit_amount) for part in parts)
    assert len(set(parts[:-1])) <= 1  # equal parts; the last one absorbs the rounding
    assert abs(parts[-1] - total / count) < count * unit_amount
    dates = [installment.due_date for installment in plan]
    assert dates == sorted(set(dates))
    validate(plan, total, digits)


@given(
    cents=st.integers(min_value=2, max_value=10**9),
    first_share=st.floats(min_value=0.01, max_value=0.99),
    count=st.integers(min_value=2, max_value=24),
)
def test_any_plan_with_a_first_amount_adds_up_exactly(cents, first_share, count):
    total = Decimal(cents) / 100
    first = (total * Decimal(str(first_share))).quantize(Decimal("0.01"))
    if first <= 0:
        expected = ScheduleProblem.FIRST_AMOUNT_NOT_POSITIVE
    elif first >= total:
        expected = ScheduleProblem.FIRST_AMOUNT_TOO_LARGE
    elif total - first < (count - 1) * Decimal("0.01"):
        expected = ScheduleProblem.TOO_SMALL
    else:
        plan = split(total, count, date(2026, 1, 31), first_amount=first)
        assert plan[0].amount == first
        assert sum(amounts(plan)) == total
        assert all(amount > 0 for amount in amounts(plan))
        return
    assert problem_of(split, total, count, date(2026, 1, 31), first_amount=first) == expected


def test_a_plan_as_made_is_valid_and_edits_are_checked():
    plan = split(100, 3, date(2026, 1, 15))
    validate(plan, 100)
    edited = (plan[0], Installment(2, date(2026, 2, 15), Decimal("40.00")), plan[2])
    with pytest.raises(ScheduleError) as error:
        validate(edited, 100)
    assert error.value.problem == ScheduleProblem.SUM_MISMATCH


def test_edited_amounts_read_from_floats():
    validate([Installment(1, date(2026, 1, 1), 33.33), Installment(2, date(2026, 2, 1), 33.33),
              Installment(3, date(2026, 3, 1), 33.34)], 100.0)


def test_edits_name_the_installment_at_fault():
    zero = (Installment(1, date(2026, 1, 1), Decimal(100)), Installment(2, date(2026, 2, 1), Decimal(0)))
    with pytest.raises(ScheduleError) as error:
        validate(zero, 100)
    assert (error.value.problem, error.value.sequence) == (ScheduleProblem.NOT_POSITIVE, 2)
    same_day = (Installment(1, date(2026, 1, 1), Decimal(50)), Installment(2, date(2026, 1, 1), Decimal(50)))
    with pytest.raises(ScheduleError) as error:
        validate(same_day, 100)
    assert (error.value.problem, error.value.sequence) == (ScheduleProblem.DATES_NOT_INCREASING, 2)
    with pytest.raises(ScheduleError) as error:
        validate((), 100)
    assert error.value.problem == ScheduleProblem.NO_INSTALLMENT


ITEMS = (
    ("march", date(2026, 3, 1), Decimal(100)),
    ("february", date(2026, 2, 1), Decimal(100)),
    ("february-bis", date(2026, 2, 1), Decimal(50)),
    ("paid", date(2026, 1, 1), Decimal(0)),
)


def test_a_payment_settles_the_oldest_first():
    assert allocate(Decimal(150), ITEMS) == Allocation(
        parts=(("february", Decimal(100)), ("february-bis", Decimal(50))), unallocated=Decimal(0),
    )
    assert allocate("30", ITEMS) == Allocation(parts=(("february", Decimal(30)),), unallocated=Decimal(0))
    assert allocate(200, ITEMS).parts[-1] == ("march", Decimal(50))


def test_what_is_paid_too_much_is_left_over():
    allocation = allocate(Decimal("300.01"), ITEMS)
    assert [key for key, _amount in allocation.parts] == ["february", "february-bis", "march"]
    assert allocation.unallocated == Decimal("50.01")


def test_no_payment_settles_nothing():
    assert allocate(0, ITEMS) == Allocation(parts=(), unallocated=Decimal(0))
    assert problem_of(allocate, -5, ITEMS) == ScheduleProblem.NOT_POSITIVE
