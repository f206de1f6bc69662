from odoo import fields, models


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
    dunning_fixed_interest_rate = fields.Float(string="Fixed annual rate (%)", digits=(5, 3))
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
