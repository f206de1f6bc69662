from odoo import fields, models
from odoo.tools import SQL

CHANNELS = [
    ("pay_by_bank", "Pay by bank"),
    ("transfer", "Bank transfer"),
    ("direct_debit", "Direct debit"),
    ("other", "Other"),
]


class DunningCollectionReport(models.Model):
    """What came in, by channel: each payment matched with a customer invoice, with the days since the first
    reminder that listed the invoice, so that the company sees what pay by bank changes.

    The channel of a payment: *pay by bank* when it comes from a pay-by-bank transaction, *direct debit* when
    it is an installment's debit collected, *other* for another online payment provider or a journal that is
    not a bank's (cash), else *bank transfer* (a payment registered on a bank journal or a bank statement line).
    Credit notes and exchange differences bring no money and are left out. Amounts in company currency.
    """

    _name = "dunning.collection.report"
    _inherit = ["dunning.ledger.report"]
    _description = "Collections by channel"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "move_id"
    _depends = {
        "account.partial.reconcile": ["amount", "max_date", "debit_move_id", "credit_move_id"],
        "dunning.line": ["state", "date", "invoice_id", "line_type"],
        "dunning.installment": ["debit_payment_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    payment_move_id = fields.Many2one("account.move", string="Payment entry", readonly=True)
    date = fields.Date(string="Paid on", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True, group_expand=True)
    amount = fields.Monetary(string="Collected", readonly=True)
    reminded = fields.Boolean(string="After a reminder", readonly=True)
    first_reminder_date = fields.Date(string="First reminder", readonly=True)
    days_after_reminder = fields.Integer(
        string="Days from the first reminder", readonly=True, aggregator="avg",
        help="From the first reminder that listed the invoice to this payment; empty when paid unreminded.",
    )
    days_late = fields.Integer(string="Days late", readonly=True, aggregator="avg")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT paid.id, paid.company_id, company.currency_id, paid.partner_id, paid.move_id, paid.payment_move_id,
                   paid.date, paid.amount, paid.days_late,
                   CASE WHEN provider.code = 'pay_by_bank' THEN 'pay_by_bank'
                        WHEN debit.id IS NOT NULL THEN 'direct_debit'
                        WHEN transaction.id IS NOT NULL OR paid.journal_type != 'bank' THEN 'other'
                        ELSE 'transfer' END AS channel,
                   first.date IS NOT NULL AS reminded, first.date AS first_reminder_date,
                   paid.date - first.date AS days_after_reminder
              FROM (%(payments)s) paid
              JOIN res_company company ON company.id = paid.company_id
         LEFT JOIN account_payment origin ON origin.id = paid.origin_payment_id
         LEFT JOIN payment_transaction transaction ON transaction.id = origin.payment_transaction_id
         LEFT JOIN payment_provider provider ON provider.id = transaction.provider_id
         LEFT JOIN LATERAL (SELECT installment.id FROM dunning_installment installment
                             WHERE installment.debit_payment_id = origin.id LIMIT 1) debit ON TRUE
         LEFT JOIN LATERAL (SELECT MIN(line.date) AS date FROM dunning_line line
                             WHERE line.invoice_id = paid.move_id AND line.line_type = 'due' AND line.state = 'sent'
                               AND line.date <= paid.date) first ON TRUE
            """,
            payments=self.env["dunning.payment.behaviour"]._payments_sql(self.env.companies),
        )
