from odoo import fields, models
from odoo.exceptions import UserError

from ..models.dunning_direct_debit_batch import REJECTION_REASONS


class DunningDirectDebitReject(models.TransientModel):
    """The bank returned a collected debit: its payment is cancelled and the installment is due again."""

    _name = "dunning.direct.debit.reject"
    _description = "Record a rejected direct debit"

    installment_id = fields.Many2one("dunning.installment", required=True, readonly=True)
    reason = fields.Selection(REJECTION_REASONS, string="Reason code", required=True)

    def action_reject(self):
        self.ensure_one()
        line = self.installment_id
        if line.debit_state not in ("exported", "collected"):
            raise UserError(self.env._("Only a debit sent to the bank can be rejected."))
        payment = line.debit_payment_id
        if payment:
            payment.action_draft()
            payment.action_cancel()
        reason = dict(self._fields["reason"]._description_selection(self.env))[self.reason]
        line.write({"debit_state": "rejected", "debit_payment_id": False, "rejection_reason": reason})
        mandate = line.plan_id.mandate_id
        if not self.env["dunning.installment"].search_count([
            ("plan_id.mandate_id", "=", mandate.id), ("debit_state", "=", "collected"),
        ]):
            # EPC rulebook: until a first debit is actually collected, the next one is a first one again.
            mandate.collected = False
        line.plan_id.message_post(body=self.env._(
            "The direct debit of installment %(sequence)s was rejected: %(reason)s.",
            sequence=line.sequence, reason=reason,
        ))
        line.plan_id._count_rejected_debit()
