from odoo import models


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _handle_call_result_hook(self, results):
        """A reminder by SMS counts as sent once the SMS provider took it, as an email once it left."""
        result = super()._handle_call_result_hook(results)
        messages = self.mail_message_id.filtered(lambda message: message.model == "dunning.communication")
        if messages:
            reminders = self.env["dunning.communication"].sudo().search([("sms_message_id", "in", messages.ids)])
            reminders._settle_safely()
        return result
