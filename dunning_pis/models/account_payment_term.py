from odoo import Command, fields, models


class AccountPaymentTerm(models.Model):
    """A payment term with an early discount gets a twin without it for customers excluded from discounts:
    the same due dates, so that their invoices carry no discount anywhere (PDF, portal, payment, reminders)
    through Odoo's own payment-term logic rather than a second discount switch."""

    _inherit = "account.payment.term"

    dunning_no_discount_term_id = fields.Many2one(
        "account.payment.term", string="Same term without early discount", copy=False, readonly=True,
        ondelete="set null",
    )

    def _dunning_without_early_discount(self):
        self.ensure_one()
        if not self.early_discount:
            return self
        twin = self.dunning_no_discount_term_id
        if not twin:
            term = self.sudo()
            twin = term.create({
                "name": self.env._("%(term)s (no early discount)", term=self.name),
                "company_id": term.company_id.id,
                "note": term.note,
                "display_on_invoice": term.display_on_invoice,
                "sequence": term.sequence,
                "line_ids": [Command.create({**values, "payment_id": False}) for values in term.line_ids.copy_data()],
            })
            term.dunning_no_discount_term_id = twin
            twin = twin.with_env(self.env)
        return twin

    def write(self, vals):
        """A term whose due dates change gets a new twin when next needed; invoices keep the old one."""
        if {"line_ids", "note", "display_on_invoice"} & vals.keys():
            vals = {**vals, "dunning_no_discount_term_id": False}
        return super().write(vals)
