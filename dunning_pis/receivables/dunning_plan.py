"""Which reminder each customer gets on a run date: level selection and grouping, without the ORM.

A policy is an ordered list of levels, each with a delay in days relative to the due date (negative
for preventive reminders sent before it). An invoice climbs the levels one at a time: a level is
skipped only when the policy allows it, or when it is a preventive reminder that is no longer true.
A customer gets at most one communication per run, at the most advanced level reached, listing every
invoice with the level it reached; and no communication within the policy's minimum gap after the
previous one. When a customer has overdue invoices, preventive reminders wait.
"""

import dataclasses
import enum
from collections import defaultdict


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
class OpenInvoice:
    """An open invoice as dunning sees it; ``amount`` is its residual in company currency."""

    id: int
    customer_id: int
    policy_id: int
    due_date: object
    amount: float
    reached_level_id: int = None


@dataclasses.dataclass(frozen=True)
class Reminder:
    """One communication to propose: the customer, its level, and each invoice with its level."""

    customer_id: int
    policy_id: int
    level_id: int
    lines: tuple


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


def plan(run_date, policies, invoices, last_contact=None):
    """The reminders of a run on ``run_date``.

    ``policies`` maps a policy id to its Policy, ``invoices`` are OpenInvoice, ``last_contact`` maps a
    customer id to the date of the last communication sent or pending for it.
    """
    last_contact = last_contact or {}
    candidates = defaultdict(list)
    for invoice in invoices:
        policy = policies.get(invoice.policy_id)
        if policy is None:
            continue
        level = next_level(policy, invoice.reached_level_id, (run_date - invoice.due_date).days)
        if level is not None:
            candidates[invoice.customer_id, invoice.policy_id].append((invoice, level))
    reminders = []
    for (customer_id, policy_id), found in sorted(candidates.items()):
        policy = policies[policy_id]
        previous = last_contact.get(customer_id)
        if previous is not None and (run_date - previous).days < policy.min_gap_days:
            continue
        lines = _lines_worth_sending(policy, found)
        if lines:
            top = max((level for _invoice, level in lines), key=lambda level: policy.index_of(level.id))
            reminders.append(Reminder(
                customer_id=customer_id, policy_id=policy_id, level_id=top.id,
                lines=tuple((invoice.id, level.id) for invoice, level in lines),
            ))
    return reminders


def _lines_worth_sending(policy, found):
    """Overdue invoices take precedence over preventive ones; each level needs its minimum amount."""
    overdue = [(invoice, level) for invoice, level in found if not level.preventive]
    chosen = overdue or found
    totals = defaultdict(float)
    for invoice, level in chosen:
        totals[level.id] += invoice.amount
    return sorted(
        ((invoice, level) for invoice, level in chosen if totals[level.id] >= level.min_amount),
        key=lambda pair: (pair[0].due_date, pair[0].id),
    )
