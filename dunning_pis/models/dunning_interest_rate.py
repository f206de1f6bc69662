import logging
from decimal import Decimal

import requests

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date, formatLang

from ..receivables import ecb_rates
from ..receivables.late_charges import LEGAL_MARGIN_POINTS, FixedRate, FlooredRate, RateTable, Regime, half_year_start

_logger = logging.getLogger(__name__)

RATE_TYPES = [
    ("ecb", "ECB main refinancing rate"),
    ("legal", "Legal interest rate (France, other cases)"),
]
ECB_URL_PARAMETER = "dunning_pis.ecb_rates_url"


class DunningInterestRate(models.Model):
    """The reference rates of late-payment interest, by the date they came into force.

    - ECB main refinancing rate: the rate of business debtors is the one in force on 1 January (first
      half-year) or 1 July (second) plus the company's margin, 10 points by default (L441-10). A daily
      scheduled action adds the ECB's new decisions.
    - French legal interest rate for "all other cases" than a creditor who is an individual: fixed by
      arrêté for each half-year; consumers owe it from the formal notice (Code civil 1231-6), and a
      contractual rate between businesses may not be below three times it (L441-10).
    """

    _name = "dunning.interest.rate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Late-payment reference rate"
    _order = "rate_type, date_start desc"
    _rec_name = "date_start"

    rate_type = fields.Selection(RATE_TYPES, string="Rate", required=True, default="ecb")
    date_start = fields.Date(string="In force from", required=True)
    reference_rate = fields.Float(string="Rate (%)", digits=(5, 3), required=True)
    note = fields.Char(help="Where the rate comes from: the ECB decision, the arrêté and its Journal officiel.")

    _date_start_unique = models.Constraint(
        "UNIQUE (rate_type, date_start)", "There is already a rate of this kind in force from this date.",
    )

    @api.constrains("reference_rate")
    def _check_reference_rate(self):
        if any(rate.reference_rate < -10 or rate.reference_rate > 50 for rate in self):
            raise ValidationError(self.env._("A reference rate must lie between -10 % and 50 %."))

    @api.constrains("rate_type", "date_start")
    def _check_half_year(self):
        for rate in self.filtered(lambda rate: rate.rate_type == "legal"):
            if rate.date_start != half_year_start(rate.date_start):
                raise ValidationError(self.env._(
                    "The legal interest rate is fixed for a half-year: it comes into force on 1 January or 1 July.",
                ))

    @api.model
    def _reference_table(self, rate_type, margin_points=0):
        # A few rows a year: all of them are needed to find the rate of any half-year.
        rates = self.sudo().search_read([("rate_type", "=", rate_type)], ["date_start", "reference_rate"])
        return RateTable(tuple((rate["date_start"], rate["reference_rate"]) for rate in rates), margin_points,
                         carries_forward=rate_type == "ecb")

    @api.model
    def _rate_table(self, company, regime=Regime.BUSINESS):
        """The annual rates of ``company``'s late invoices for the plain-Python maths: consumers owe the legal
        interest rate; businesses the company's contractual rate, else the ECB rate plus the margin."""
        if regime is Regime.CONSUMER:
            return self._reference_table("legal")
        if company.dunning_interest_mode == "fixed":
            return FlooredRate(FixedRate(company.dunning_fixed_interest_rate), self._reference_table("legal"))
        table = self._reference_table("ecb", company.dunning_interest_margin)
        if Decimal(str(company.dunning_interest_margin)) == LEGAL_MARGIN_POINTS:
            return table
        # Another margin than the law's 10 points is a contractual rate: it too has the floor of L441-10.
        return FlooredRate(table, self._reference_table("legal"))

    @api.model
    def _rates_text(self, company, regime, date_from, date_to):
        """The annual rate of each half-year from ``date_from`` to ``date_to`` and its basis, for the reader."""
        table = self._rate_table(company, regime)
        parts, day = [], half_year_start(date_from)
        while day <= date_to:
            rate = table.annual_rate(day)
            if rate is not None:
                parts.append(self._rate_basis(company, regime, day, rate))
            day = day.replace(month=7) if day.month == 1 else day.replace(year=day.year + 1, month=1)
        return "; ".join(dict.fromkeys(parts))

    @api.model
    def _rate_basis(self, company, regime, day, rate):
        env = self.env
        amount, since = formatLang(env, float(rate), digits=2), format_date(env, day)
        if regime is Regime.CONSUMER:
            return env._("%(rate)s %% a year, legal interest rate from %(date)s (Code civil 1231-6)",
                         rate=amount, date=since)
        legal = self._reference_table("legal").annual_rate(day)
        if company.dunning_interest_mode == "fixed":
            agreed = Decimal(str(company.dunning_fixed_interest_rate))
        else:
            agreed = self._reference_table("ecb", company.dunning_interest_margin).annual_rate(day)
        if legal is not None and rate > agreed:
            return env._("%(rate)s %% a year from %(date)s: three times the legal interest rate of %(legal)s %%, "
                         "the floor of L441-10", rate=amount, date=since, legal=formatLang(env, float(legal), digits=2))
        if company.dunning_interest_mode == "fixed":
            return env._("%(rate)s %% a year from %(date)s, contractual rate (L441-10)", rate=amount, date=since)
        reference = self._reference_table("ecb").reference_rate(day)
        return env._(
            "%(rate)s %% a year from %(date)s: ECB rate %(reference)s %% + %(margin)s points (L441-10)",
            rate=amount, date=since, reference=formatLang(env, float(reference), digits=2),
            margin=formatLang(env, company.dunning_interest_margin, digits=2),
        )

    @api.model
    def _legal_rate_on(self, day):
        return self._reference_table("legal").annual_rate(day)

    # The ECB's decisions -----------------------------------------------------------------------

    @api.model
    def _cron_update_ecb_rates(self):
        """Add the ECB's new main refinancing rates from the ECB Data Portal. When the answer cannot be used,
        nothing changes: the reason is logged and the dunning managers get an activity."""
        url = self.env["ir.config_parameter"].sudo().get_param(ECB_URL_PARAMETER) or ecb_rates.URL
        try:
            response = requests.get(url, timeout=30, headers={"Accept": "text/csv"})
            response.raise_for_status()
            observations = ecb_rates.parse(response.text)
        except (requests.RequestException, ecb_rates.FeedError) as error:
            reason = error.reason if isinstance(error, ecb_rates.FeedError) else str(error)
            _logger.warning("ECB rates not updated from %s: %s", url, reason)
            self._tell_managers(reason)
            return self.browse()
        known = self.sudo().search_read([("rate_type", "=", "ecb")], ["date_start", "reference_rate"])
        known = [(rate["date_start"], rate["reference_rate"]) for rate in known]
        disagreements = ecb_rates.disagreements(observations, known)
        if disagreements:
            env = self.with_context(lang=self.env.company.partner_id.lang or self.env.lang).env
            reason = "; ".join(env._("%(day)s: %(ours)s %% in the table, %(theirs)s %% at the ECB",
                                     day=format_date(env, day), ours=ours, theirs=theirs)
                               for day, ours, theirs in disagreements)
            _logger.warning("ECB rates not updated from %s: the table disagrees with the ECB (%s)", url, reason)
            self._tell_managers(reason)
            return self.browse()
        changes = ecb_rates.new_changes(observations, known)
        added = self.sudo().create([{
            "rate_type": "ecb", "date_start": day, "reference_rate": float(rate),
            "note": self.env._("ECB Data Portal, series %s", ecb_rates.SERIES_KEY),
        } for day, rate in changes])
        if added:
            _logger.info("ECB rates: %s new rate(s) added from %s", len(added), url)
        return added

    @api.model
    def _tell_managers(self, reason):
        """One open activity per dunning manager on the latest ECB rate, updated rather than repeated."""
        latest = self.sudo().search([("rate_type", "=", "ecb")], limit=1, order="date_start desc")
        if not latest:
            return
        # Written from a cron, read by the managers: in the company's language.
        env = self.with_context(lang=self.env.company.partner_id.lang or self.env.lang).env
        summary = env._("The ECB rates could not be updated")
        note = env._(
            "The daily update of the ECB main refinancing rate failed and changed nothing: %(reason)s. Check the ECB "
            "Data Portal, or add the rate under Dunning > Configuration > Interest rates.", reason=reason)
        managers = self.env.ref("dunning_pis.group_dunning_manager").sudo().all_user_ids.filtered(
            lambda user: not user.share and user.active)
        open_activities = latest.activity_ids.filtered(lambda activity: activity.summary == summary)
        for manager in managers:
            existing = open_activities.filtered(lambda activity, manager=manager: activity.user_id == manager)
            if existing:
                existing.note = note
            else:
                latest.activity_schedule("mail.mail_activity_data_todo", summary=summary, note=note,
                                         user_id=manager.id)
