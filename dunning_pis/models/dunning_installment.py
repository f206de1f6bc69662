from odoo import api, fields, models
from odoo.tools import format_date

from ..installments import schedule

METHODS = [
    ("pay_by_bank", "Pay by bank"),
    ("sepa_direct_debit", "SEPA direct debit"),
    ("manual", "Bank transfer"),
]


class DunningInstallment(models.Model):
    """One dated amount of an installment plan, and how it is collected."""

    _name = "dunning.installment"
    _description = "Installment"
    _order = "plan_id, sequence"

    plan_id = fields.Many2one("dunning.installment.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(required=True, default=1)
    due_date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    method = fields.Selection(METHODS, required=True, default="sepa_direct_debit")
    paid_amount = fields.Monetary(string="Paid", compute="_compute_paid")
    amount_due = fields.Monetary(string="Left to pay", compute="_compute_paid")
    state = fields.Selection(
        [("open", "To pay"), ("late", "Late"), ("paid", "Paid")], compute="_compute_paid",
    )
    debit_batch_id = fields.Many2one("dunning.direct.debit.batch", string="Direct-debit batch", copy=False,
                                     index="btree_not_null")
    debit_state = fields.Selection(
        [("none", "Not collected"), ("exported", "In a file"), ("collected", "Collected"), ("rejected", "Rejected")],
        default="none", required=True, copy=False,
    )
    debit_payment_id = fields.Many2one("account.payment", string="Debit payment", readonly=True, copy=False)
    rejection_reason = fields.Char(readonly=True, copy=False)

    @api.depends("plan_id.name", "sequence", "due_date")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._("%(plan)s, installment %(sequence)s of %(date)s", plan=line.plan_id.name,
                                           sequence=line.sequence, date=format_date(self.env, line.due_date))

    @api.depends("plan_id.paid_amount", "plan_id.installment_ids.amount", "due_date")
    def _compute_paid(self):
        """The plan's payments settle its installments oldest first."""
        today = fields.Date.context_today(self)
        for plan in self.plan_id:
            lines = plan.installment_ids.sorted("sequence")
            allocation = schedule.allocate(
                plan.currency_id.round(plan.paid_amount),
                [(line.id, line.due_date, plan.currency_id.round(line.amount)) for line in lines],
            )
            paid = {key: float(amount) for key, amount in allocation.parts}
            for line in lines & self:
                line.paid_amount = paid.get(line.id, 0.0)
                line.amount_due = plan.currency_id.round(line.amount - line.paid_amount)
                if plan.currency_id.compare_amounts(line.paid_amount, line.amount) >= 0:
                    line.state = "paid"
                else:
                    line.state = "late" if line.due_date < today else "open"
        for line in self.filtered(lambda line: not line.plan_id):
            line.paid_amount, line.amount_due, line.state = 0.0, line.amount, "open"

    def action_record_rejection(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "dunning.direct.debit.reject", "view_mode": "form",
            "target": "new", "name": self.env._("Rejected direct debit"),
            "context": {"default_installment_id": self.id},
        }
