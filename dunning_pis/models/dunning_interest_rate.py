from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..receivables.late_charges import FixedRate, RateTable


class DunningInterestRate(models.Model):
    """The reference rate of late-payment interest (ECB main refinancing rate) by date in force.

    French law takes the rate in force on 1 January for the first half-year and on 1 July for the
    second; the manager records each change of the ECB rate here, and the legal rate adds the
    company's margin (10 points by default).
    """

    _name = "dunning.interest.rate"
    _description = "Late-payment reference rate"
    _order = "date_start desc"
    _rec_name = "date_start"

    date_start = fields.Date(string="In force from", required=True)
    reference_rate = fields.Float(string="ECB main refinancing rate (%)", digits=(5, 3), required=True)
    note = fields.Char()

    _date_start_unique = models.Constraint("UNIQUE (date_start)", "There is already a rate in force from this date.")

    @api.constrains("reference_rate")
    def _check_reference_rate(self):
        if any(rate.reference_rate < -10 or rate.reference_rate > 50 for rate in self):
            raise ValidationError(self.env._("A reference rate must lie between -10 % and 50 %."))

    @api.model
    def _rate_table(self, company):
        """The annual rates that apply to ``company``'s late invoices, for the plain-Python maths."""
        if company.dunning_interest_mode == "fixed":
            return FixedRate(company.dunning_fixed_interest_rate)
        # A few rows a year: all of them are needed to find the rate of any half-year.
        rates = self.search_read([], ["date_start", "reference_rate"])  # pylint: disable=no-search-all
        return RateTable(
            tuple((rate["date_start"], rate["reference_rate"]) for rate in rates), company.dunning_interest_margin,
        )
