"""The pre-notification of a SEPA Core direct debit: EPC016-06 SDD Core rulebook, section 4.6.4, PT-04.02.

"The Pre-notification must be sent by the Creditor at the latest 14 Calendar Days before the Due Date
unless another time-line is agreed between the Debtor and the Creditor"; it gives the amount and the due
date, and may be a schedule of payments for repetitive direct debits.
"""

from datetime import date
from decimal import Decimal

import pytest
from direct_debit.prenotification import Notice, NoticeProblem, first_date, problem

DUE = date(2026, 12, 15)


def test_a_schedule_sent_14_calendar_days_before_covers_the_debit():
    assert problem(Notice(Decimal("300.00"), DUE, date(2026, 12, 1)), Decimal("300.00"), DUE) is None


def test_13_days_is_too_late_under_the_rulebook_default():
    assert problem(Notice(Decimal("300.00"), DUE, date(2026, 12, 2)), Decimal("300.00"), DUE) \
        is NoticeProblem.TOO_LATE


def test_an_agreed_shorter_period_is_honoured():
    notice = Notice(Decimal("300.00"), DUE, date(2026, 12, 12))
    assert problem(notice, Decimal("300.00"), DUE, days=3) is None
    assert problem(notice, Decimal("300.00"), DUE, days=4) is NoticeProblem.TOO_LATE


def test_another_amount_or_date_needs_a_new_notice():
    notice = Notice(Decimal("300.00"), DUE, date(2026, 11, 1))
    assert problem(notice, Decimal("120.00"), DUE) is NoticeProblem.AMOUNT_CHANGED
    assert problem(notice, Decimal("300.00"), date(2026, 12, 16)) is NoticeProblem.DATE_CHANGED
    assert problem(None, Decimal("300.00"), DUE) is NoticeProblem.MISSING


def test_a_new_notice_announces_the_first_date_it_can():
    assert first_date(DUE, date(2026, 11, 20)) == DUE
    assert first_date(DUE, date(2026, 12, 10)) == date(2026, 12, 24)
    assert first_date(DUE, date(2026, 12, 10), days=2) == DUE


def test_no_period_is_not_a_period():
    with pytest.raises(ValueError):
        problem(None, Decimal(1), DUE, days=0)
