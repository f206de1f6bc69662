"""Late-payment interest and the fixed indemnity for recovery costs, for business and consumer debtors.

French law gives a creditor two different regimes:

- **Business debtors** (Code de commerce, L441-10 and D441-5): interest is owed from the day after the
  due date, without any reminder, at the ECB main refinancing rate plus 10 points (the rate in force
  on 1 January applies to the first half-year, the one in force on 1 July to the second), or at a
  contractual rate that may not be below three times the legal interest rate; and a fixed indemnity
  for recovery costs of 40 € is owed once per late invoice.
- **Consumer debtors** (Code civil, 1231-6 and 1344-1): interest at the legal interest rate ("taux de
  l'intérêt légal", fixed by decree for each half-year; the rate "for all other cases" when the
  creditor is a business) runs only from the formal notice (mise en demeure); no indemnity, and the
  costs of recovery without an enforceable title stay with the creditor (Code des procédures civiles
  d'exécution, L111-8).

In both, interest is simple: no interest on interest unless agreed (Code civil, 1343-2); and it stops
at the opening judgment of collective proceedings (Code de commerce, L622-28).

Days are counted exactly, each calendar year over its own length (365 or 366 days); a payment stops
the interest on the amount it pays from the day after it is made. Amounts are rounded half-up to the
currency.
"""

import calendar
import dataclasses
import enum
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

LEGAL_MARGIN_POINTS = Decimal(10)
RECOVERY_INDEMNITY = Decimal(40)
# L441-10: a contractual rate "ne peut toutefois fixer un taux inférieur à trois fois le taux d'intérêt légal".
CONTRACTUAL_RATE_FLOOR_FACTOR = Decimal(3)
ONE_DAY = timedelta(days=1)


class Regime(enum.Enum):
    BUSINESS = "business"
    CONSUMER = "consumer"


def half_year_start(day):
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _next_half_year(day):
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclasses.dataclass(frozen=True)
class RateTable:
    """Reference rates (percent) by the date they came into force, and the points added to them.

    With ``carries_forward`` (the ECB rate), a rate stays in force until the next one; without it (the
    legal interest rate, fixed for each half-year), a half-year has a rate only if one starts with it.
    """

    reference_rates: tuple
    margin_points: Decimal = LEGAL_MARGIN_POINTS
    carries_forward: bool = True

    def reference_rate(self, day):
        """The reference rate that applies to ``day``'s half-year, or None if unknown."""
        start = half_year_start(day)
        if self.carries_forward:
            known = [(since, rate) for since, rate in self.reference_rates if since <= start]
        else:
            known = [(since, rate) for since, rate in self.reference_rates if since == start]
        return _decimal(max(known)[1]) if known else None

    def annual_rate(self, day):
        rate = self.reference_rate(day)
        return None if rate is None else rate + _decimal(self.margin_points)


@dataclasses.dataclass(frozen=True)
class FixedRate:
    """A contractual annual rate (percent) that replaces the legal one."""

    rate: Decimal

    def annual_rate(self, _day):
        return _decimal(self.rate)


@dataclasses.dataclass(frozen=True)
class FlooredRate:
    """A contractual rate between businesses, never below three times the legal interest rate of the
    half-year (L441-10): a clause below it cannot apply for that half-year. ``legal`` is the legal rate
    table; a half-year whose legal rate is unknown keeps the contractual rate."""

    rates: object
    legal: RateTable

    def annual_rate(self, day):
        rate, legal = self.rates.annual_rate(day), self.legal.annual_rate(day)
        if rate is None or legal is None:
            return rate
        return max(rate, minimum_contractual_rate(legal))


class UnknownRate(ValueError):
    """No rate is known for a half-year the interest runs over."""

    def __init__(self, half_year):
        super().__init__(half_year)
        self.half_year = half_year


def minimum_contractual_rate(legal_rate):
    """The lowest contractual rate L441-10 allows between businesses: three times the legal interest rate."""
    return _decimal(legal_rate) * CONTRACTUAL_RATE_FLOOR_FACTOR


def _round(amount, digits):
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _balance_on(day, principal, payments):
    """What is still owed on ``day``: payments count from the day after they were made."""
    return principal - sum((_decimal(amount) for paid_on, amount in payments if paid_on < day), Decimal(0))


def late_interest(principal, due_date, until, rates, payments=(), digits=2, since=None):
    """Interest owed on ``principal`` due on ``due_date``, counted up to and including ``until``.

    ``payments`` are (date, amount) pairs; ``rates`` has ``annual_rate(day)``; ``since`` is the first day
    counted when it is later than the day after the due date (a period already claimed, a formal notice).
    Raises UnknownRate when the rate of a half-year in the period is not known.
    """
    principal = _decimal(principal)
    day, total = max(due_date + ONE_DAY, since or due_date), Decimal(0)
    breaks = sorted({paid_on + ONE_DAY for paid_on, _amount in payments})
    while day <= until:
        end = min([_next_half_year(day), until + ONE_DAY] + [b for b in breaks if b > day])
        balance = _balance_on(day, principal, payments)
        if balance > 0:
            rate = rates.annual_rate(day)
            if rate is None:
                raise UnknownRate(half_year_start(day))
            year_length = 366 if calendar.isleap(day.year) else 365
            total += balance * rate / 100 * (end - day).days / year_length
        day = end
    return _round(total, digits)


def interest_period(regime, due_date, until, claimed_until=None, notice_date=None, proceedings_date=None):
    """(first day, last day) of the interest still to claim on ``until``, or None when there is none.

    Business debtor: from the day after the due date (L441-10). Consumer debtor: from the day after the
    formal notice, none before it (Code civil 1231-6, 1344-1). In both, after ``claimed_until`` (the last
    day an earlier reminder claimed), and no later than the day before the opening judgment of
    collective proceedings (L622-28).
    """
    start = due_date + ONE_DAY
    if regime is Regime.CONSUMER:
        if notice_date is None:
            return None
        start = max(start, notice_date + ONE_DAY)
    if claimed_until is not None:
        start = max(start, claimed_until + ONE_DAY)
    end = until if proceedings_date is None else min(until, proceedings_date - ONE_DAY)
    return (start, end) if start <= end else None


def recovery_indemnity(regime, amount=RECOVERY_INDEMNITY):
    """The fixed indemnity owed for one late invoice, once per invoice: by business debtors only (D441-5)."""
    return _decimal(amount) if regime is Regime.BUSINESS else Decimal(0)
