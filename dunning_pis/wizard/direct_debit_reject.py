from odoo import fields, models

from ..models.dunning_installment import REASON_CODES


class DunningDirectDebitReject(models.TransientModel):
    """The bank rejected or returned a debit: its payment is reversed on the return date and the installment
    is due again."""

    _name = "dunning.direct.debit.reject"
    _description = "Record a returned direct debit"

    installment_id = fields.Many2one("dunning.installment", required=True, readonly=True)
    reason = fields.Selection(REASON_CODES, string="Reason code", required=True)
    date = fields.Date(string="Returned on", required=True, default=fields.Date.context_today)

    def action_reject(self):
        self.ensure_one()
        self.installment_id._record_return(self.reason, self.date, "manual")
