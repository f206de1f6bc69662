from odoo import api, models


class DunningRun(models.Model):
    """After each run, the payment figures and the profiles are refreshed in the background."""

    _inherit = "dunning.run"

    def action_run(self):
        action = super().action_run()
        self.env["dunning.payment.behaviour"]._trigger_refresh()
        return action

    @api.model
    def _cron_daily(self):
        result = super()._cron_daily()
        self.env["dunning.payment.behaviour"]._trigger_refresh()
        return result
