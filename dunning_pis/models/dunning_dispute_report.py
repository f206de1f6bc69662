from odoo import fields, models
from odoo.tools import SQL

AGES = [
    ("1_week", "Up to 7 days"),
    ("2_month", "8–30 days"),
    ("3_quarter", "31–90 days"),
    ("4_older", "> 90 days"),
]


class DunningDisputeReport(models.Model):
    """The invoices disputed and still open, by reason and by how long the dispute has lasted."""

    _name = "dunning.dispute.report"
    _description = "Disputes"
    _auto = False
    _order = "dispute_date, id"
    _rec_name = "move_id"
    _depends = {"account.move": ["dunning_disputed", "dunning_dispute_reason", "dunning_dispute_date",
                                 "amount_residual_signed", "payment_state", "state"]}

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    controller_id = fields.Many2one("res.users", string="Credit controller", readonly=True)
    reason = fields.Selection(lambda self: self.env["account.move"]._fields["dunning_dispute_reason"].selection,
                              readonly=True)
    note = fields.Text(string="Details", readonly=True)
    dispute_date = fields.Date(string="Disputed on", readonly=True)
    age_days = fields.Integer(string="Days in dispute", readonly=True, aggregator="avg")
    age = fields.Selection(AGES, string="In dispute for", readonly=True, group_expand=True)
    amount = fields.Monetary(string="Open", readonly=True)

    @property
    def _table_query(self):
        today = self.env.context.get("dunning_date") or fields.Date.context_today(self)
        return SQL(
            """
            SELECT move.id, move.id AS move_id, move.company_id, company.currency_id,
                   move.commercial_partner_id AS partner_id,
                   COALESCE((partner.dunning_controller_id ->> move.company_id::text)::int,
                            company.dunning_default_controller_id) AS controller_id,
                   move.dunning_dispute_reason AS reason, move.dunning_dispute_note AS note,
                   COALESCE(move.dunning_dispute_date, move.invoice_date) AS dispute_date,
                   %(today)s - COALESCE(move.dunning_dispute_date, move.invoice_date) AS age_days,
                   CASE WHEN %(today)s - COALESCE(move.dunning_dispute_date, move.invoice_date) <= 7 THEN '1_week'
                        WHEN %(today)s - COALESCE(move.dunning_dispute_date, move.invoice_date) <= 30 THEN '2_month'
                        WHEN %(today)s - COALESCE(move.dunning_dispute_date, move.invoice_date) <= 90 THEN '3_quarter'
                        ELSE '4_older' END AS age,
                   move.amount_residual_signed AS amount
              FROM account_move move
              JOIN res_company company ON company.id = move.company_id
              JOIN res_partner partner ON partner.id = move.commercial_partner_id
             WHERE move.dunning_disputed AND move.state = 'posted' AND move.move_type = 'out_invoice'
               AND move.payment_state IN ('not_paid', 'partial') AND move.company_id IN %(companies)s
            """,
            today=today, companies=tuple(self.env.companies.ids),
        )
