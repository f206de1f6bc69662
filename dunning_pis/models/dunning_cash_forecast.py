from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

FORECAST_WEEKS = 13
SOURCES = [
    ("due", "Due date and lateness"),
    ("overdue", "Overdue, later than usual"),
    ("promise", "Promise to pay"),
    ("installment", "Installment"),
    ("debit", "Direct debit in a file"),
    ("pay_by_bank", "Payment by bank under way"),
]


class DunningCashForecast(models.Model):
    """Expected receipts by week for the next thirteen weeks, in company currency.

    From the aged balance, net of credits: each item is expected on its due date shifted by the customer's
    average lateness (``dunning.payment.behaviour``); an item already later than that has no date of its own
    and is counted today, apart (*overdue, later than usual*); a promise to pay brings the
    promised amount to its date; an installment plan brings its installments instead of the invoices it
    covers, a direct debit in a file on its collection date; a payment by bank approved at the payer's bank
    the next day. Disputed items are not expected, nor credits.
    """

    _name = "dunning.cash.forecast"
    _inherit = ["dunning.ledger.report"]
    _description = "Cash-in forecast"
    _auto = False
    _order = "date, partner_id, id"
    _depends = {
        "account.move": ["dunning_promise_date", "dunning_promise_amount", "amount_total", "amount_total_signed"],
        "dunning.payment.behaviour": ["avg_days_late"],
        "dunning.installment": ["due_date", "amount", "debit_state", "debit_amount"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    installment_id = fields.Many2one("dunning.installment", readonly=True)
    source = fields.Selection(SOURCES, readonly=True)
    due_date = fields.Date(readonly=True)
    date = fields.Date(string="Expected on", readonly=True)
    week = fields.Date(string="Week of", readonly=True, help="The Monday of the week the money is expected.")
    amount = fields.Monetary(string="Expected", readonly=True)

    @property
    def _table_query(self):
        today = self.env.context.get("dunning_date") or fields.Date.context_today(self)
        return self._rows_sql(self.env.companies, today)

    @api.model
    def _rows_sql(self, companies, today, items=None):
        """The expected receipts; ``items``: a query of the aged items (``dunning.aged.balance._items_sql``)
        already computed, to read instead of computing them."""
        first_week = today - timedelta(days=today.weekday())
        horizon = first_week + timedelta(weeks=FORECAST_WEEKS)
        installments = self._installment_rows(companies, today)
        transit_dates = self._transit_dates(companies, today)
        return SQL(
            """
            WITH aged AS (%(aged)s),
            lateness AS (
                SELECT company_id, partner_id, ROUND(avg_days_late)::int AS days
                  FROM dunning_payment_behaviour WHERE company_id IN %(companies)s
            ),
            expected AS (
                SELECT item.id, item.company_id, item.partner_id, item.move_id, item.due_date, item.net,
                       item.transit, move.dunning_promise_date AS promise_date,
                       CASE WHEN item.status = 'promised' THEN LEAST(item.net, GREATEST(0,
                            move.dunning_promise_amount * ABS(move.amount_total_signed) / NULLIF(move.amount_total, 0)
                            - COALESCE(SUM(item.net) OVER (PARTITION BY item.move_id ORDER BY item.due_date, item.id
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)))
                            ELSE 0 END AS promised,
                       item.due_date + COALESCE(lateness.days, 0) AS late_on
                  FROM aged item
                  JOIN account_move move ON move.id = item.move_id
             LEFT JOIN lateness ON lateness.company_id = item.company_id AND lateness.partner_id = item.partner_id
                 WHERE item.kind = 'item' AND item.status NOT IN ('disputed', 'plan')
            ),
            transit_dates(item_id, day) AS (%(transit_dates)s),
            installments(id, company_id, partner_id, move_id, source, due_date, day, amount) AS (%(installments)s),
            rows AS (
                SELECT id * 4 AS id, company_id, partner_id, move_id, NULL::int AS installment_id,
                       CASE WHEN late_on < %(today)s THEN 'overdue' ELSE 'due' END AS source,
                       due_date, GREATEST(%(today)s, late_on) AS date, net - promised AS amount
                  FROM expected
                 UNION ALL
                SELECT id * 4 + 1, company_id, partner_id, move_id, NULL, 'promise', due_date,
                       GREATEST(%(today)s, promise_date), promised
                  FROM expected
                 UNION ALL
                SELECT expected.id * 4 + 2, company_id, partner_id, move_id, NULL,
                       CASE WHEN transit_dates.day IS NULL THEN 'pay_by_bank' ELSE 'debit' END, due_date,
                       GREATEST(%(today)s, COALESCE(transit_dates.day, %(tomorrow)s)), transit
                  FROM expected
             LEFT JOIN transit_dates ON transit_dates.item_id = expected.id
                 UNION ALL
                SELECT -id, company_id, partner_id, move_id, id, source, due_date, GREATEST(%(today)s, day), amount
                  FROM installments
            )
            SELECT rows.*, company.currency_id, date_trunc('week', rows.date)::date AS week
              FROM rows
              JOIN res_company company ON company.id = rows.company_id
             WHERE rows.amount > 0 AND rows.date < %(horizon)s
            """,
            aged=items or self.env["dunning.aged.balance"]._items_sql(companies, today),
            companies=tuple(companies.ids) or (0,),
            today=today, tomorrow=today + timedelta(days=1), horizon=horizon,
            transit_dates=SQL("VALUES %s", SQL(", ").join(SQL("(%s, %s::date)", *row) for row in transit_dates))
            if transit_dates else SQL("SELECT 0, NULL::date WHERE FALSE"),
            installments=SQL("VALUES %s", SQL(", ").join(
                SQL("(%s, %s, %s, %s, %s, %s, %s::date, %s::numeric)", *row) for row in installments))
            if installments else SQL("SELECT 0, 0, 0, 0, '', NULL::date, NULL::date, 0::numeric WHERE FALSE"),
        )

    @api.model
    def _installment_rows(self, companies, today):
        """The installments still to come in of the active plans: a debit in a file on its collection date,
        for its amount; the others on their date, for what they have left to pay; in company currency."""
        installments = self.env["dunning.installment"].sudo().search([
            ("company_id", "in", companies.ids), ("plan_id.state", "=", "active"),
        ])
        rows = []
        for installment in installments:
            plan, company = installment.plan_id, installment.company_id
            if installment.debit_state == "exported":
                source, amount = "debit", installment.debit_amount
                day = installment._collection_date(installment.debit_batch_id.collection_date or installment.due_date)
            elif installment.state in ("open", "late"):
                source, amount, day = "installment", installment.amount_due, installment.due_date
            else:
                continue
            amount = plan.currency_id._convert(amount, company.currency_id, company, today)
            rows.append((installment.id, company.id, plan.partner_id.commercial_partner_id.id,
                         plan.invoice_ids[:1].id, source, installment.due_date, day, amount))
        return rows

    @api.model
    def _transit_dates(self, companies, today):
        """[(item id, day)]: the items a direct debit in a file pays, with its collection date (the others with
        money on their way wait for a payment by bank, settled the next day)."""
        installments = self.env["dunning.installment"].sudo().search([
            ("company_id", "in", companies.ids), ("debit_state", "=", "exported"),
        ])
        rows = []
        for installment in installments:
            day = installment._collection_date(installment.debit_batch_id.collection_date or installment.due_date)
            for item in installment.plan_id.invoice_ids.line_ids.filtered(
                    lambda line: line.account_type == "asset_receivable" and not line.reconciled):
                rows.append((item.id, max(day, today)))
        return rows
