"""Which reminder each customer gets on a run date: level selection and grouping, without the ORM.

A policy is an ordered list of levels, each with a delay in days relative to the due date (negative
for preventive reminders sent before it). Each open item of the receivable account (one maturity of an
invoice) climbs the levels one at a time on its own due date: a level is skipped only when the policy
allows it, or when it is a preventive reminder that is no longer true.

A customer gets at most one communication per run, at the most advanced level reached, and none within
the policy's minimum gap after the previous one. It claims the customer's balance: every overdue item
is listed, those that climb a level with it and the others at the level they reached, and the reminder
goes only when what is still claimed on them, once the customer's credits and money on its way are
taken off, is positive and reaches the level's minimum. When a customer has overdue items, preventive
reminders wait.
"""

import dataclasses
import enum
from collections import defaultdict
from datetime import timedelta


@dataclasses.dataclass(frozen=True)
class Level:
    id: int
    delay_days: int
    min_amount: float = 0.0
    charges: bool = False

    @property
    def preventive(self):
        return self.delay_days < 0


@dataclasses.dataclass(frozen=True)
class Policy:
    id: int
    levels: tuple
    min_gap_days: int = 0
    allow_skip: bool = False

    def index_of(self, level_id):
        return next((i for i, level in enumerate(self.levels) if level.id == level_id), -1)


@dataclasses.dataclass(frozen=True)
class OpenItem:
    """An open receivable item as dunning sees it; ``amount`` is what is still claimed on it, in company
    currency, once the customer's credits and the money on its way are taken off (0 when covered)."""

    id: int
    customer_id: int
    policy_id: int
    due_date: object
    amount: float
    reached_level_id: int = None


@dataclasses.dataclass(frozen=True)
class Reminder:
    """One communication to propose: the customer, its level, the items that climb a level with it
    (``lines``: (item, level)) and the other items it lists (``listed``: (item, level reached or None))."""

    customer_id: int
    policy_id: int
    level_id: int
    lines: tuple
    listed: tuple = ()


class PolicyProblem(enum.Enum):
    NO_LEVELS = "no_levels"
    OUT_OF_ORDER = "out_of_order"
    EARLY_CHARGES = "early_charges"
    NEGATIVE_GAP = "negative_gap"


def policy_problems(levels, min_gap_days=0):
    """What makes a list of levels unusable: [(problem, index of the offending level or None)].

    Levels must have strictly increasing delays in their order, and a level that charges fees or
    interest, or that is not a plain reminder, cannot come before the due date.
    """
    problems = []
    if not levels:
        problems.append((PolicyProblem.NO_LEVELS, None))
    for index in range(1, len(levels)):
        if levels[index].delay_days <= levels[index - 1].delay_days:
            problems.append((PolicyProblem.OUT_OF_ORDER, index))
    problems += [
        (PolicyProblem.EARLY_CHARGES, index) for index, level in enumerate(levels) if level.preventive and level.charges
    ]
    if min_gap_days < 0:
        problems.append((PolicyProblem.NEGATIVE_GAP, None))
    return problems


def next_level(policy, reached_level_id, days_from_due):
    """The level an invoice moves to today, or None.

    ``days_from_due`` is the run date minus the due date (negative before it). Preventive levels are
    only sent while they are true: not once the invoice is overdue, and not when a later preventive
    level is already reached (a "due in 7 days" reminder on the eve of the due date would mislead).
    """
    start = policy.index_of(reached_level_id) + 1
    eligible = [level for level in policy.levels[start:] if not (level.preventive and days_from_due > 0)]
    reached = [level for level in eligible if level.delay_days <= days_from_due]
    latest_preventive = [level for level in reached if level.preventive][-1:]
    reached = [level for level in reached if not level.preventive or level in latest_preventive]
    if not reached:
        return None
    return reached[-1] if policy.allow_skip else reached[0]


def plan(run_date, policies, items, last_contact=None):
    """The reminders of a run on ``run_date``.

    ``policies`` maps a policy id to its Policy, ``items`` are OpenItem, ``last_contact`` maps a
    customer id to the date of the last communication sent or pending for it.
    """
    last_contact = last_contact or {}
    by_customer = defaultdict(list)
    for item in items:
        if item.policy_id in policies:
            by_customer[item.customer_id, item.policy_id].append(item)
    reminders = []
    for (customer_id, policy_id), customer_items in sorted(by_customer.items()):
        policy = policies[policy_id]
        previous = last_contact.get(customer_id)
        if previous is not None and (run_date - previous).days < policy.min_gap_days:
            continue
        reminder = _reminder(run_date, policy, customer_id, customer_items)
        if reminder:
            reminders.append(reminder)
    return reminders


def _reminder(run_date, policy, customer_id, items):
    """The reminder of one customer, or None. Overdue items take precedence over preventive ones; what
    a reminder lists is every item due by the latest due date it reminds, so that the credits, which
    are put against the oldest items first, are all against items it lists."""
    found = [(item, next_level(policy, item.reached_level_id, (run_date - item.due_date).days))
             for item in items if item.amount > 0]
    found = [(item, level) for item, level in found if level is not None]
    overdue = [(item, level) for item, level in found if not level.preventive]
    still_overdue = any(item.amount > 0 and item.due_date < run_date for item in items)
    chosen = overdue or ([] if still_overdue else found)
    if not chosen:
        return None
    cutoff = listing_cutoff(run_date, [item.due_date for item, _level in chosen], preventive=not overdue)
    listed = [item for item in items if item.due_date <= cutoff]
    top = max((level for _item, level in chosen), key=lambda level: policy.index_of(level.id))
    claimed = sum(item.amount for item in listed)
    if claimed <= 0 or claimed < top.min_amount:
        return None
    climbing = {item.id for item, _level in chosen}
    return Reminder(
        customer_id=customer_id, policy_id=policy.id, level_id=top.id,
        lines=tuple((item.id, level.id) for item, level in sorted(chosen, key=_by_due_date)),
        listed=tuple((item.id, item.reached_level_id) for item in sorted(listed, key=lambda i: (i.due_date, i.id))
                     if item.id not in climbing),
    )


def listing_cutoff(run_date, reminded_due_dates, preventive):
    """The last due date a reminder lists: every overdue item, or for a preventive reminder the items due
    up to the last one it reminds, so that the credits, put against the oldest items first, are all
    against items it lists."""
    return max(reminded_due_dates) if preventive else run_date - timedelta(days=1)


def _by_due_date(pair):
    return pair[0].due_date, pair[0].id
