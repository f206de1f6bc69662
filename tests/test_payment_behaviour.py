"""The payer profile a customer's figures give, with the shipped thresholds: good within 5 days late on
average and 80 % on time, bad beyond 30 days late (paid or still owed) or from 2 reminders per paid invoice."""

from decimal import Decimal as D

import pytest
from receivables.payment_behaviour import Behaviour, Thresholds, age_bucket, assess, profile


def test_no_figures_no_profile():
    assert profile(Behaviour()) is None


def test_on_time_with_nothing_overdue_is_good():
    assert profile(Behaviour(paid_amount=D(1000), avg_days_late=D(2), on_time_share=D(90))) == "good"


def test_control_on_time_on_average_but_too_often_late_is_average():
    # 5 days late on average is within the good bound, but only 70 % of the amounts came by the due date.
    assert profile(Behaviour(paid_amount=D(1000), avg_days_late=D(5), on_time_share=D(70))) == "normal"


def test_control_just_beyond_the_good_days_is_average():
    assert profile(Behaviour(paid_amount=D(1000), avg_days_late=D("5.01"), on_time_share=D(100))) == "normal"


def test_paying_more_than_a_month_late_is_bad():
    assert profile(Behaviour(paid_amount=D(1000), avg_days_late=D("30.5"), on_time_share=D(10))) == "bad"


def test_control_thirty_days_late_exactly_is_not_bad_yet():
    assert profile(Behaviour(paid_amount=D(1000), avg_days_late=D(30), on_time_share=D(10))) == "normal"


def test_a_customer_that_pays_nothing_and_owes_for_long_is_bad():
    # Nothing paid in the year, so no lateness from payments: what it owes past due tells.
    assert profile(Behaviour(overdue_amount=D(500), overdue_days=D(45))) == "bad"


def test_control_owing_a_few_days_past_due_with_nothing_paid_is_average():
    assert profile(Behaviour(overdue_amount=D(500), overdue_days=D(3))) == "normal"


def test_two_reminders_per_paid_invoice_is_bad_even_when_paid_on_time_at_last():
    assert profile(Behaviour(paid_amount=D(1000), avg_days_late=D(4), on_time_share=D(80),
                             reminders_per_invoice=D(2))) == "bad"


def test_a_good_payer_that_now_owes_for_long_is_not_good():
    good = Behaviour(paid_amount=D(1000), avg_days_late=D(0), on_time_share=D(100))
    assert profile(good) == "good"
    assert profile(Behaviour(**{**good.__dict__, "overdue_amount": D(200), "overdue_days": D(12)})) == "normal"
    assert profile(Behaviour(**{**good.__dict__, "overdue_amount": D(200), "overdue_days": D(31)})) == "bad"


def test_a_company_sets_its_own_thresholds():
    strict = Thresholds(good_days=D(0), good_on_time=D(100), bad_days=D(10), bad_reminders=D(1))
    figures = Behaviour(paid_amount=D(1000), avg_days_late=D(3), on_time_share=D(95), reminders_per_invoice=D("0.5"))
    assert profile(figures) == "good"
    assert profile(figures, strict) == "normal"
    assert profile(Behaviour(paid_amount=D(1), reminders_per_invoice=D(1), on_time_share=D(100)), strict) == "bad"


@pytest.mark.parametrize(("days", "bucket"), [
    (-10, "0_not_due"), (0, "0_not_due"), (1, "1_30"), (30, "1_30"), (31, "31_60"), (60, "31_60"), (61, "61_90"),
    (90, "61_90"), (91, "91_over"), (400, "91_over"),
])
def test_ageing_buckets(days, bucket):
    assert age_bucket(days) == bucket


@pytest.mark.parametrize(("figures", "expected"), [
    ({}, (None, None)),
    ({"paid_amount": D(1), "avg_days_late": D(31)}, ("bad", "paid_late")),
    ({"paid_amount": D(1), "avg_days_late": D(3), "on_time_share": D(90), "overdue_amount": D(1),
      "overdue_days": D(40)}, ("bad", "owes_late")),
    ({"paid_amount": D(1), "reminders_per_invoice": D(2), "on_time_share": D(100)}, ("bad", "reminded")),
    ({"overdue_amount": D(1), "overdue_days": D(3)}, ("normal", "nothing_paid")),
    ({"paid_amount": D(1), "avg_days_late": D(6), "on_time_share": D(100)}, ("normal", "paid_a_bit_late")),
    ({"paid_amount": D(1), "avg_days_late": D(1), "on_time_share": D(50)}, ("normal", "not_on_time")),
    ({"paid_amount": D(1), "on_time_share": D(100), "overdue_amount": D(1), "overdue_days": D(6)},
     ("normal", "owes_a_bit_late")),
    ({"paid_amount": D(1), "on_time_share": D(100)}, ("good", "good")),
])
def test_the_reason_of_each_profile(figures, expected):
    assert assess(Behaviour(**figures)) == expected
