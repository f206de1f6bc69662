from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from ..installments import schedule
from ..models.dunning_communication import OPEN_PAYMENT_STATES
from ..models.dunning_installment import METHODS


class DunningInstallmentPlanWizard(models.TransientModel):
    """Offer an installment plan for one or several open invoices of a customer."""

    _name = "dunning.installment.plan.wizard"
    _description = "Offer an installment plan"

    invoice_ids = fields.Many2many("account.move", string="Invoices", required=True)
    partner_id = fields.Many2one("res.partner", compute="_compute_partner")
    currency_id = fields.Many2one("res.currency", compute="_compute_partner")
    open_amount = fields.Monetary(string="Left to pay", compute="_compute_partner")
    count = fields.Integer(string="Installments", default=3, required=True)
    first_date = fields.Date(string="Date of the first installment", default=fields.Date.context_today,
                             required=True)
    interval = fields.Integer(string="Every", default=30, required=True)
    interval_unit = fields.Selection([("days", "days"), ("months", "months")], default="days", required=True)
    first_amount = fields.Monetary(
        string="Amount of the first installment",
        help="Leave at zero for equal installments; otherwise the rest is split equally among the next ones.",
    )
    first_method = fields.Selection(METHODS, string="First paid by", default="pay_by_bank", required=True)
    other_method = fields.Selection(METHODS, string="Next ones paid by", default="sepa_direct_debit", required=True)
    fee_amount = fields.Monetary(string="Plan fee")
    schedule_preview = fields.Text(string="Schedule", compute="_compute_schedule_preview")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, ids = self.env.context.get("active_model"), self.env.context.get("active_ids") or []
        if model == "account.move":
            values["invoice_ids"] = [(6, 0, ids)]
        elif model == "res.partner":
            partners = self.env["res.partner"].browse(ids).commercial_partner_id
            values["invoice_ids"] = [(6, 0, self.env["account.move"].search([
                ("commercial_partner_id", "in", partners.ids), ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"), ("payment_state", "in", OPEN_PAYMENT_STATES),
                ("company_id", "=", self.env.company.id),
            ]).ids)]
        return values

    @api.depends("invoice_ids")
    def _compute_partner(self):
        for wizard in self:
            wizard.partner_id = wizard.invoice_ids.commercial_partner_id[:1]
            wizard.currency_id = wizard.invoice_ids.currency_id[:1] or self.env.company.currency_id
            wizard.open_amount = sum(wizard.invoice_ids.mapped("amount_residual"))

    @api.depends("open_amount", "fee_amount", "count", "first_date", "interval", "interval_unit", "first_amount")
    def _compute_schedule_preview(self):
        """The installments the plan will have, or why it cannot be split so, before it is prepared."""
        for wizard in self:
            if not wizard.first_date or wizard.count < 1:
                wizard.schedule_preview = False
                continue
            try:
                parts = wizard._schedule()
            except schedule.ScheduleError as error:
                wizard.schedule_preview = self.env["dunning.installment.plan"]._schedule_message(error)
                continue
            kind = (self.env._("Equal installments:") if not wizard.first_amount
                    else self.env._("A first installment of the amount given, the rest split equally:"))
            lines = [self.env._("%(date)s: %(amount)s", date=format_date(self.env, part.due_date),
                                amount=formatLang(self.env, float(part.amount), currency_obj=wizard.currency_id))
                     for part in parts]
            wizard.schedule_preview = "\n".join([kind, *lines])

    def _schedule(self):
        return schedule.split(
            Decimal(str(self.open_amount)) + Decimal(str(self.fee_amount)), self.count, self.first_date,
            self.interval, self.interval_unit, Decimal(str(self.first_amount)) if self.first_amount else None,
            self.currency_id.decimal_places,
        )

    def _check_invoices(self):
        invoices = self.invoice_ids
        if not invoices:
            raise UserError(self.env._("Choose the invoices the plan is for."))
        if any(move.move_type != "out_invoice" or move.state != "posted" or move.payment_state not in
               OPEN_PAYMENT_STATES for move in invoices):
            raise UserError(self.env._("A plan covers posted customer invoices that are not paid yet."))
        if len(invoices.commercial_partner_id) > 1 or len(invoices.currency_id) > 1 or len(invoices.company_id) > 1:
            raise UserError(self.env._("A plan covers invoices of one customer, in one currency and one company."))
        self.env["dunning.installment.plan"]._check_invoices_free(invoices, ("draft", "proposed", "active"))

    def action_create_plan(self):
        self.ensure_one()
        self._check_invoices()
        plan_model = self.env["dunning.installment.plan"]
        try:
            parts = self._schedule()
        except schedule.ScheduleError as error:
            raise UserError(plan_model._schedule_message(error)) from error
        methods = [self.first_method] + [self.other_method] * (len(parts) - 1)
        plan = plan_model._create_from_schedule(self.invoice_ids, parts, methods, self.fee_amount)
        return {
            "type": "ir.actions.act_window", "res_model": plan._name, "res_id": plan.id, "view_mode": "form",
            "target": "current",
        }
