import dataclasses
import json
import logging
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, formatLang

from ..receivables import payment_behaviour
from ..receivables.payment_behaviour import Behaviour, assess
from .dunning_aged_balance import PROFILES
from .dunning_ledger_report import without_jit

_logger = logging.getLogger(__name__)

# The countback goes back two years at most: a balance older than that is "more than two years of sales".
DSO_LOOKBACK_MONTHS = 24
# Most customers' balances are covered by their sales of the last six months (see ``_dso_sql``).
DSO_RECENT_MONTHS = 6
TREND_MONTHS = 12
# Payment behaviour is read over the last twelve months.
BEHAVIOUR_MONTHS = 12
# The figures of ``Behaviour``, columns of this model of the same names.
BEHAVIOUR_COLUMNS = tuple(figure.name for figure in dataclasses.fields(Behaviour))
REFRESH_LOCK = 190018  # pg advisory lock: one refresh of the figures at a time


class DunningPaymentBehaviour(models.Model):
    """How each customer pays, per company, computed from the ledger and the reconciliation history.

    Refreshed every night and after each dunning run (``_refresh``), in a few SQL statements, and stored so
    that lists, filters and the customer form are instant:

    - **DSO** by the countback method: the receivable balance on the day is matched against the sales (what
      the sales journals put on the receivable accounts: customer invoices) of the current month, then of each
      month before, until the balance is used up; DSO is the days of the months used up plus the share of the
      last month needed. Two years at most.
    - **Average days late**: over what the customer paid in the last twelve months, the days from each item's
      due date to its payment (the later date of the two lines matched), weighted by the amount paid; early
      payments count as 0. Credit notes and exchange differences are not payments.
    - **Paid on time**: the share of those amounts paid by the due date.
    - **Reminders per paid invoice**: the reminders sent about each invoice paid in the period before its last
      payment, on average.
    - **Overdue**: what the customer owes past due today, net of credits and money on its way (the aged
      balance), and its average days late.

    The payer profile follows from them (``receivables.payment_behaviour.profile``).
    """

    _name = "dunning.payment.behaviour"
    _description = "Payment behaviour"
    _order = "company_id, receivable_amount desc, id"
    _rec_name = "partner_id"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    date = fields.Date(string="Computed on", readonly=True)
    receivable_amount = fields.Monetary(string="Receivable", readonly=True,
                                        help="The customer's balance on the receivable accounts that day.")
    dso_days = fields.Float(string="DSO (days)", digits=(8, 1), readonly=True, aggregator="avg",
                            help="Days sales outstanding by the countback method.")
    dso_capped = fields.Boolean(string="DSO beyond two years", readonly=True,
                                help="The balance is more than two years of this customer's sales.")
    paid_amount = fields.Monetary(string="Paid in 12 months", readonly=True)
    avg_days_late = fields.Float(string="Average days late", digits=(8, 1), readonly=True, aggregator="avg",
                                 help="Weighted by amount, over what was paid in the last twelve months.")
    on_time_share = fields.Float(string="Paid on time (%)", digits=(5, 1), readonly=True, aggregator="avg")
    paid_invoice_count = fields.Integer(string="Invoices paid", readonly=True)
    reminders_per_invoice = fields.Float(string="Reminders per paid invoice", digits=(6, 2), readonly=True,
                                         aggregator="avg")
    overdue_amount = fields.Monetary(string="Net overdue", readonly=True)
    overdue_days = fields.Float(string="Overdue, average days late", digits=(8, 1), readonly=True,
                                aggregator="avg")
    profile = fields.Selection(PROFILES, string="Payer profile", readonly=True,
                               help="What the figures say; the customer's trust is set from it unless set by hand.")
    profile_reason = fields.Selection([
        (payment_behaviour.PAID_LATE, "Paid late"), (payment_behaviour.OWES_LATE, "Owes past due for long"),
        (payment_behaviour.REMINDED, "Needs reminders"), (payment_behaviour.NOTHING_PAID, "Paid nothing"),
        (payment_behaviour.PAID_A_BIT_LATE, "Paid a bit late"), (payment_behaviour.NOT_ON_TIME, "Not always on time"),
        (payment_behaviour.OWES_A_BIT_LATE, "Owes a bit past due"), (payment_behaviour.GOOD, "Pays on time"),
    ], string="Why", readonly=True)
    profile_explanation = fields.Char(string="Why this profile", compute="_compute_profile_explanation")
    trust = fields.Selection(PROFILES, string="Trust on the customer", compute="_compute_trust")

    _company_partner_unique = models.UniqueIndex("(company_id, partner_id)")

    @api.depends("profile_reason", "avg_days_late", "on_time_share", "reminders_per_invoice", "overdue_days")
    def _compute_profile_explanation(self):
        for row in self:
            company = row.company_id
            values = {
                "days": formatLang(self.env, row.avg_days_late, digits=1),
                "owed": formatLang(self.env, row.overdue_days, digits=1),
                "share": formatLang(self.env, row.on_time_share, digits=1),
                "reminders": formatLang(self.env, row.reminders_per_invoice, digits=2),
                "good": formatLang(self.env, company.dunning_profile_good_days, digits=1),
                "good_share": formatLang(self.env, company.dunning_profile_good_on_time, digits=1),
                "bad": formatLang(self.env, company.dunning_profile_bad_days, digits=1),
                "bad_reminders": formatLang(self.env, company.dunning_profile_bad_reminders, digits=2),
            }
            sentences = {
                payment_behaviour.PAID_LATE: self.env._(
                    "Paid %(days)s days late on average over twelve months, beyond %(bad)s.", **values),
                payment_behaviour.OWES_LATE: self.env._(
                    "What it owes past due is %(owed)s days late on average, beyond %(bad)s.", **values),
                payment_behaviour.REMINDED: self.env._(
                    "Needed %(reminders)s reminders per invoice paid; from %(bad_reminders)s it is a bad payer.",
                    **values),
                payment_behaviour.NOTHING_PAID: self.env._(
                    "Paid nothing in twelve months; what it owes past due is %(owed)s days late on average.",
                    **values),
                payment_behaviour.PAID_A_BIT_LATE: self.env._(
                    "Paid %(days)s days late on average, more than the %(good)s of a good payer.", **values),
                payment_behaviour.NOT_ON_TIME: self.env._(
                    "Paid %(share)s %% of its amounts on time, less than the %(good_share)s %% of a good payer.",
                    **values),
                payment_behaviour.OWES_A_BIT_LATE: self.env._(
                    "What it owes past due is %(owed)s days late on average, more than the %(good)s of a good payer.",
                    **values),
                payment_behaviour.GOOD: self.env._(
                    "Pays on time: %(days)s days late on average, %(share)s %% of its amounts by the due date.",
                    **values),
            }
            row.profile_explanation = sentences.get(row.profile_reason, False)

    def _compute_trust(self):
        for row in self:
            row.trust = row.partner_id.with_company(row.company_id).trust

    # The figures -----------------------------------------------------------------------------

    @api.model
    def _dso_sql(self, companies, points, per_customer=True, partner_ids=None):
        """Rows (company_id, partner_id, point, balance, dso, capped): the DSO by countback on each day of
        ``points``, per customer (or per company, partner_id NULL)."""
        group = SQL("partner.commercial_partner_id") if per_customer else SQL("NULL::int")
        single_day = len(points) == 1
        recent_from = max(points).replace(day=1) - relativedelta(months=DSO_RECENT_MONTHS - 1)
        first_month = min(points).replace(day=1) - relativedelta(months=DSO_LOOKBACK_MONTHS - 1)
        sale = SQL("aml.balance > 0 AND aml.journal_id IN (SELECT id FROM account_journal WHERE type = 'sale')")
        receivable = SQL(
            """
                  FROM account_move_line aml
                  JOIN res_partner partner ON partner.id = aml.partner_id
                 WHERE aml.company_id IN %(companies)s AND aml.parent_state = 'posted' AND %(receivable)s
                   AND aml.date <= %(last)s %(partner_filter)s
            """,
            companies=tuple(companies.ids), last=max(points),
            receivable=self.env["account.move.line"]._dunning_receivable_sql(),
            partner_filter=SQL(
                "AND aml.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id IN %s)",
                tuple(partner_ids)) if partner_ids else SQL(),
        )
        return SQL(
            """
            WITH points(point) AS (VALUES %(points)s),
            sales AS (
                SELECT aml.company_id, %(group)s AS partner_id, date_trunc('month', aml.date)::date AS month,
                       %(sales)s AS sales
                       %(receivable)s
                   AND %(sale)s AND aml.date >= %(first_month)s
                   %(by_month)s
            ),
            balances AS (%(balances)s),
            steps AS (
                SELECT balance.company_id, balance.partner_id, balance.point, balance.balance, sale.month,
                       SUM(sale.sales) OVER (PARTITION BY balance.company_id, balance.partner_id, balance.point
                                             ORDER BY sale.month DESC) AS used
                  FROM balances balance
                  JOIN sales sale
                       ON sale.company_id = balance.company_id
                      AND COALESCE(sale.partner_id, 0) = COALESCE(balance.partner_id, 0) %(in_window)s
                 WHERE balance.balance > 0 %(recent_only)s
            ),
            -- The balance is used up in the latest month whose sales, with the later months', cover it; the later
            -- months' sales are the most that falls short of it. Sales being positive, ``used`` grows month by month
            -- back in time, so both are read from the one window of ``steps``: the month's own sales need no second
            -- window nor a sort (bench database, same rows: 0.99 s against 1.07 s).
            used_up AS (
                SELECT company_id, partner_id, point, balance, MAX(month) FILTER (WHERE used >= balance) AS month,
                       MIN(used) FILTER (WHERE used >= balance) AS used,
                       COALESCE(MAX(used) FILTER (WHERE used < balance), 0) AS used_later
                  FROM steps
              GROUP BY company_id, partner_id, point, balance
            ),
            crossing AS (
                SELECT company_id, partner_id, point,
                       (point - stop) + (balance - used_later) / (used - used_later) * (stop - month + 1) AS dso
                  FROM (SELECT *, LEAST(point, (month + interval '1 month' - interval '1 day')::date) AS stop
                          FROM used_up WHERE month IS NOT NULL) used_up
            )
            SELECT balance.company_id, balance.partner_id, balance.point, balance.balance,
                   CASE WHEN balance.balance <= 0 THEN 0
                        ELSE COALESCE(crossing.dso, balance.point
                             - (date_trunc('month', balance.point) - (%(lookback)s - 1) * interval '1 month')::date + 1)
                   END AS dso,
                   balance.balance > 0 AND crossing.dso IS NULL AS capped
              FROM balances balance
         LEFT JOIN crossing ON crossing.company_id = balance.company_id
                           AND COALESCE(crossing.partner_id, 0) = COALESCE(balance.partner_id, 0)
                           AND crossing.point = balance.point
            """,
            points=SQL(", ").join(SQL("(%s::date)", point) for point in points), group=group, receivable=receivable,
            # A customer's sales are its invoices, summed up to each month, from the last, by the window of
            # ``steps``: a sort of the invoices costs less than grouping them by month first (bench database, same
            # rows: 0.83 s against 1.24 s). A company's are summed by month at once.
            sales=SQL("aml.balance") if per_customer else SQL("SUM(aml.balance)"),
            by_month=SQL() if per_customer else SQL("GROUP BY 1, 2, 3"),
            sale=sale, first_month=first_month,
            # On one day, the balance is every line's, read with the sales of the last DSO_RECENT_MONTHS months:
            # where those cover the balance, the countback ends among them, and ``steps`` leaves the older months
            # out (bench database, same rows: 0.85 s against 0.99 s). On several days, each day's balance is
            # summed from the months' movements.
            balances=SQL(
                """
                SELECT aml.company_id, %(group)s AS partner_id, %(point)s::date AS point, SUM(aml.balance) AS balance,
                       COALESCE(SUM(aml.balance) FILTER (WHERE %(sale)s AND aml.date >= %(recent_from)s), 0)
                       AS recent_sales
                       %(receivable)s
              GROUP BY 1, 2
                """, group=group, point=points[0], receivable=receivable, sale=sale, recent_from=recent_from,
            ) if single_day else SQL(
                """
                WITH movements AS (
                    SELECT aml.company_id, %(group)s AS partner_id, date_trunc('month', aml.date)::date AS month,
                           SUM(aml.balance) AS amount
                           %(receivable)s
                  GROUP BY 1, 2, 3
                )
                SELECT who.company_id, who.partner_id, points.point, COALESCE(SUM(movement.amount), 0) AS balance
                  FROM (SELECT DISTINCT company_id, partner_id FROM movements) who
            CROSS JOIN points
             LEFT JOIN movements movement
                       ON movement.company_id = who.company_id
                      AND COALESCE(movement.partner_id, 0) = COALESCE(who.partner_id, 0)
                      AND movement.month <= date_trunc('month', points.point)
              GROUP BY 1, 2, 3
                """, group=group, receivable=receivable,
            ),
            recent_only=SQL("AND (sale.month >= %s OR balance.recent_sales < balance.balance)", recent_from)
            if single_day else SQL(),
            # Each day counts back over its own DSO_LOOKBACK_MONTHS months. On one day, ``sales`` holds those months
            # only (from ``first_month``, up to ``last`` in ``receivable``), and the bounds, two date truncations a
            # row, are left out (bench database, same rows: 0.79 s against 0.87 s).
            in_window=SQL() if single_day else SQL(
                """AND sale.month <= date_trunc('month', balance.point)
                   AND sale.month > date_trunc('month', balance.point) - %s * interval '1 month'""",
                DSO_LOOKBACK_MONTHS),
            lookback=DSO_LOOKBACK_MONTHS,
        )

    @api.model
    def _payments_sql(self, companies, since=None, until=None):
        """Rows (id, company_id, partner_id, move_id, item_id, payment_move_id, origin_payment_id, journal_type,
        amount, date, days_late, charges, invoice_paid) of the payments matched with customer invoices, one per
        partial reconciliation (``origin_payment_id`` and ``journal_type`` of the payment's entry), dated after
        ``since`` and up to ``until`` when given. Credit notes (what a sales journal credits) and exchange
        differences are not payments; ``charges`` tells a charges invoice (its lateness is no debt the customer
        ran late on), ``invoice_paid`` an invoice paid in full."""
        return SQL(
            """
            SELECT partial.id, item.company_id, partner.commercial_partner_id AS partner_id, item.move_id,
                   item.id AS item_id, payment.move_id AS payment_move_id, payment.payment_id AS origin_payment_id,
                   payment_journal.type AS journal_type, partial.amount, partial.max_date AS date,
                   partial.max_date - COALESCE(item.date_maturity, item.date) AS days_late,
                   invoice.dunning_charges_kind IS NOT NULL AND invoice.dunning_charges_kind != '' AS charges,
                   invoice.payment_state IN ('paid', 'in_payment') AS invoice_paid
              FROM account_partial_reconcile partial
              JOIN account_move_line item ON item.id = partial.debit_move_id
              JOIN account_move invoice ON invoice.id = item.move_id
              JOIN res_partner partner ON partner.id = item.partner_id
              JOIN account_move_line payment ON payment.id = partial.credit_move_id
              JOIN account_journal payment_journal ON payment_journal.id = payment.journal_id
             WHERE item.company_id IN %(companies)s AND %(receivable)s
               AND item.parent_state = 'posted' AND payment.parent_state = 'posted'
               AND invoice.move_type = 'out_invoice' AND payment_journal.type != 'sale'
               AND NOT EXISTS (SELECT 1 FROM account_partial_reconcile exchange
                                WHERE exchange.exchange_move_id = payment.move_id)
               %(since)s %(until)s
            """,
            companies=tuple(companies.ids) or (0,),
            receivable=self.env["account.move.line"]._dunning_receivable_sql("item"),
            since=SQL("AND partial.max_date > %s", since) if since else SQL(),
            until=SQL("AND partial.max_date <= %s", until) if until else SQL(),
        )

    @api.model
    def _figures_sql(self, companies, on_date):
        """Rows (company_id, partner_id, paid_invoice_count, then the figures of ``Behaviour`` in their order):
        the customers of ``companies`` that paid in the last twelve months or owe past due on ``on_date``, with
        the figures their profile follows from. The DSO is not one of them: it has its own statement."""
        since = on_date - relativedelta(months=BEHAVIOUR_MONTHS)
        return SQL(
            """
            WITH paid AS (SELECT * FROM (%(payments)s) payments WHERE NOT charges),
            paid_figures AS (
                SELECT company_id, partner_id, SUM(amount) AS amount,
                       SUM(amount * GREATEST(days_late, 0)) / NULLIF(SUM(amount), 0) AS days_late,
                       100 * COALESCE(SUM(amount) FILTER (WHERE days_late <= 0), 0) / NULLIF(SUM(amount), 0) AS on_time
                  FROM paid
              GROUP BY company_id, partner_id
            ),
            paid_invoices AS (
                SELECT company_id, partner_id, move_id, MAX(date) AS paid_on
                  FROM paid
                 WHERE invoice_paid
              GROUP BY 1, 2, 3
            ),
            reminded AS (
                SELECT DISTINCT invoice.move_id, line.communication_id
                  FROM paid_invoices invoice
                  JOIN dunning_line line ON line.invoice_id = invoice.move_id
                 WHERE line.line_type = 'due' AND line.state = 'sent' AND line.date <= invoice.paid_on
            ),
            reminders AS (
                SELECT invoice.company_id, invoice.partner_id, COUNT(*) AS invoices,
                       SUM(COALESCE(reminded.count, 0))::numeric AS reminders
                  FROM paid_invoices invoice
             LEFT JOIN (SELECT move_id, COUNT(*) AS count FROM reminded GROUP BY move_id) reminded
                       USING (move_id)
              GROUP BY 1, 2
            ),
            aged AS (%(aged)s),
            overdue AS (
                SELECT company_id, partner_id, SUM(net) AS amount,
                       SUM(net * (%(date)s - due_date)) / NULLIF(SUM(net), 0) AS days_late
                  FROM aged
                 WHERE kind = 'item' AND due_date < %(date)s AND net > 0
              GROUP BY company_id, partner_id
            )
            SELECT company_id, partner_id, COALESCE(reminders.invoices, 0),
                   COALESCE(paid.amount, 0), COALESCE(paid.days_late, 0), COALESCE(paid.on_time, 0),
                   COALESCE(reminders.reminders / NULLIF(reminders.invoices, 0), 0),
                   COALESCE(overdue.amount, 0), COALESCE(overdue.days_late, 0)
              FROM paid_figures paid
         LEFT JOIN reminders USING (company_id, partner_id)
         FULL JOIN overdue USING (company_id, partner_id)
            """,
            payments=self._payments_sql(companies, since, on_date),
            aged=self.env["dunning.aged.balance"]._items_sql(companies, on_date), date=on_date,
        )

    # Refreshing ------------------------------------------------------------------------------

    @api.model
    def _refresh(self, companies=None, on_date=None):
        """Compute the figures of every customer of ``companies`` (all) on ``on_date`` (today), their company's
        DSO trend, and the payer profiles; set the customers' trust where the company wants it."""
        companies = companies or self.env["res.company"].sudo().search([("active", "=", True)])
        on_date = on_date or fields.Date.context_today(self)
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", REFRESH_LOCK))
        if not self.env.cr.fetchone()[0]:
            raise UserError(self.env._("The payment figures are being refreshed already: try again in a minute."))
        self.env.flush_all()
        self.env.cr.execute(SQL("DELETE FROM dunning_payment_behaviour WHERE company_id IN %s", tuple(companies.ids)))
        with without_jit(self.env.cr):
            # The DSO, then the figures the profiles follow from, which do not depend on it: two statements, each
            # measured on its own (bench/cockpit.py). The rows are written once, with their profile.
            self.env.cr.execute(self._dso_sql(companies, [on_date]))
            dso = {(company_id, partner_id): (balance, days, capped)
                   for company_id, partner_id, _day, balance, days, capped in self.env.cr.fetchall() if balance}
            self.env.cr.execute(self._figures_sql(companies, on_date))
            figures = {(company_id, partner_id): values for company_id, partner_id, *values in self.env.cr.fetchall()}
        # A customer has a row when it owes or is owed on the ledger, or paid in the twelve months.
        customers = sorted(dso.keys() | {key for key, (_invoices, paid, *_rest) in figures.items() if paid})
        no_figures = (0,) * (1 + len(BEHAVIOUR_COLUMNS))
        thresholds = {company.id: company._dunning_profile_thresholds() for company in companies}
        rows = []
        for company_id, partner_id in customers:
            invoices, *behaviour = figures.get((company_id, partner_id), no_figures)
            profile, reason = assess(Behaviour(*(Decimal(str(value)) for value in behaviour)), thresholds[company_id])
            rows.append((company_id, partner_id, *dso.get((company_id, partner_id), (0, 0, False)), invoices,
                         *behaviour, profile, reason))
        columns = {"company_id": "int", "partner_id": "int", "receivable_amount": "numeric", "dso_days": "numeric",
                   "dso_capped": "bool", "paid_invoice_count": "int", **dict.fromkeys(BEHAVIOUR_COLUMNS, "numeric"),
                   "profile": "varchar", "profile_reason": "varchar"}
        if rows:
            self.env.cr.execute(SQL(
                "INSERT INTO dunning_payment_behaviour (%s, date) SELECT *, %s FROM unnest(%s)",
                SQL(", ").join(map(SQL.identifier, columns)), on_date,
                SQL(", ").join(SQL("%s::%s[]", list(values), SQL(kind))
                               for kind, values in zip(columns.values(), zip(*rows, strict=True), strict=True)),
            ))
        # The companies' rows are rewritten: the table's statistics are brought up to date at once, not when
        # autovacuum comes by. Left at the few rows of an earlier analysis, they had the forecast join every aged
        # item with every figure row: on a copy of the bench database analyzed after a refresh was rolled back,
        # the dashboard took 55 s instead of 2 after the next refresh.
        self.env.cr.execute(SQL("ANALYZE %s", SQL.identifier(self._table)))
        self.invalidate_model()
        self._refresh_trends(companies, on_date)
        self.search([("company_id", "in", companies.filtered("dunning_profile_auto").ids)])._apply_profiles()
        _logger.info("Payment figures of %s customers refreshed for %s", len(rows), ", ".join(companies.mapped("name")))
        return len(rows)

    @api.model
    def _trend_points(self, on_date):
        """The last day of each of the eleven months before ``on_date``, and ``on_date``."""
        first = on_date.replace(day=1)
        return [first - relativedelta(months=months - 1) - relativedelta(days=1)
                for months in range(TREND_MONTHS - 1, 0, -1)] + [on_date]

    @api.model
    def _refresh_trends(self, companies, on_date):
        self.env.cr.execute(SQL("DELETE FROM dunning_dso_month WHERE company_id IN %s", tuple(companies.ids)))
        with without_jit(self.env.cr):
            self.env.cr.execute(SQL(
                """
                INSERT INTO dunning_dso_month (company_id, date, receivable_amount, dso_days, dso_capped)
                SELECT company_id, point, balance, dso, capped FROM (%s) trend
                """, self._dso_sql(companies, self._trend_points(on_date), per_customer=False),
            ))
        self.env["dunning.dso.month"].invalidate_model()

    def _apply_profiles(self):
        """Each customer's trust from its profile, unless set by hand; written only where it changes."""
        by_value = defaultdict(lambda: self.env["res.partner"])
        for company in self.company_id:
            rows = self.filtered(lambda row, company=company: row.company_id == company and row.profile)
            partners = rows.partner_id.with_company(company).with_prefetch(rows.partner_id.ids)
            manual = set(partners.filtered("dunning_trust_manual").ids)
            for row in rows:
                partner = partners.browse(row.partner_id.id)
                if partner.id not in manual and partner.trust != row.profile:
                    by_value[company, row.profile] |= partner
        for (company, value), partners in by_value.items():
            partners.with_company(company).with_context(dunning_profile_refresh=True).write({"trust": value})

    @api.model
    def _cron_refresh(self):
        try:
            self._refresh()
        except UserError as error:
            _logger.info("Payment figures not refreshed: %s", error)

    @api.model
    def _trigger_refresh(self):
        """Refresh soon, in the background: after a run, so the figures and profiles follow what it sent."""
        self.env.ref("dunning_pis.ir_cron_dunning_cockpit_refresh").sudo()._trigger()

    def action_refresh(self):
        self._refresh(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    # For the customer form -------------------------------------------------------------------

    @api.model
    def _customer_trend(self, company, customer, on_date=None):
        """[(day, DSO, capped)] of ``customer`` over the twelve months to ``on_date``, computed on the spot."""
        on_date = on_date or fields.Date.context_today(self)
        self.env.flush_all()
        with without_jit(self.env.cr):
            self.env.cr.execute(self._dso_sql(company, self._trend_points(on_date), partner_ids=customer.ids))
            found = {point: (float(dso), capped)
                     for _company, _partner, point, _balance, dso, capped in self.env.cr.fetchall()}
        return [(point, *found.get(point, (0.0, False))) for point in self._trend_points(on_date)]

    @api.model
    def _line_graph(self, label, points):
        """The JSON of Odoo's dashboard_graph widget (line) for [(day, value)]."""
        return json.dumps([{
            "key": label, "is_sample_data": False,
            "values": [{"x": format_date(self.env, day, date_format="MMM yy"), "y": round(value, 1),
                        "name": format_date(self.env, day)} for day, value in points],
        }])


class DunningDsoMonth(models.Model):
    """A company's DSO at the end of each of the last twelve months (the last one: today), for its trend."""

    _name = "dunning.dso.month"
    _description = "DSO trend"
    _order = "company_id, date"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="Month end", readonly=True, required=True)
    receivable_amount = fields.Monetary(string="Receivable", readonly=True)
    dso_days = fields.Float(string="DSO (days)", digits=(8, 1), readonly=True, aggregator="avg")
    dso_capped = fields.Boolean(string="DSO beyond two years", readonly=True)
