from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formatLang

from ..direct_debit import identifiers
from ..receivables import legal_mentions
from ..receivables.late_charges import minimum_contractual_rate


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_auto_run = fields.Boolean(
        string="Automatic dunning",
        default=True,
        help="Send the reminders that are due every day, without anyone starting a run.",
    )
    dunning_default_policy_id = fields.Many2one(
        "dunning.policy", string="Default dunning policy",
        default=lambda self: self.env.ref("dunning_pis.policy_france", raise_if_not_found=False),
        help="The policy of customers that have none of their own.",
    )
    dunning_default_controller_id = fields.Many2one(
        "res.users", string="Default credit controller",
        help="Gets the phone calls and collection tasks of customers that have no credit controller.",
    )
    dunning_indemnity_amount = fields.Monetary(
        string="Recovery indemnity", currency_field="currency_id", default=40.0,
        help="Fixed indemnity for recovery costs owed by business customers per late invoice (France: 40 €, "
             "D441-5). Not subject to VAT.",
    )
    dunning_interest_mode = fields.Selection(
        [("legal", "ECB rate + margin"), ("fixed", "Fixed contractual rate")],
        string="Late-payment interest", default="legal", required=True,
    )
    dunning_interest_margin = fields.Float(
        string="Margin (points)", default=10.0, digits=(5, 3),
        help="Points added to the ECB main refinancing rate of the half-year (France: 10, L441-10).",
    )
    dunning_fixed_interest_rate = fields.Float(
        string="Fixed annual rate (%)", digits=(5, 3),
        help="A contractual rate between businesses, at least three times the legal interest rate (L441-10).",
    )
    dunning_invoice_charges = fields.Boolean(
        string="Invoice fees and interest",
        help="Reminders get a button that bills their fees, indemnities and interest on a draft customer invoice.",
    )
    dunning_fee_account_id = fields.Many2one(
        "account.account", string="Fees and indemnities account", check_company=True,
    )
    dunning_interest_account_id = fields.Many2one(
        "account.account", string="Late-payment interest account", check_company=True,
    )
    dunning_last_run_date = fields.Date(
        string="Last dunning run", readonly=True, copy=False,
        help="Date of the last dunning run; every run writes it first, which also keeps two runs from "
             "interleaving.",
    )
    dunning_no_early_discount_default = fields.Boolean(
        string="New customers without early discount",
        help="Customers created from now on are excluded from early-payment discounts until someone allows them.",
    )
    dunning_legal_mentions = fields.Boolean(
        string="Payment mentions on invoices", compute="_compute_dunning_legal_mentions", store=True, readonly=False,
        help="Customer invoices show the due date, the early-payment terms, the late-payment interest rate and "
             "the recovery indemnity (France: L441-9, L441-10, D441-5). On by default for French companies.",
    )
    dunning_mention_due_date = fields.Char(
        string="Due date wording", translate=True, help="Empty: the standard wording. Placeholder: {date}.",
    )
    dunning_mention_discount = fields.Char(
        string="Early discount wording", translate=True,
        help="Empty: the standard wording. Placeholders: {percent}, {date}, {amount} (to pay in time), "
             "{tax} (VAT it contains).",
    )
    dunning_mention_no_discount = fields.Char(
        string="No early discount wording", translate=True, help="Empty: the standard wording.",
    )
    dunning_mention_late_interest = fields.Char(
        string="Late interest wording", translate=True,
        help="Empty: the standard wording. Placeholder: {rate} (annual rate in force on the due date).",
    )
    dunning_mention_indemnity = fields.Char(
        string="Recovery indemnity wording", translate=True, help="Empty: the standard wording. Placeholder: {amount}.",
    )

    dunning_sepa_creditor_identifier = fields.Char(
        string="SEPA creditor identifier",
        help="Identifies the company as a SEPA direct-debit creditor (France: given by the Banque de France, "
             "e.g. FR72ZZZ123456).",
    )
    dunning_sepa_prenotification_days = fields.Integer(
        string="Pre-notification days", default=14,
        help="How many calendar days before a direct debit the customer is told its amount and date. The SEPA "
             "rulebook asks 14 unless the creditor and the debtor agreed on another period (say so in your terms).",
    )
    dunning_plan_break_days = fields.Integer(
        string="Grace days before a plan breaks", default=5,
        help="An installment still unpaid this many days after its date breaks its plan.",
    )
    dunning_plan_break_rejections = fields.Integer(
        string="Rejected debits before a plan breaks", default=2,
        help="A plan breaks as soon as this many of its direct debits were rejected.",
    )

    @api.depends("country_id")
    def _compute_dunning_legal_mentions(self):
        for company in self:
            company.dunning_legal_mentions = company.country_id.code == "FR"

    @api.constrains("dunning_sepa_creditor_identifier")
    def _check_dunning_sepa_creditor_identifier(self):
        for company in self.filtered("dunning_sepa_creditor_identifier"):
            if not identifiers.is_valid_creditor_identifier(company.dunning_sepa_creditor_identifier):
                raise ValidationError(self.env._(
                    "%(identifier)s is not a valid SEPA creditor identifier.",
                    identifier=company.dunning_sepa_creditor_identifier,
                ))

    @api.constrains("dunning_interest_mode", "dunning_fixed_interest_rate")
    def _check_dunning_contractual_rate(self):
        """L441-10: a contractual rate may not be below three times the legal interest rate, the one of the
        current half-year (else the latest one published)."""
        rates = self.env["dunning.interest.rate"].sudo()
        legal = rates._legal_rate_on(fields.Date.context_today(self))
        if legal is None:
            latest = rates.search([("rate_type", "=", "legal")], limit=1, order="date_start desc")
            legal = latest and Decimal(str(latest.reference_rate))
        if not legal:
            return
        floor = minimum_contractual_rate(legal)
        for company in self.filtered(lambda company: company.dunning_interest_mode == "fixed"):
            if Decimal(str(company.dunning_fixed_interest_rate)) < floor:
                raise ValidationError(self.env._(
                    "A contractual late-payment rate of %(rate)s %% is below three times the legal interest rate "
                    "(3 × %(legal)s %% = %(floor)s %%), which L441-10 of the Code de commerce forbids.",
                    rate=formatLang(self.env, company.dunning_fixed_interest_rate, digits=2),
                    legal=formatLang(self.env, float(legal), digits=2),
                    floor=formatLang(self.env, float(floor), digits=2),
                ))

    @api.constrains("dunning_sepa_prenotification_days")
    def _check_dunning_sepa_prenotification_days(self):
        if any(company.dunning_sepa_prenotification_days < 1 for company in self):
            raise ValidationError(self.env._("A direct debit is pre-notified at least one day before it."))

    @api.constrains("dunning_plan_break_days", "dunning_plan_break_rejections")
    def _check_dunning_plan_breaks(self):
        if any(company.dunning_plan_break_days < 0 or company.dunning_plan_break_rejections < 1 for company in self):
            raise ValidationError(self.env._(
                "Grace days cannot be negative, and a plan breaks after at least one rejected debit.",
            ))

    @api.constrains("dunning_mention_due_date", "dunning_mention_discount", "dunning_mention_no_discount",
                    "dunning_mention_late_interest", "dunning_mention_indemnity")
    def _check_dunning_mentions(self):
        for company in self:
            for mention in legal_mentions.PLACEHOLDERS:
                field = self._fields[f"dunning_mention_{mention}"]
                try:
                    legal_mentions.check(mention, company[field.name])
                except legal_mentions.WordingError as error:
                    allowed = ", ".join(f"{{{name}}}" for name in sorted(legal_mentions.PLACEHOLDERS[mention]))
                    raise ValidationError(self.env._(
                        "The wording “%(field)s” cannot be filled in: %(wrong)s. Write the placeholders as "
                        "{name}, among: %(allowed)s.",
                        field=field._description_string(self.env),
                        wrong=", ".join(f"{{{name}}}" for name in error.names) or self.env._("unbalanced braces"),
                        allowed=allowed or self.env._("none"),
                    )) from error
