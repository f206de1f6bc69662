from odoo import api, fields, models

from .dunning_communication import OPEN_PAYMENT_STATES
from .dunning_level import TONES


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_policy_id = fields.Many2one(
        "dunning.policy", string="Dunning policy", company_dependent=True,
        help="Empty: the company's default policy.",
    )
    dunning_tone = fields.Selection(TONES, string="Dunning tone", help="Empty: the tone of each level.")
    dunning_contact_id = fields.Many2one(
        "res.partner", string="Dunning contact", domain="[('parent_id', '=', id)]",
        help="The address reminders go to; empty: the invoice address.",
    )
    dunning_blocked = fields.Boolean(string="Do not dun", tracking=True)
    dunning_block_reason = fields.Char(string="Reason not to dun", tracking=True)
    dunning_controller_id = fields.Many2one(
        "res.users", string="Credit controller", help="Empty: the company's default credit controller.",
    )
    dunning_in_collection = fields.Boolean(string="In collection", readonly=True, tracking=True, copy=False)
    dunning_collection_date = fields.Date(string="In collection since", readonly=True, copy=False)
    dunning_communication_ids = fields.One2many("dunning.communication", "partner_id", string="Reminders")
    dunning_no_early_discount = fields.Boolean(
        string="No early-payment discount", tracking=True,
        default=lambda self: self.env.company.dunning_no_early_discount_default,
        help="This customer's invoices carry no early-payment discount, even when their payment term has one.",
    )
    dunning_overdue_amount = fields.Monetary(
        string="Overdue", compute="_compute_dunning_overdue", currency_field="dunning_currency_id",
    )
    dunning_currency_id = fields.Many2one("res.currency", compute="_compute_dunning_overdue")
    dunning_level_id = fields.Many2one(
        "dunning.level", string="Dunning level", compute="_compute_dunning_overdue",
        help="The most advanced level reached by the customer's open invoices.",
    )

    @api.model
    def _commercial_fields(self):
        return [
            *super()._commercial_fields(),
            "dunning_policy_id", "dunning_tone", "dunning_blocked", "dunning_block_reason",
            "dunning_controller_id", "dunning_in_collection", "dunning_collection_date", "dunning_no_early_discount",
        ]

    @api.depends_context("company")
    def _compute_dunning_overdue(self):
        today = fields.Date.context_today(self)
        company = self.env.company
        groups = self.env["account.move"]._read_group(
            [("commercial_partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", company.id),
             ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
             ("payment_state", "in", OPEN_PAYMENT_STATES), ("invoice_date_due", "<", today)],
            ["commercial_partner_id"], ["amount_residual_signed:sum", "dunning_level_id:recordset"],
        )
        overdue = {partner: (amount, levels) for partner, amount, levels in groups}
        for partner in self:
            amount, levels = overdue.get(partner.commercial_partner_id, (0.0, self.env["dunning.level"]))
            partner.dunning_overdue_amount = amount
            partner.dunning_currency_id = company.currency_id
            partner.dunning_level_id = levels.sorted(lambda level: (level.sequence, level.delay_days))[-1:]

    def _dunning_policy(self, company):
        self.ensure_one()
        return self.with_company(company).commercial_partner_id.dunning_policy_id or company.dunning_default_policy_id

    def _dunning_is_business(self):
        """Whether the recovery indemnity applies: it is owed by businesses, not by consumers."""
        self.ensure_one()
        partner = self.commercial_partner_id
        return bool(partner.is_company or partner.vat)

    def _dunning_recipient(self):
        self.ensure_one()
        return self._dunning_recipients()[self]

    def _dunning_recipients(self):
        """{partner: contact the reminders go to}: the dunning contact, else the invoice address."""
        recipients = {}
        for partner in self:
            customer = partner.commercial_partner_id
            recipients[partner] = customer.dunning_contact_id or customer.browse(
                customer.address_get(["invoice"])["invoice"],
            )
        return recipients

    def action_dunning_view_overdue(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({
            "domain": [("commercial_partner_id", "=", self.commercial_partner_id.id),
                       ("payment_state", "in", OPEN_PAYMENT_STATES), ("state", "=", "posted")],
            "context": {"create": False, "search_default_dunning_overdue": 1},
        })
        return action

    def action_dunning_send_statement(self):
        """Email the statement of open invoices, with days late, indemnities and interest, as a PDF."""
        self.ensure_one()
        template = self.env.ref("dunning_pis.email_template_customer_statement")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": self.commercial_partner_id.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }

    def _dunning_statement_lines(self):
        """The open invoices of the statement, with what each owes today beyond its amount due."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        invoices = self.env["account.move"].search([
            ("commercial_partner_id", "=", self.commercial_partner_id.id), ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"), ("payment_state", "in", OPEN_PAYMENT_STATES),
            ("company_id", "=", self.env.company.id),
        ], order="invoice_date_due, name")
        figures = invoices._dunning_figures(today, indemnity=True, interest=True, claimed_once=False)
        return [dict(figures[invoice.id], invoice=invoice) for invoice in invoices]

    def action_dunning_leave_collection(self):
        self.write({"dunning_in_collection": False, "dunning_collection_date": False})
