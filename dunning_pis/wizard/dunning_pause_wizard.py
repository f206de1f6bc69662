from odoo import api, fields, models
from odoo.exceptions import UserError


class DunningPauseWizard(models.TransientModel):
    """Pause the dunning of invoices: a dispute until cleared, or a promise to pay until its date."""

    _name = "dunning.pause.wizard"
    _description = "Pause dunning"

    kind = fields.Selection([("dispute", "Dispute"), ("promise", "Promise to pay")], required=True)
    invoice_ids = fields.Many2many("account.move", required=True)
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    reason = fields.Selection(lambda self: self.env["account.move"]._fields["dunning_dispute_reason"].selection)
    note = fields.Text(string="Details")
    date = fields.Date(default=fields.Date.context_today, required=True)
    amount = fields.Monetary(string="Promised amount")

    @api.depends("invoice_ids")
    def _compute_currency_id(self):
        for wizard in self:
            wizard.currency_id = wizard.invoice_ids.currency_id[:1]

    @api.model
    def _open(self, invoices, kind):
        if invoices.filtered(lambda m: m.move_type != "out_invoice" or m.state != "posted"):
            raise UserError(self.env._("Only posted customer invoices can have their dunning paused."))
        wizard = self.create({
            "kind": kind, "invoice_ids": [fields.Command.set(invoices.ids)],
            "amount": sum(invoices.mapped("amount_residual")) if kind == "promise" else 0.0,
        })
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Dispute") if kind == "dispute" else self.env._("Promise to pay"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        if self.kind == "dispute":
            self.invoice_ids._dunning_record_dispute(self.reason, self.note, self.date)
            return
        if self.amount <= 0:
            raise UserError(self.env._("The promised amount must be positive."))
        # One amount for several invoices goes to the oldest first; an invoice it does not reach is not promised.
        left = self.amount
        for invoice in self.invoice_ids.sorted(lambda move: (move.invoice_date_due or move.date, move.id)):
            part = min(invoice.amount_residual, left)
            if invoice.currency_id.compare_amounts(part, 0.0) > 0:
                invoice._dunning_record_promise(self.date, part)
                left -= part
