"""Late-payment interest and the fixed indemnity for recovery costs (France: L441-10, D441-5).

Interest is owed from the day after the due date, without any reminder, at an annual rate that is,
unless the contract says otherwise, the ECB main refinancing rate plus 10 points: the rate in force on
1 January applies to the first half-year, the one in force on 1 July to the second. Days are counted
exactly, each calendar year over its own length (365 or 366 days); a payment stops the interest on
the amount it pays from the day after it is made. Amounts are rounded half-up to the currency.
"""

import calendar
import dataclasses
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

LEGAL_MARGIN_POINTS = Decimal(10)
RECOVERY_INDEMNITY = Decimal(40)


def half_year_start(day):
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _next_half_year(day):
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


@dataclasses.dataclass(frozen=True)
class RateTable:
    """Reference rates (percent) by the date they came into force, and the points added to them."""

    reference_rates: tuple
    margin_points: Decimal = LEGAL_MARGIN_POINTS

    def reference_rate(self, day):
        """The reference rate in force on the first day of ``day``'s half-year, or None if unknown."""
        start = half_year_start(day)
        known = [(since, rate) for since, rate in self.reference_rates if since <= start]
        return Decimal(str(max(known)[1])) if known else None

    def annual_rate(self, day):
        rate = self.reference_rate(day)
        return None if rate is None else rate + Decimal(str(self.margin_points))


@dataclasses.dataclass(frozen=True)
class FixedRate:
    """A contractual annual rate (percent) that replaces the legal one."""

    rate: Decimal

    def annual_rate(self, _day):
        return Decimal(str(self.rate))


class UnknownRate(ValueError):
    """No rate is known for a half-year the interest runs over."""

    def __init__(self, half_year):
        super().__init__(half_year)
        self.half_year = half_year


def _round(amount, digits):
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _balance_on(day, principal, payments):
    """What is still owed on ``day``: payments count from the day after they were made."""
    return principal - sum((Decimal(str(amount)) for paid_on, amount in payments if paid_on < day), Decimal(0))


def late_interest(principal, due_date, until, rates, payments=(), digits=2):
    """Interest owed on ``principal`` due on ``due_date``, counted up to and including ``until``.

    ``payments`` are (date, amount) pairs made after the due date; ``rates`` has ``annual_rate(day)``.
    Raises UnknownRate when the rate of a half-year in the period is not known.
    """
    principal = Decimal(str(principal))
    day, total = due_date + timedelta(days=1), Decimal(0)
    breaks = sorted({paid_on + timedelta(days=1) for paid_on, _amount in payments})
    while day <= until:
        end = min([_next_half_year(day), until + timedelta(days=1)] + [b for b in breaks if b > day])
        balance = _balance_on(day, principal, payments)
        if balance > 0:
            rate = rates.annual_rate(day)
            if rate is None:
                raise UnknownRate(half_year_start(day))
            year_length = 366 if calendar.isleap(day.year) else 365
            total += balance * rate / 100 * (end - day).days / year_length
        day = end
    return _round(total, digits)


def recovery_indemnity(is_business, already_charged, amount=RECOVERY_INDEMNITY):
    """The fixed indemnity owed for one late invoice: business customers only, once per invoice."""
    return Decimal(0) if already_charged or not is_business else Decimal(str(amount))
