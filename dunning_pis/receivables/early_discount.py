"""What an early-payment discount (escompte) does to what the customer pays and to the VAT.

Odoo's payment terms carry the discount and book it; this states its arithmetic once, per tax
computation mode, so that an invoice can tell the customer both the amount to pay in time and the VAT
that amount contains (in France VAT is due on the price actually paid, so a discount taken lowers the
VAT the customer may deduct):

- ``included`` (Odoo: "on early payment"): the discount applies to the whole total, VAT included; the
  VAT is reduced when the discount is taken.
- ``excluded`` (Odoo: "never"): the discount applies to the untaxed amount only; the VAT stays as
  invoiced.
- ``mixed`` (Odoo: "always, upon invoice"): the invoice's VAT was already computed on the discounted
  base; the discount applies to the untaxed amount only.

Amounts are rounded half-up to the currency, as the payment term rounds them.
"""

import dataclasses
import enum
from decimal import ROUND_HALF_UP, Decimal


class TaxMode(enum.Enum):
    INCLUDED = "included"
    EXCLUDED = "excluded"
    MIXED = "mixed"


@dataclasses.dataclass(frozen=True)
class DiscountEffect:
    """``amount_due``: what settles the invoice in time; ``tax``: the VAT that amount contains."""

    amount_due: Decimal
    discount: Decimal
    tax: Decimal


def _decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def discount_effect(untaxed, tax, percent, mode, digits=2):
    """The effect of a ``percent`` discount on an invoice of ``untaxed`` + ``tax``, in ``mode``."""
    untaxed, tax, rate = _decimal(untaxed), _decimal(tax), _decimal(percent) / 100
    mode = TaxMode(mode)
    quantum = Decimal(1).scaleb(-digits)
    total = untaxed + tax
    if mode is TaxMode.INCLUDED:
        amount_due = (total * (1 - rate)).quantize(quantum, ROUND_HALF_UP)
        tax_due = (tax * (1 - rate)).quantize(quantum, ROUND_HALF_UP)
    else:
        amount_due = (total - untaxed * rate).quantize(quantum, ROUND_HALF_UP)
        tax_due = tax.quantize(quantum, ROUND_HALF_UP)
    return DiscountEffect(amount_due=amount_due, discount=total.quantize(quantum) - amount_due, tax=tax_due)
