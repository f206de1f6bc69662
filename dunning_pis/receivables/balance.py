"""What a customer owes on its receivable account: open items net of its credits.

A customer's open credit notes, payments received and not yet matched, and other credits reduce what it
owes. A reminder claims that balance, so each credit is put against the open items the way the Code
civil imputes a payment the debtor did not assign (article 1342-10): first on the debts that are due,
and among them on the oldest. Money on its way (a payment approved at the payer's bank and not yet
settled, a direct debit sent to the bank) covers the items it pays and no others.
"""

import dataclasses
from collections import defaultdict
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class Item:
    """An open item of the receivable account: ``amount`` is its residual in company currency, > 0."""

    key: object
    due_date: object
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class Credit:
    """A credit of the account not yet matched: ``amount`` > 0, in company currency, since ``date``."""

    key: object
    date: object
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class Allocation:
    """``parts``: {item key: [(credit key, credit date, amount)]}; ``unused``: credit left over."""

    parts: dict
    unused: Decimal

    def covered(self, key):
        return sum((amount for _credit, _date, amount in self.parts.get(key, ())), Decimal(0))


def allocate(items, credits, on_date):
    """Put ``credits`` against ``items``: items due by ``on_date`` first, oldest due date first, then the
    items not yet due, oldest first; the oldest credit is used first (Code civil 1342-10)."""
    ordered = sorted(items, key=lambda item: (item.due_date > on_date, item.due_date, str(item.key)))
    left = [[credit.key, credit.date, Decimal(credit.amount)] for credit in sorted(
        credits, key=lambda credit: (credit.date, str(credit.key)))]
    parts = defaultdict(list)
    position = 0
    for item in ordered:
        owed = Decimal(item.amount)
        while owed > 0 and position < len(left):
            credit = left[position]
            used = min(owed, credit[2])
            parts[item.key].append((credit[0], credit[1], used))
            owed -= used
            credit[2] -= used
            if credit[2] == 0:
                position += 1
    unused = sum((credit[2] for credit in left[position:]), Decimal(0))
    return Allocation(dict(parts), unused)


@dataclasses.dataclass
class Position:
    """One customer's receivable account on a date, as dunning reads it.

    ``items`` are its open debit items (dicts with ``id``, ``due_date``, ``residual`` and ``claimable``,
    False when dunning leaves the item alone: disputed, promised, under an installment plan, excluded from
    follow-up); ``credits`` its open credits (``id``, ``date``, ``residual`` > 0); ``transit`` {item id:
    money on its way for it}; ``allocation`` the credits put against the claimable items. Amounts in
    company currency.
    """

    customer_id: int
    items: list = dataclasses.field(default_factory=list)
    credits: list = dataclasses.field(default_factory=list)
    transit: dict = dataclasses.field(default_factory=dict)
    allocation: Allocation = None

    def allocate(self, on_date):
        """Put the credits against the claimable items, once money on its way is taken off them."""
        self.allocation = allocate(
            [Item(item["id"], item["due_date"], item["residual"] - self.transit.get(item["id"], Decimal(0)))
             for item in self.items if item["claimable"]],
            [Credit(credit["id"], credit["date"], credit["residual"]) for credit in self.credits],
            on_date,
        )
        return self

    def claimed(self, item):
        """What is still claimed on ``item`` once money on its way and credits are taken off."""
        if not item["claimable"]:
            return Decimal(0)
        return item["residual"] - self.transit.get(item["id"], Decimal(0)) - self.allocation.covered(item["id"])
