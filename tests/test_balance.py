"""Credits against open items as the Code civil imputes an unassigned payment (article 1342-10): first on the
debts that are due, and among them on the oldest."""

from datetime import date
from decimal import Decimal

from receivables.balance import Credit, Item, allocate

ON = date(2026, 6, 30)


def test_a_credit_goes_to_the_oldest_due_item_first():
    items = [Item("B", date(2026, 6, 1), Decimal(300)), Item("A", date(2026, 5, 1), Decimal(500))]
    allocation = allocate(items, [Credit("C", date(2026, 6, 10), Decimal(600))], ON)
    assert allocation.parts == {
        "A": [("C", date(2026, 6, 10), Decimal(500))], "B": [("C", date(2026, 6, 10), Decimal(100))],
    }
    assert allocation.covered("B") == Decimal(100)
    assert allocation.unused == Decimal(0)


def test_due_items_before_items_not_yet_due():
    items = [Item("later", date(2026, 7, 15), Decimal(200)), Item("due", date(2026, 6, 20), Decimal(200))]
    allocation = allocate(items, [Credit("C", date(2026, 6, 1), Decimal(250))], ON)
    assert allocation.covered("due") == Decimal(200)
    assert allocation.covered("later") == Decimal(50)


def test_oldest_credit_used_first_and_what_is_left_over():
    items = [Item("A", date(2026, 5, 1), Decimal(100))]
    credits = [Credit("new", date(2026, 6, 20), Decimal(80)), Credit("old", date(2026, 6, 1), Decimal(70))]
    allocation = allocate(items, credits, ON)
    assert allocation.parts["A"] == [("old", date(2026, 6, 1), Decimal(70)), ("new", date(2026, 6, 20), Decimal(30))]
    assert allocation.unused == Decimal(50)


def test_control_no_credit_covers_nothing():
    allocation = allocate([Item("A", date(2026, 5, 1), Decimal(100))], [], ON)
    assert allocation.covered("A") == Decimal(0)
    assert allocation.parts == {}


def test_a_credit_note_goes_to_the_invoice_it_reverses_first():
    items = [Item("old", date(2026, 5, 1), Decimal(300), document="INV1"),
             Item("cancelled", date(2026, 6, 1), Decimal(500), document="INV2")]
    allocation = allocate(items, [Credit("RINV2", date(2026, 6, 10), Decimal(500), reverses="INV2")], ON)
    assert allocation.covered("cancelled") == Decimal(500), "the credit note of INV2 cancels INV2, not the oldest"
    assert allocation.covered("old") == Decimal(0)


def test_debts_bearing_charges_before_charges_invoices_among_the_due_ones():
    # 1342-10: among the debts due, those the debtor has most interest in paying: the ones bearing interest
    items = [Item("charges", date(2026, 4, 1), Decimal(50), document="CHG", bears_charges=False),
             Item("invoice", date(2026, 5, 1), Decimal(100), document="INV")]
    allocation = allocate(items, [Credit("PAY", date(2026, 6, 1), Decimal(100))], ON)
    assert allocation.covered("invoice") == Decimal(100)
    assert allocation.covered("charges") == Decimal(0)
