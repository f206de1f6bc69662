import base64
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .dunning_level import TONES

STATES = [
    ("to_validate", "To validate"),
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("error", "Error"),
    ("cancelled", "Cancelled"),
]
# A line in one of these states holds its invoice at its level: no other reminder of that level can be made.
ACTIVE_STATES = ("to_validate", "queued", "sending", "sent")
OPEN_PAYMENT_STATES = ("not_paid", "partial")


class DunningCommunication(models.Model):
    """What one customer receives on one run: one email, letter, call or hand-off, for its invoices."""

    _name = "dunning.communication"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Dunning communication"
    _order = "date desc, id desc"

    name = fields.Char(readonly=True, copy=False, default=lambda self: self.env._("New"))
    run_id = fields.Many2one("dunning.run", index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    contact_id = fields.Many2one(
        "res.partner", string="Recipient", required=True, help="The address the communication goes to.",
    )
    policy_id = fields.Many2one("dunning.policy", required=True, readonly=True, ondelete="restrict")
    level_id = fields.Many2one("dunning.level", required=True, readonly=True, index=True, ondelete="restrict")
    tone = fields.Selection(TONES, required=True)
    user_id = fields.Many2one("res.users", string="Credit controller")
    state = fields.Selection(STATES, required=True, default="to_validate", index=True, tracking=True)
    date = fields.Date(required=True, readonly=True, index=True)
    sent_date = fields.Datetime(readonly=True, copy=False)
    line_ids = fields.One2many("dunning.line", "communication_id", string="Invoices")
    invoice_count = fields.Integer(string="Number of invoices", compute="_compute_amounts", store=True)
    # Amounts in company currency, already rounded to it. Floats rather than Monetary: creating a run's
    # thousands of communications otherwise resolves the currency of each amount through a new record.
    amount_due = fields.Float(compute="_compute_amounts", store=True, digits=(16, 4), help="In company currency.")
    charges_total = fields.Float(
        string="Fees and interest", compute="_compute_amounts", store=True, digits=(16, 4),
        help="Fee, indemnities and interest, in company currency.",
    )
    fee_amount = fields.Float(string="Fixed fee", readonly=True, digits=(16, 4))
    channel_email = fields.Boolean(string="Email", readonly=True)
    channel_letter = fields.Boolean(string="Letter", readonly=True)
    channel_phone = fields.Boolean(string="Phone call", readonly=True)
    channel_collection = fields.Boolean(string="Collection", readonly=True)
    registered_letter = fields.Boolean(readonly=True)
    tracking_number = fields.Char(string="Postal tracking number", tracking=True)
    letter_attachment_id = fields.Many2one("ir.attachment", string="Letter PDF", readonly=True, copy=False)
    collection_file_id = fields.Many2one("ir.attachment", string="Collection file", readonly=True, copy=False)
    call_activity_id = fields.Many2one("mail.activity", readonly=True, copy=False, ondelete="set null")
    error_message = fields.Text(readonly=True, copy=False)
    fee_invoice_id = fields.Many2one("account.move", string="Fee invoice", readonly=True, copy=False)
    subject = fields.Char(compute="_compute_subject")
    can_invoice_charges = fields.Boolean(compute="_compute_can_invoice_charges")

    _partner_date_idx = models.Index("(partner_id, date DESC) WHERE state IN ('to_validate','queued','sending','sent')")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.communication") or self.env._("New")
        return super().create(vals_list)

    @api.depends("line_ids.amount_residual", "line_ids.indemnity_amount", "line_ids.interest_amount", "fee_amount")
    def _compute_amounts(self):
        """Totals in company currency, summed in SQL per invoice currency and converted at the rate of the
        communication's date: a run computes them for thousands of communications at once. Each currency's
        sum is rounded once, so a foreign-currency total may differ by a cent from per-line conversions."""
        totals = defaultdict(lambda: [0, 0.0, 0.0])
        stored = [communication_id for communication_id in self._origin.ids if communication_id]
        if stored:
            self.env["dunning.line"].flush_model(
                ["communication_id", "currency_id", "amount_residual", "indemnity_amount", "interest_amount"],
            )
            self.env.cr.execute(SQL(
                """
                SELECT communication_id, currency_id, COUNT(*), SUM(amount_residual),
                       SUM(indemnity_amount + interest_amount)
                  FROM dunning_line
                 WHERE communication_id IN %s
              GROUP BY communication_id, currency_id
                """, tuple(stored),
            ))
            # Fetched at once: what follows may query the database (the user's time zone, currencies).
            rows = self.env.cr.fetchall()
            today = fields.Date.context_today(self)
            rates = {}
            for communication_id, currency_id, count, due, charges in rows:
                communication = self.env[self._name].browse(communication_id).with_prefetch(stored)
                company = communication.company_id
                key = (currency_id, company, communication.date or today)
                if key not in rates:
                    currency = self.env["res.currency"].browse(currency_id)
                    rates[key] = currency._get_conversion_rate(currency, company.currency_id, company, key[2])
                rate = rates[key]
                total = totals[communication_id]
                total[0] += count
                total[1] += company.currency_id.round(float(due) * rate)
                total[2] += company.currency_id.round(float(charges) * rate)
        for communication in self:
            count, due, charges = totals[communication._origin.id]
            round_amount = communication.currency_id.round
            communication.invoice_count = count
            communication.amount_due = round_amount(due)
            communication.charges_total = round_amount(charges + communication.fee_amount)

    @api.depends("level_id", "tone")
    def _compute_subject(self):
        for communication in self:
            template = communication.level_id._template_for(communication.tone)
            communication.subject = template and template._render_field(
                "subject", communication.ids, compute_lang=True,
            )[communication.id]

    @api.depends("company_id.dunning_invoice_charges", "state", "fee_invoice_id", "line_ids.charges_invoice_id")
    def _compute_can_invoice_charges(self):
        for communication in self:
            unbilled = communication.line_ids.filtered(
                lambda line: not line.charges_invoice_id and (line.indemnity_amount or line.interest_amount)
            )
            communication.can_invoice_charges = (
                communication.company_id.dunning_invoice_charges and communication.state == "sent"
                and bool(unbilled or (communication.fee_amount and not communication.fee_invoice_id))
            )

    def _template(self):
        self.ensure_one()
        return self.level_id._template_for(self.tone)

    def totals_by_currency(self):
        """[(currency, amount due, charges)] of the invoices, for the reminders and letters."""
        self.ensure_one()
        return [
            (currency, sum(lines.mapped("amount_residual")),
             sum(lines.mapped("indemnity_amount")) + sum(lines.mapped("interest_amount")))
            for currency, lines in self.line_ids.grouped("currency_id").items()
        ]

    # Workflow ---------------------------------------------------------------------------------

    def action_validate(self):
        waiting = self.filtered(lambda c: c.state == "to_validate")
        if waiting != self:
            raise UserError(self.env._("Only communications waiting for validation can be validated."))
        self._set_state("queued")

    def action_send(self):
        if self.filtered(lambda c: c.state not in ("queued", "to_validate")):
            raise UserError(self.env._("Only communications that are queued or waiting for validation can be sent."))
        self._set_state("queued")
        self._send()

    def action_cancel(self):
        if self.filtered(lambda c: c.state in ("sending", "sent")):
            raise UserError(self.env._("A communication that went out cannot be cancelled."))
        self._set_state("cancelled")

    def action_retry(self):
        if self.filtered(lambda c: c.state != "error"):
            raise UserError(self.env._("Only communications in error can be sent again."))
        taken = self.env["dunning.line"].search([
            ("invoice_id", "in", self.line_ids.invoice_id.ids), ("state", "in", ACTIVE_STATES),
            ("communication_id", "not in", self.ids),
        ])
        if taken:
            raise UserError(self.env._(
                "Invoices %(invoices)s were reminded again since this communication failed: cancel it instead.",
                invoices=", ".join(taken.invoice_id.mapped("name")),
            ))
        self.write({"error_message": False})
        self._set_state("queued")

    def _set_state(self, state):
        self.write({"state": state})
        self.line_ids.write({"state": state})

    def _send(self):
        """Send queued communications through their channels; emails then go through the mail queue."""
        self._refresh_lines()
        queued = self.filtered(lambda c: c.state == "queued")
        for communication in queued:
            if communication.channel_letter:
                communication._attach_report("dunning_pis.action_report_dunning_letter", "letter_attachment_id")
            if communication.channel_phone:
                communication._schedule_call()
            if communication.channel_collection:
                communication._hand_over_to_collection()
        by_email = queued.filtered("channel_email")
        for communication in by_email:
            communication._queue_email()
        by_email._set_state("sending")
        (queued - by_email)._mark_sent()

    def _refresh_lines(self):
        """Leave out what was paid, reversed or paused since the run, and update what remains due."""
        for communication in self:
            lines = communication.line_ids
            gone = lines.filtered(lambda line, date=communication.date: not line.invoice_id._dunning_is_open(date))
            if gone:
                communication.message_post(body=self.env._(
                    "Left out, no longer to remind: %(invoices)s", invoices=", ".join(gone.invoice_id.mapped("name")),
                ))
                gone.unlink()
            if not communication.line_ids:
                communication._set_state("cancelled")
            else:
                communication.line_ids._compute_charges()

    def _queue_email(self):
        self.ensure_one()
        template = self._template()
        if not template:
            raise UserError(self.env._("Level %s has no email template for its tone.", self.level_id.name))
        attachments = self.letter_attachment_id
        if self.level_id.attach_invoices:
            attachments |= self.line_ids.invoice_id._dunning_invoice_pdfs()
        template.send_mail(
            self.id,
            email_layout_xmlid="mail.mail_notification_light",
            email_values={"attachment_ids": [(4, attachment.id) for attachment in attachments]},
        )

    def _attach_report(self, report_xmlid, field_name):
        self.ensure_one()
        content, kind = self.env["ir.actions.report"]._render(report_xmlid, self.ids)
        report = self.env.ref(report_xmlid)
        attachment = self.env["ir.attachment"].create({
            "name": f"{report.name} {self.name}.{'pdf' if kind == 'pdf' else 'html'}",
            "datas": base64.b64encode(content),
            "res_model": self._name,
            "res_id": self.id,
            "mimetype": "application/pdf" if kind == "pdf" else "text/html",
        })
        self[field_name] = attachment
        return attachment

    def _letter_body(self):
        """The body of this communication's template, rendered in the recipient's language."""
        self.ensure_one()
        template = self._template()
        return template._render_field("body_html", self.ids, compute_lang=True)[self.id] if template else ""

    def _controller(self):
        self.ensure_one()
        return self.user_id or self.company_id.dunning_default_controller_id or self.env.user

    def _schedule_call(self):
        self.ensure_one()
        script = self._letter_body()
        self.call_activity_id = self.partner_id.activity_schedule(
            "mail.mail_activity_data_call",
            summary=self.env._("Call about %(count)s overdue invoices (%(communication)s)",
                      count=self.invoice_count, communication=self.name),
            note=script,
            user_id=self._controller().id,
            date_deadline=fields.Date.context_today(self),
        )

    def _hand_over_to_collection(self):
        self.ensure_one()
        self.partner_id.write({
            "dunning_in_collection": True,
            "dunning_collection_date": fields.Date.context_today(self),
        })
        attachment = self._attach_report("dunning_pis.action_report_collection_file", "collection_file_id")
        self.partner_id.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Hand %(customer)s over to collection", customer=self.partner_id.display_name),
            note=self.env._(
                "The collection file of %(communication)s holds the statement, the invoices and the reminders sent.",
                communication=self.name,
            ),
            user_id=self._controller().id,
            date_deadline=fields.Date.context_today(self),
        )
        self.partner_id.message_post(
            body=self.env._("Handed over to collection (%s).", self.name), attachment_ids=attachment.ids,
        )

    def _mark_sent(self):
        self.write({"sent_date": fields.Datetime.now(), "error_message": False})
        self._set_state("sent")
        for communication in self:
            body = self.env._(
                "Reminder “%(level)s” sent by %(channels)s (%(communication)s).",
                level=communication.level_id.name, channels=communication.level_id._channel_labels(),
                communication=communication._link(),
            )
            for invoice in communication.line_ids.invoice_id:
                invoice.message_post(body=body)
            communication.partner_id.message_post(body=body)

    def _mark_failed(self, reason):
        self.write({"error_message": reason})
        self._set_state("error")
        for communication in self:
            communication.message_post(body=self.env._("Not sent: %s", reason))

    def _link(self):
        self.ensure_one()
        return Markup('<a href="#" data-oe-model="%s" data-oe-id="%s">%s</a>') % (self._name, self.id, self.name)

    # Buttons ----------------------------------------------------------------------------------

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({"domain": [("id", "in", self.line_ids.invoice_id.ids)], "context": {"create": False}})
        return action

    def action_print_letter(self):
        return self.env.ref("dunning_pis.action_report_dunning_letter").report_action(self)

    def action_invoice_charges(self):
        return self.line_ids._invoice_charges(self)

    @api.model
    def _cron_send_queued(self, batch_size=200):
        """Send what is queued, in batches that are committed one by one, so a crash loses nothing."""
        queued = self.search([("state", "=", "queued")])
        cron = self.env["ir.cron"]
        for start in range(0, len(queued), batch_size):
            batch = queued[start:start + batch_size]
            batch._send()
            cron._commit_progress(len(batch), remaining=len(queued) - start - len(batch))
