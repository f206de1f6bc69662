"""Telling the debtor before a SEPA Core direct debit: the pre-notification (EPC SDD Core rulebook).

EPC016-06 SDD Core rulebook, section 4.6.4 "Collection of the Direct Debit Transaction", PT-04.02
"Creditor to Debtor Pre-notification": before sending the collection to its bank, the creditor notifies
the debtor of the amount and the due date; the notice may be a schedule of payments for a number of
repetitive direct debits; it must be sent at the latest 14 calendar days before the due date, unless
another time-line is agreed between the debtor and the creditor.

So a debit may go in a file only if the debtor was told *this* amount for *this* date, and told at least
the agreed number of days (14 by default) before that date; any change of amount or date needs a new notice.
"""

import dataclasses
import enum
from datetime import date, timedelta
from decimal import Decimal

RULEBOOK_DAYS = 14


@dataclasses.dataclass(frozen=True)
class Notice:
    amount: Decimal
    collection_date: date
    sent_on: date


class NoticeProblem(enum.Enum):
    MISSING = "missing"
    AMOUNT_CHANGED = "amount_changed"
    DATE_CHANGED = "date_changed"
    TOO_LATE = "too_late"


def problem(notice, amount, collection_date, days=RULEBOOK_DAYS):
    """Why ``notice`` does not cover a debit of ``amount`` on ``collection_date``, or None when it does."""
    if days < 1:
        raise ValueError(days)
    if notice is None:
        return NoticeProblem.MISSING
    if Decimal(notice.amount) != Decimal(amount):
        return NoticeProblem.AMOUNT_CHANGED
    if notice.collection_date != collection_date:
        return NoticeProblem.DATE_CHANGED
    if (notice.collection_date - notice.sent_on).days < days:
        return NoticeProblem.TOO_LATE
    return None


def first_date(due_date, today, days=RULEBOOK_DAYS):
    """The earliest collection date a notice sent ``today`` can announce for a debit due on ``due_date``."""
    return max(due_date, today + timedelta(days=days))
