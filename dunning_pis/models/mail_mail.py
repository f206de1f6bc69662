from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False, failure_type=None):
        """A reminder counts as sent when its email leaves: a failed send leaves it in error and its
        invoices at their previous level, to be reminded again by the next run."""
        reminders = self.env["dunning.communication"].sudo().browse(
            [mail.res_id for mail in self if mail.model == "dunning.communication" and mail.res_id]
        ).exists().filtered(lambda c: c.state == "sending")
        if reminders:
            if failure_type:
                labels = dict(self.env["mail.notification"]._fields["failure_type"]._description_selection(self.env))
                reminders._mark_failed(failure_reason or labels.get(failure_type, failure_type))
            else:
                reminders._mark_sent()
        return super()._postprocess_sent_message(success_pids, success_emails, failure_reason, failure_type)
