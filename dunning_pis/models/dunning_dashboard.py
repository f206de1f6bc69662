import json
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL, format_date
from odoo.tools.safe_eval import safe_eval

from .dunning_aged_balance import BUCKETS
from .dunning_cash_forecast import FORECAST_WEEKS
from .dunning_collection_report import CHANNELS
from .dunning_communication import OPEN_PAYMENT_STATES
from .dunning_ledger_report import without_jit

CHANNEL_MONTHS = 12
# The rules this addon puts on the reports whose figures the dashboard's one statement sums, as shipped: the
# statement applies them itself (each card is one of the user's companies).
STATEMENT_RULES = {"dunning.aged.balance": "dunning_pis.rule_dunning_aged_balance_company",
                   "dunning.cash.forecast": "dunning_pis.rule_dunning_cash_forecast_company"}
STATEMENT_RULE_DOMAIN = "[('company_id', 'in', company_ids)]"
AGED_FIELDS = {"0_not_due": "aged_not_due", "1_30": "aged_1_30", "31_60": "aged_31_60", "61_90": "aged_61_90",
               "91_over": "aged_over_90"}


class DunningDashboard(models.Model):
    """The credit controller's cockpit: one card per company with the figures of the day, each opening the
    list behind it. The figures are the reports' (aged balance, forecast, collections, disputes) and the payment
    figures refreshed each night; the aged balance and the forecast are summed from their own SQL in one
    statement, under the reports' access rights and company rules, or through the ORM under any other rule."""

    _name = "dunning.dashboard"
    _description = "Dunning dashboard"
    _auto = False
    _order = "id"

    company_id = fields.Many2one("res.company", readonly=True)
    name = fields.Char(related="company_id.name")
    currency_id = fields.Many2one(related="company_id.currency_id")
    figures_date = fields.Date(string="Payment figures of", compute="_compute_figures")
    open_amount = fields.Monetary(string="Receivables, net", compute="_compute_figures")
    overdue_amount = fields.Monetary(string="Net overdue", compute="_compute_figures")
    overdue_customer_count = fields.Integer(string="Customers overdue", compute="_compute_figures")
    aged_graph = fields.Text(compute="_compute_figures")
    aged_not_due = fields.Monetary(string="Not due", compute="_compute_figures")
    aged_1_30 = fields.Monetary(string="1–30 days", compute="_compute_figures")
    aged_31_60 = fields.Monetary(string="31–60 days", compute="_compute_figures")
    aged_61_90 = fields.Monetary(string="61–90 days", compute="_compute_figures")
    aged_over_90 = fields.Monetary(string="> 90 days", compute="_compute_figures")
    dso_days = fields.Float(string="DSO", digits=(8, 1), compute="_compute_figures")
    dso_capped = fields.Boolean(compute="_compute_figures")
    dso_graph = fields.Text(compute="_compute_figures")
    good_count = fields.Integer(string="Good payers", compute="_compute_figures")
    normal_count = fields.Integer(string="Normal payers", compute="_compute_figures")
    bad_count = fields.Integer(string="Bad payers", compute="_compute_figures")
    forecast_amount = fields.Monetary(string="Expected in 13 weeks", compute="_compute_figures")
    forecast_week_amount = fields.Monetary(string="Expected this week", compute="_compute_figures")
    forecast_overdue_amount = fields.Monetary(string="Overdue, later than usual", compute="_compute_figures")
    forecast_graph = fields.Text(compute="_compute_figures")
    promise_today_count = fields.Integer(string="Promises due today", compute="_compute_figures")
    promise_today_amount = fields.Monetary(string="Promised for today", compute="_compute_figures")
    promise_broken_count = fields.Integer(string="Promises broken", compute="_compute_figures")
    dispute_count = fields.Integer(string="Disputed invoices", compute="_compute_figures")
    dispute_amount = fields.Monetary(string="Disputed", compute="_compute_figures")
    dispute_oldest_days = fields.Integer(string="Oldest dispute (days)", compute="_compute_figures")
    collected_pay_by_bank = fields.Monetary(string="Collected by pay by bank", compute="_compute_figures")
    collected_transfer = fields.Monetary(string="Collected by bank transfer", compute="_compute_figures")
    collected_direct_debit = fields.Monetary(string="Collected by direct debit", compute="_compute_figures")
    collected_other = fields.Monetary(string="Collected otherwise", compute="_compute_figures")
    days_pay_by_bank = fields.Float(string="Days to pay by bank", digits=(6, 1), compute="_compute_figures")
    days_transfer = fields.Float(string="Days to pay by transfer", digits=(6, 1), compute="_compute_figures")
    days_direct_debit = fields.Float(string="Days to pay by direct debit", digits=(6, 1),
                                     compute="_compute_figures")
    days_other = fields.Float(string="Days to pay otherwise", digits=(6, 1), compute="_compute_figures")
    pay_by_bank_share = fields.Float(string="Share paid by bank (%)", digits=(5, 1), compute="_compute_figures")

    @property
    def _table_query(self):
        return SQL("SELECT id, id AS company_id FROM res_company WHERE id IN %s", tuple(self.env.companies.ids))

    def _reports(self, company, model):
        return self.env[model].with_company(company).with_context(allowed_company_ids=company.ids)

    @api.depends_context("uid")
    def _compute_figures(self):
        today = fields.Date.context_today(self)
        for board in self:
            company = board.company_id
            board.update(board._ledger_figures(company))
            board.update(board._behaviour_figures(company))
            board.update(board._promise_figures(company, today))
            board.update(board._channel_figures(company, today))

    def _ledger_figures(self, company):
        """The aged balance by age and the forecast by week, from one evaluation of the aged items (the costly
        part of both reports), summed in the statement that computes them: read through the ORM, each report
        computed them again. ``company`` is one of the user's (the cards are), as the reports' rules ask. Under
        rules an integrator adds to those reports, the cards read the reports through the ORM instead."""
        Aged = self._reports(company, "dunning.aged.balance")
        Forecast = self._reports(company, "dunning.cash.forecast")
        Aged.check_access("read")
        Forecast.check_access("read")
        on_date = Aged._on_date()
        self.env.flush_all()
        if self._other_report_rules():
            return self._ledger_values(self._ledger_rows_read(Aged, Forecast), on_date)
        with without_jit(self.env.cr):
            self.env.cr.execute(SQL(
                """
                WITH aged_items AS MATERIALIZED (%(items)s),
                forecast AS (%(forecast)s)
                SELECT 'age', %(bucket)s, NULL::date, SUM(item.net), 0 FROM aged_items item GROUP BY 2
                 UNION ALL
                SELECT 'overdue', NULL, NULL, COALESCE(SUM(amount), 0), COUNT(*) FILTER (WHERE amount > 0)
                  FROM (SELECT SUM(net) AS amount FROM aged_items
                         WHERE kind = 'item' AND due_date < %(date)s GROUP BY partner_id) customer
                 UNION ALL
                SELECT 'week', source, week, SUM(amount), 0 FROM forecast GROUP BY source, week
                """,
                items=Aged._items_sql(company, on_date), bucket=Aged._bucket_sql(on_date, "item"), date=on_date,
                forecast=Forecast._rows_sql(company, on_date, items=SQL("SELECT * FROM aged_items")),
            ))
            rows = self.env.cr.fetchall()
        return self._ledger_values(rows, on_date)

    def _other_report_rules(self):
        """Whether rules other than this addon's own as shipped (an integrator's, or a shipped one edited) apply
        to the user on the reports that the statement sums: it would not apply them, so the cards then read the
        reports through the ORM."""
        Rule = self.env["ir.rule"]
        for model, xmlid in STATEMENT_RULES.items():
            shipped = (self.env.ref(xmlid, raise_if_not_found=False) or Rule).sudo()
            if shipped.domain_force != STATEMENT_RULE_DOMAIN or shipped.groups:
                shipped = Rule
            if Rule._get_rules(model) - shipped:
                return True
        return False

    def _ledger_rows_read(self, Aged, Forecast):
        """The statement's rows, summed from the reports as the user may read them (every rule applied)."""
        by_bucket, customers = defaultdict(float), defaultdict(float)
        for partner, bucket, net, overdue in Aged._read_group(
                [], ["partner_id", "bucket"], ["net_amount:sum", "overdue_amount:sum"]):
            by_bucket[bucket] += net
            customers[partner] += overdue
        rows = [("age", bucket, None, amount, 0) for bucket, amount in by_bucket.items()]
        rows.append(("overdue", None, None, sum(customers.values()),
                     len([amount for amount in customers.values() if amount > 0])))
        rows += [("week", source, week, amount, 0)
                 for source, week, amount in Forecast._read_group([], ["source", "week:day"], ["amount:sum"])]
        return rows

    def _ledger_values(self, rows, on_date):
        by_bucket, by_week, overdue, late, overdue_customers = {}, defaultdict(float), 0.0, 0.0, 0
        for kind, key, week, amount, count in rows:
            if kind == "age":
                by_bucket[key] = float(amount)
            elif kind == "overdue":
                overdue, overdue_customers = float(amount), count
            elif key == "overdue":
                late += float(amount)
            else:
                by_week[week] += float(amount)
        return {**self._aged_values(by_bucket, overdue, overdue_customers),
                **self._forecast_values(by_week, late, on_date)}

    def _aged_values(self, by_bucket, overdue, overdue_customers):
        labels = dict(BUCKETS)
        return {
            **{name: by_bucket.get(bucket, 0.0) for bucket, name in AGED_FIELDS.items()},
            "open_amount": sum(by_bucket.values()),
            "overdue_amount": overdue,
            "overdue_customer_count": overdue_customers,
            "aged_graph": json.dumps([{"key": self.env._("Aged balance"), "is_sample_data": False, "values": [
                {"label": labels[bucket], "value": round(by_bucket.get(bucket, 0.0), 2),
                 "type": "future" if bucket == "0_not_due" else "past"}
                for bucket, _label in BUCKETS if bucket != "credit"
            ]}]),
        }

    def _behaviour_figures(self, company):
        trend = self.env["dunning.dso.month"].search([("company_id", "=", company.id)], order="date")
        profiles = dict(self.env["dunning.payment.behaviour"]._read_group(
            [("company_id", "=", company.id)], ["profile"], ["__count"]))
        last = self.env["dunning.payment.behaviour"].search([("company_id", "=", company.id)], limit=1)
        return {
            "figures_date": last.date or trend[-1:].date or False,
            "dso_days": trend[-1:].dso_days or 0.0,
            "dso_capped": trend[-1:].dso_capped or False,
            "dso_graph": self.env["dunning.payment.behaviour"]._line_graph(
                self.env._("DSO (days)"), [(month.date, month.dso_days) for month in trend]),
            "good_count": profiles.get("good", 0),
            "normal_count": profiles.get("normal", 0),
            "bad_count": profiles.get("bad", 0),
        }

    def _forecast_values(self, by_week, late, today):
        first = today - timedelta(days=today.weekday())
        weeks = [first + timedelta(weeks=week) for week in range(FORECAST_WEEKS)]
        return {
            "forecast_amount": sum(by_week.values()),
            "forecast_week_amount": by_week.get(first, 0.0),
            "forecast_overdue_amount": late,
            "forecast_graph": json.dumps([{"key": self.env._("Expected receipts"), "is_sample_data": False, "values": [
                {"label": format_date(self.env, week, date_format="d MMM"), "value": round(by_week.get(week, 0.0), 2),
                 "type": "future"} for week in weeks
            ]}]),
        }

    def _promise_figures(self, company, today):
        Move = self.env["account.move"].with_company(company)
        base = [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                ("payment_state", "in", OPEN_PAYMENT_STATES)]
        due_today = Move._read_group([*base, ("dunning_promise_date", "=", today)], [],
                                     ["__count", "amount_residual_signed:sum"])
        disputes = self._reports(company, "dunning.dispute.report")._read_group(
            [], [], ["__count", "amount:sum", "age_days:max"])
        return {
            "promise_today_count": due_today[0][0],
            "promise_today_amount": due_today[0][1] or 0.0,
            "promise_broken_count": Move.search_count([*base, ("dunning_promise_broken", "=", True)]),
            "dispute_count": disputes[0][0],
            "dispute_amount": disputes[0][1] or 0.0,
            "dispute_oldest_days": disputes[0][2] or 0,
        }

    def _channel_figures(self, company, today):
        since = today.replace(day=1) - relativedelta(months=CHANNEL_MONTHS - 1)
        groups = self._reports(company, "dunning.collection.report")._read_group(
            [("date", ">=", since)], ["channel"], ["amount:sum", "days_after_reminder:avg"])
        figures = defaultdict(float)
        for channel, amount, days in groups:
            figures[f"collected_{channel}"] = amount
            figures[f"days_{channel}"] = days or 0.0
        total = sum(figures[f"collected_{channel}"] for channel, _label in CHANNELS)
        figures["pay_by_bank_share"] = 100 * figures["collected_pay_by_bank"] / total if total else 0.0
        return {name: figures[name] for name in (
            *(f"collected_{channel}" for channel, _label in CHANNELS),
            *(f"days_{channel}" for channel, _label in CHANNELS), "pay_by_bank_share")}

    # The lists behind the figures ------------------------------------------------------------

    def _open(self, xmlid, domain=(), context=None, first=None):
        """The action ``xmlid`` on this card's company, with ``domain``; ``first``: the view it opens on."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        if first:
            action["views"] = sorted(action["views"], key=lambda view: view[1] != first)
        action["domain"] = [("company_id", "=", self.company_id.id), *domain]
        action["context"] = {**safe_eval(action.get("context") or "{}", {"uid": self.env.uid}), **(context or {})}
        return action

    def action_open_aged_balance(self):
        """The aged balance, of one age when the button says which (``bucket`` in the context)."""
        bucket = self.env.context.get("bucket")
        if not bucket:
            return self._open("dunning_pis.action_dunning_aged_balance")
        return self._open("dunning_pis.action_dunning_aged_balance", [("bucket", "=", bucket)],
                          {"search_default_group_partner": 1}, first="list")

    def action_open_overdue(self):
        return self._open("dunning_pis.action_dunning_aged_balance", [("overdue_amount", ">", 0)],
                          {"search_default_group_partner": 1}, first="list")

    def action_open_dso(self):
        return self._open("dunning_pis.action_dunning_dso_month")

    def action_open_behaviour(self):
        return self._open("dunning_pis.action_dunning_payment_behaviour")

    def _open_profile(self, value):
        return self._open("dunning_pis.action_dunning_payment_behaviour", [("profile", "=", value)])

    def action_open_good(self):
        return self._open_profile("good")

    def action_open_normal(self):
        return self._open_profile("normal")

    def action_open_bad(self):
        return self._open_profile("bad")

    def action_open_forecast(self):
        return self._open("dunning_pis.action_dunning_cash_forecast")

    def action_open_promises_today(self):
        return self._open("dunning_pis.action_dunning_promises", context={"search_default_dunning_promise_today": 1})

    def action_open_promises_broken(self):
        return self._open("dunning_pis.action_dunning_promises", context={"search_default_dunning_promise_broken": 1})

    def action_open_disputes(self):
        return self._open("dunning_pis.action_dunning_dispute_report")

    def action_open_collections(self):
        return self._open("dunning_pis.action_dunning_collection_report")

    def action_refresh(self):
        self.env["dunning.payment.behaviour"]._refresh(self.company_id)
        return {"type": "ir.actions.client", "tag": "soft_reload"}
