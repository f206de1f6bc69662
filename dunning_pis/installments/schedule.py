"""Installment plans: a debt split into dated parts that add up to the cent, and payments settled oldest first.

A customer who cannot pay at once is offered to pay in parts. The parts must add up exactly to what is
owed, at the currency's precision, or the plan leaves a cent open (or asks a cent too much) that
nobody can explain: each regular part is the rest divided by their number, rounded half-up, and the
last part absorbs the rounding. Monthly due dates keep the first date's day of the month, clamped to
the end of shorter months (31 January, 28 February, 31 March), so that they do not drift.

Problems are reported as ``ScheduleProblem`` members; the Odoo models turn them into messages.
"""

import calendar
import dataclasses
import enum
import itertools
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

UNITS = ("days", "months")


@dataclasses.dataclass(frozen=True)
class Installment:
    sequence: int
    due_date: date
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class Allocation:
    """A payment spread over open items: ``parts`` are (key, amount) pairs, oldest due first."""

    parts: tuple
    unallocated: Decimal


class ScheduleProblem(enum.Enum):
    NO_INSTALLMENT = "no_installment"
    NOTHING_TO_SPLIT = "nothing_to_split"
    FIRST_AMOUNT_TOO_LARGE = "first_amount_too_large"
    FIRST_AMOUNT_NOT_TOTAL = "first_amount_not_total"
    FIRST_AMOUNT_NOT_POSITIVE = "first_amount_not_positive"
    BAD_INTERVAL = "bad_interval"
    BAD_UNIT = "bad_unit"
    TOO_SMALL = "too_small"
    SUM_MISMATCH = "sum_mismatch"
    NOT_POSITIVE = "not_positive"
    DATES_NOT_INCREASING = "dates_not_increasing"


class ScheduleError(ValueError):
    """A plan that cannot be made or kept; ``sequence`` is the offending installment's, when there is one."""

    def __init__(self, problem, sequence=None):
        super().__init__(problem, sequence)
        self.problem = problem
        self.sequence = sequence


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _round(amount, digits, rounding=ROUND_HALF_UP):
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=rounding)


def _add_months(day, months):
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(first_date, count, interval=1, unit="months"):
    """``count`` due dates from ``first_date``, every ``interval`` days or months.

    Months are counted from the first date, not from the previous due date: 31 January, then the
    last day of February, then 31 March.
    """
    if count < 1:
        raise ScheduleError(ScheduleProblem.NO_INSTALLMENT)
    if interval < 1:
        raise ScheduleError(ScheduleProblem.BAD_INTERVAL)
    if unit == "days":
        return tuple(first_date + timedelta(days=index * interval) for index in range(count))
    if unit == "months":
        return tuple(_add_months(first_date, index * interval) for index in range(count))
    raise ScheduleError(ScheduleProblem.BAD_UNIT)


def _equal_parts(rest, count, digits):
    """``rest`` in ``count`` parts at the precision, the last absorbing the rounding.

    Parts are rounded half-up; when that would leave nothing to the last part (a few cents over many
    installments), they are rounded down instead, which works whenever each part can get one unit.
    """
    for rounding in (ROUND_HALF_UP, ROUND_DOWN):
        part = _round(rest / count, digits, rounding)
        last = rest - part * (count - 1)
        if part > 0 and last > 0:
            return [part] * (count - 1) + [last]
    raise ScheduleError(ScheduleProblem.TOO_SMALL)


def split(total, count, first_date, interval=1, unit="months", first_amount=None, digits=2):
    """``total`` in ``count`` installments due from ``first_date``, as a tuple of Installment.

    ``total`` and ``first_amount`` are rounded half-up to ``digits`` (the currency's decimal places)
    first: amounts read from the ORM are floats. With ``first_amount`` the first installment is that
    amount and the rest is split equally among the others.
    """
    dates = due_dates(first_date, count, interval, unit)
    total = _round(_decimal(total), digits)
    if total <= 0:
        raise ScheduleError(ScheduleProblem.NOTHING_TO_SPLIT)
    if first_amount is None:
        amounts = _equal_parts(total, count, digits)
    else:
        first = _round(_decimal(first_amount), digits)
        if first <= 0:
            raise ScheduleError(ScheduleProblem.FIRST_AMOUNT_NOT_POSITIVE)
        if first > total or (first == total and count > 1):
            raise ScheduleError(ScheduleProblem.FIRST_AMOUNT_TOO_LARGE)
        if first < total and count == 1:
            raise ScheduleError(ScheduleProblem.FIRST_AMOUNT_NOT_TOTAL)
        amounts = [first] + (_equal_parts(total - first, count - 1, digits) if count > 1 else [])
    return tuple(
        Installment(sequence=index, due_date=day, amount=amount)
        for index, (day, amount) in enumerate(zip(dates, amounts, strict=True), start=1)
    )


def validate(installments, total, digits=2):
    """Check a plan as a user edited it, in its order: positive amounts, later and later dates, the exact sum.

    Raises ScheduleError with the sequence of the first offending installment, if any.
    """
    if not installments:
        raise ScheduleError(ScheduleProblem.NO_INSTALLMENT)
    amounts = [_round(_decimal(installment.amount), digits) for installment in installments]
    for installment, amount in zip(installments, amounts, strict=True):
        if amount <= 0:
            raise ScheduleError(ScheduleProblem.NOT_POSITIVE, installment.sequence)
    for previous, installment in itertools.pairwise(installments):
        if installment.due_date <= previous.due_date:
            raise ScheduleError(ScheduleProblem.DATES_NOT_INCREASING, installment.sequence)
    if sum(amounts, Decimal(0)) != _round(_decimal(total), digits):
        raise ScheduleError(ScheduleProblem.SUM_MISMATCH)


def allocate(payment_amount, open_items):
    """Spread a payment over open items, the oldest due first (ties in the given order).

    ``open_items`` are (key, due_date, open_amount); no item gets more than its open amount, and what
    is left over is ``unallocated``. Items with nothing open are passed over.
    """
    left = _decimal(payment_amount)
    if left < 0:
        raise ScheduleError(ScheduleProblem.NOT_POSITIVE)
    parts = []
    for key, _due_date, open_amount in sorted(open_items, key=lambda item: item[1]):
        if left <= 0:
            break
        if _decimal(open_amount) > 0:
            amount = min(left, _decimal(open_amount))
            parts.append((key, amount))
            left -= amount
    return Allocation(parts=tuple(parts), unallocated=left)
