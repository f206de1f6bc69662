from odoo import fields, models
from odoo.tools import SQL


class DunningEarlyDiscountReport(models.Model):
    """Early-payment discounts granted, as booked by Odoo: the lines a payment made in time puts on the
    company's cash-discount loss account. Their sum is the cost of the discounts, VAT excluded (the VAT a
    discount removes was never the company's)."""

    _name = "dunning.early.discount.report"
    _description = "Early-payment discounts granted"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "payment_move_id"

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    invoice_id = fields.Many2one(
        "account.move", string="Invoice", readonly=True,
        help="The invoice the payment settled; empty when one payment settled several.",
    )
    payment_move_id = fields.Many2one("account.move", string="Payment entry", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(string="Discount granted", readonly=True, help="In company currency, VAT excluded.")

    @property
    def _table_query(self):
        return SQL("""
            SELECT line.id, line.date, line.company_id, partner.commercial_partner_id AS partner_id,
                   settled.invoice_id, line.move_id AS payment_move_id, line.company_currency_id AS currency_id,
                   line.balance AS amount
              FROM account_move_line line
              JOIN res_company company ON company.id = line.company_id
              JOIN account_move move ON move.id = line.move_id
              LEFT JOIN res_partner partner ON partner.id = line.partner_id
              LEFT JOIN LATERAL (
                    SELECT MIN(invoice_line.move_id) AS invoice_id
                      FROM account_move_line receivable
                      JOIN account_account account ON account.id = receivable.account_id
                      JOIN account_partial_reconcile partial ON partial.credit_move_id = receivable.id
                      JOIN account_move_line invoice_line ON invoice_line.id = partial.debit_move_id
                     WHERE receivable.move_id = line.move_id AND account.account_type = 'asset_receivable'
                       AND invoice_line.move_id != line.move_id
                    HAVING COUNT(DISTINCT invoice_line.move_id) = 1
              ) settled ON TRUE
             WHERE move.state = 'posted'
               AND line.account_id = company.account_journal_early_pay_discount_loss_account_id
        """)
