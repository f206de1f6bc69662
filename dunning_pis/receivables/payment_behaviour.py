"""How a customer pays, and what the credit controller makes of it.

The figures come from the ledger (see ``dunning.payment.behaviour``): what the customer paid in the last
twelve months and how late, how many reminders its paid invoices needed, what it owes past due today.
From them each customer gets a payer profile, the three degrees of Odoo's own ``res.partner.trust``:
``good``, ``normal`` (average) or ``bad``; a customer without any of those figures gets none.

The ageing buckets of the aged balance, by days past the due date, are defined here once: the SQL of
the aged balance is written from them.
"""

import dataclasses
from decimal import Decimal

PROFILES = ("good", "normal", "bad")

# (bucket, first day late, last day late); None: open-ended. A credit not put against any item has its own. The
# keys sort in the order of the buckets, as reports group them.
AGE_BUCKETS = (
    ("0_not_due", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("91_over", 91, None),
)
CREDIT_BUCKET = "credit"


def age_bucket(days_late):
    """The bucket of an item ``days_late`` days past its due date (0 or less: not due yet)."""
    for bucket, first, last in AGE_BUCKETS:
        if (first is None or days_late >= first) and (last is None or days_late <= last):
            return bucket
    raise ValueError(days_late)


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """A company's rule, with the defaults shipped: a good payer pays within ``good_days`` days late on
    average and at least ``good_on_time`` % of its amounts on time; a bad payer pays more than ``bad_days``
    days late on average, or owes past due for longer than that on average, or needs ``bad_reminders``
    reminders or more per paid invoice."""

    good_days: Decimal = Decimal(5)
    good_on_time: Decimal = Decimal(80)
    bad_days: Decimal = Decimal(30)
    bad_reminders: Decimal = Decimal(2)


@dataclasses.dataclass(frozen=True)
class Behaviour:
    """One customer's figures: ``paid_amount`` paid in the last twelve months, ``avg_days_late`` of it
    (weighted by amount, early payments count as 0), ``on_time_share`` of it paid by the due date (%),
    ``reminders_per_invoice`` sent per invoice paid; ``overdue_amount`` owed past due today, net of credits
    and money on its way, and ``overdue_days`` its average days late (weighted by amount)."""

    paid_amount: Decimal = Decimal(0)
    avg_days_late: Decimal = Decimal(0)
    on_time_share: Decimal = Decimal(0)
    reminders_per_invoice: Decimal = Decimal(0)
    overdue_amount: Decimal = Decimal(0)
    overdue_days: Decimal = Decimal(0)


SHIPPED = Thresholds()


# Why a customer has its profile, the first that applies: bad, then what keeps it from good.
PAID_LATE, OWES_LATE, REMINDED = "paid_late", "owes_late", "reminded"
GOOD = "good"
NOTHING_PAID, PAID_A_BIT_LATE, NOT_ON_TIME, OWES_A_BIT_LATE = "nothing_paid", "paid_a_bit_late", "not_on_time", \
    "owes_a_bit_late"


def assess(behaviour, thresholds=SHIPPED):
    """(profile, reason): ``good``, ``normal`` or ``bad`` and why; (None, None) when nothing was paid in the
    period and nothing is past due."""
    paid, overdue = behaviour.paid_amount > 0, behaviour.overdue_amount > 0
    if not (paid or overdue):
        return None, None
    rules = (
        ("bad", PAID_LATE, paid and behaviour.avg_days_late > thresholds.bad_days),
        ("bad", OWES_LATE, overdue and behaviour.overdue_days > thresholds.bad_days),
        ("bad", REMINDED, paid and behaviour.reminders_per_invoice >= thresholds.bad_reminders),
        ("normal", NOTHING_PAID, not paid),
        ("normal", PAID_A_BIT_LATE, behaviour.avg_days_late > thresholds.good_days),
        ("normal", NOT_ON_TIME, behaviour.on_time_share < thresholds.good_on_time),
        ("normal", OWES_A_BIT_LATE, overdue and behaviour.overdue_days > thresholds.good_days),
    )
    return next(((value, reason) for value, reason, applies in rules if applies), ("good", GOOD))


def profile(behaviour, thresholds=SHIPPED):
    """``good``, ``normal`` or ``bad``; None when nothing was paid in the period and nothing is past due."""
    return assess(behaviour, thresholds)[0]
