"""What a customer owes on its receivable account: open items net of its credits.

A customer's open credit notes, payments received and not yet matched, and other credits reduce what it
owes. A reminder claims that balance, so each credit is put against the open items: a credit note that
reverses an invoice against that invoice first; what is left, and payments the debtor did not assign,
the way the Code civil imputes them (article 1342-10): first on the debts that are due, among them on
those the debtor has most interest in paying (the ones that bear late charges, before the charges
invoices that bear none), and among equals on the oldest. Money on its way (a payment approved at the
payer's bank and not yet settled, a direct debit sent to the bank) covers the items it pays and no
others.
"""

import dataclasses
from collections import defaultdict
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class Item:
    """An open item of the receivable account: ``amount`` is its residual in company currency, > 0;
    ``document`` the invoice it belongs to; ``bears_charges`` whether it bears late charges."""

    key: object
    due_date: object
    amount: Decimal
    document: object = None
    bears_charges: bool = True


@dataclasses.dataclass(frozen=True)
class Credit:
    """A credit of the account not yet matched: ``amount`` > 0, in company currency, since ``date``;
    ``reverses`` the invoice a credit note cancels, if any."""

    key: object
    date: object
    amount: Decimal
    reverses: object = None


@dataclasses.dataclass(frozen=True)
class Allocation:
    """``parts``: {item key: [(credit key, credit date, amount)]}; ``unused``: credit left over."""

    parts: dict
    unused: Decimal
    totals: dict = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "totals", {key: sum((amount for _credit, _date, amount in parts), Decimal(0))
                                            for key, parts in self.parts.items()})

    def covered(self, key):
        return self.totals.get(key, Decimal(0))


def allocate(items, credits, on_date):
    """Put ``credits`` against ``items``: a credit note against the invoice it reverses first; then items
    due by ``on_date`` before the others, those bearing charges first, the oldest first; the oldest credit
    is used first (Code civil 1342-10)."""
    owed = {item.key: Decimal(item.amount) for item in items}
    parts = defaultdict(list)

    def use(credit, left, candidates):
        for item in candidates:
            used = min(owed[item.key], left)
            if used > 0:
                parts[item.key].append((credit.key, credit.date, used))
                owed[item.key] -= used
                left -= used
        return left

    by_age = sorted(credits, key=lambda credit: (credit.date, str(credit.key)))
    left = {credit.key: Decimal(credit.amount) for credit in by_age}
    for credit in by_age:
        if credit.reverses is not None:
            own = sorted((item for item in items if item.document == credit.reverses),
                         key=lambda item: (item.due_date, str(item.key)))
            left[credit.key] = use(credit, left[credit.key], own)
    ordered = sorted(items, key=lambda item: (item.due_date > on_date, not item.bears_charges, item.due_date,
                                              str(item.key)))
    for credit in by_age:
        left[credit.key] = use(credit, left[credit.key], ordered)
    return Allocation(dict(parts), sum(left.values(), Decimal(0)))


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
            [Item(item["id"], item["due_date"], item["residual"] - self.transit.get(item["id"], Decimal(0)),
                  item.get("move_id"), item.get("bears_charges", True))
             for item in self.items if item["claimable"]],
            [Credit(credit["id"], credit["date"], credit["residual"], credit.get("reverses"))
             for credit in self.credits],
            on_date,
        )
        return self

    def claimed(self, item):
        """What is still claimed on ``item`` once money on its way and credits are taken off."""
        if not item["claimable"]:
            return Decimal(0)
        return item["residual"] - self.transit.get(item["id"], Decimal(0)) - self.allocation.covered(item["id"])
