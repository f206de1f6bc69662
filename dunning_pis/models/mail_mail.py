from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        """A reminder counts as sent when its email leaves: a failed send leaves it in error and its
        invoices at their previous level, to be reminded again by the next run."""
        reminders = self.env["dunning.communication"].sudo().search([("email_mail_id", "in", self.ids)])
        result = super()._postprocess_sent_message(success_pids, success_emails, failure_reason, failure_type)
        reminders._settle_safely()
        return result
