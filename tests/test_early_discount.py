"""Escompte maths on Odoo's three tax computation modes, against hand-computed invoices."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from receivables.early_discount import discount_effect


def test_included_discounts_the_total_and_lowers_the_vat():
    # 1000 + 200 VAT, 2 %: 1176 to pay, of which 196 VAT (VAT due on the price actually paid).
    effect = discount_effect(1000, 200, 2, "included")
    assert effect.amount_due == Decimal("1176.00")
    assert effect.discount == Decimal("24.00")
    assert effect.tax == Decimal("196.00")


def test_excluded_discounts_the_untaxed_amount_and_keeps_the_vat():
    effect = discount_effect(1000, 200, 2, "excluded")
    assert effect.amount_due == Decimal("1180.00")
    assert effect.discount == Decimal("20.00")
    assert effect.tax == Decimal("200.00")


def test_mixed_invoice_already_carries_the_reduced_vat():
    # Odoo invoiced 1000 + 196 (VAT on 980); paid in time: 980 + 196.
    effect = discount_effect(1000, 196, 2, "mixed")
    assert effect.amount_due == Decimal("1176.00")
    assert effect.discount == Decimal("20.00")
    assert effect.tax == Decimal("196.00")


def test_rounds_half_up_to_the_currency():
    # 33.33 + 6.67 VAT, 2.5 %: 40 x 0.975 = 39.00 exactly; VAT 6.67 x 0.975 = 6.50325.
    effect = discount_effect("33.33", "6.67", "2.5", "included")
    assert (effect.amount_due, effect.tax) == (Decimal("39.00"), Decimal("6.50"))
    # 0 decimals (JPY): 10,001 x 0.99 = 9,900.99 → 9,901.
    assert discount_effect(10001, 0, 1, "included", digits=0).amount_due == Decimal(9901)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="rounded"):
        discount_effect(100, 20, 2, "rounded")


amounts = st.decimals(min_value=0, max_value=10**7, places=2)


@given(untaxed=amounts, tax=amounts, percent=st.decimals(min_value=0, max_value=100, places=2),
       mode=st.sampled_from(["included", "excluded", "mixed"]))
def test_discount_never_exceeds_the_total_nor_goes_negative(untaxed, tax, percent, mode):
    effect = discount_effect(untaxed, tax, percent, mode)
    assert Decimal(0) <= effect.amount_due <= untaxed + tax
    assert effect.amount_due + effect.discount == untaxed + tax
    assert effect.tax <= tax
