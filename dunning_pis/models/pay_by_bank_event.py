from odoo import fields, models
from odoo.tools import SQL


class PayByBankEvent(models.Model):
    """The events of a service's webhooks that Odoo applied, by the service's own id: the same event sent
    again (GoCardless retries, or repeats it) is acknowledged and applied once."""

    _name = "dunning.pay.by.bank.event"
    _description = "Pay-by-bank service event"
    _order = "id desc"

    provider_id = fields.Many2one("payment.provider", required=True, readonly=True, ondelete="cascade", index=True)
    event_id = fields.Char(string="Event", required=True, readonly=True)
    resource_type = fields.Char(readonly=True)
    action = fields.Char(readonly=True)
    outcome = fields.Selection([("applied", "Applied"), ("ignored", "Nothing to do")], readonly=True)

    _event_unique = models.Constraint("UNIQUE (provider_id, event_id)", "An event is applied once.")

    def _claim(self, provider, event):
        """Take ``event`` for this transaction: False if it was applied already (or is being applied by a
        concurrent request, which this one then waits for)."""
        self.env.cr.execute(SQL(
            """INSERT INTO dunning_pay_by_bank_event (provider_id, event_id, resource_type, action, create_uid,
                                                      create_date, write_uid, write_date)
               VALUES (%s, %s, %s, %s, %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')
               ON CONFLICT (provider_id, event_id) DO NOTHING RETURNING id""",
            provider.id, event["id"][:64], str(event.get("resource_type") or "")[:64],
            str(event.get("action") or "")[:64], self.env.uid, self.env.uid,
        ))
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else False
