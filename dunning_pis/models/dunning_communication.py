import base64
import logging
from collections import defaultdict

import phonenumbers
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import ConcurrencyError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL, email_normalize, format_date, format_datetime

from odoo.addons.payment import utils as payment_utils

from ..messaging import delivery, gsm7
from ..receivables import qr_codes
from ..receivables.balance import Position
from ..receivables.late_charges import Regime
from .company_language import in_company_language
from .dunning_level import TONES
from .dunning_proposal import Proposal

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
# A transaction that lost a race with another one: retried as a whole, never an error of one reminder.
CONCURRENCY_ERRORS = (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, ConcurrencyError)
MAX_RACES = 5
MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
# Where an SMS of Odoo's queue stands, from its notification (mail.notification.notification_status).
SMS_STATUSES = {"ready": delivery.PENDING, "process": delivery.PENDING, "pending": delivery.DELIVERED,
                "sent": delivery.DELIVERED}

_logger = logging.getLogger(__name__)


class DunningCommunication(models.Model):
    """What one customer receives on one run: one email, letter, call or hand-off, for its invoices."""

    _name = "dunning.communication"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _description = "Dunning communication"
    _order = "date desc, id desc"

    name = fields.Char(readonly=True, copy=False, default=lambda self: self.env._("New"))
    run_id = fields.Many2one("dunning.run", string="Dunning run", index=True, ondelete="cascade", readonly=True)
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
    regime = fields.Selection(
        [("business", "Business"), ("consumer", "Consumer")], string="Debtor", required=True, default="business",
        readonly=True,
        help="Business debtors owe interest from the day after the due date and the recovery indemnity "
             "(Code de commerce L441-10, D441-5); consumers owe interest at the legal rate from the formal notice "
             "only (Code civil 1231-6, 1344-1), and no recovery costs.",
    )
    user_id = fields.Many2one("res.users", string="Credit controller")
    state = fields.Selection(STATES, required=True, default="to_validate", index=True, tracking=True)
    date = fields.Date(required=True, readonly=True, index=True)
    sent_date = fields.Datetime(readonly=True, copy=False)
    line_ids = fields.One2many("dunning.line", "communication_id", string="Invoices")
    invoice_count = fields.Integer(string="Number of invoices", compute="_compute_amounts", store=True)
    # Amounts in company currency, already rounded to it. Floats rather than Monetary: creating a run's
    # thousands of communications otherwise resolves the currency of each amount through a new record.
    amount_due = fields.Float(
        compute="_compute_amounts", store=True, digits=(16, 4),
        help="What the customer owes on the items listed, net of its credits and of money on its way, in company "
             "currency.",
    )
    charges_total = fields.Float(
        string="Fees and interest", compute="_compute_amounts", store=True, digits=(16, 4),
        help="Fee, indemnities and interest this communication claims, in company currency.",
    )
    earlier_charges_total = fields.Float(
        string="Charges claimed earlier", compute="_compute_amounts", store=True, digits=(16, 4),
        help="Indemnities and interest claimed by earlier reminders on the items listed and not invoiced yet, in "
             "company currency.",
    )
    fee_amount = fields.Float(string="Justified costs", readonly=True, digits=(16, 4))
    channel_email = fields.Boolean(string="Email", readonly=True)
    channel_letter = fields.Boolean(string="Letter", readonly=True)
    channel_phone = fields.Boolean(string="Phone call", readonly=True)
    channel_collection = fields.Boolean(string="Collection", readonly=True)
    channel_sms = fields.Boolean(string="SMS", compute="_compute_channel_sms", store=True, precompute=True,
                                 readonly=True)
    registered_letter = fields.Boolean(readonly=True)
    tracking_number = fields.Char(string="Postal tracking number", tracking=True)
    posting_date = fields.Date(string="Posted on", tracking=True, copy=False,
                               help="The day the registered letter was handed to the post office.")
    receipt_date = fields.Date(string="Received on", tracking=True, copy=False,
                               help="The day the customer signed the acknowledgment of receipt.")
    receipt_attachment_ids = fields.Many2many(
        "ir.attachment", "dunning_communication_receipt_rel", "communication_id", "attachment_id",
        string="Acknowledgment of receipt", copy=False,
        help="The scanned acknowledgment of receipt, as returned by the post.",
    )
    email_mail_id = fields.Many2one(
        "mail.mail", string="Email sent", readonly=True, copy=False, index="btree_not_null", ondelete="set null",
        help="The reminder email as it left: body, recipients, attachments and date, kept as proof.",
    )
    email_to = fields.Text(related="email_mail_id.email_to", string="Sent to", help="Who the email went to.")
    email_cc = fields.Char(related="email_mail_id.email_cc", string="Copy to", help="Who got the email in copy.")
    sms_message_id = fields.Many2one("mail.message", string="SMS sent", readonly=True, copy=False, ondelete="set null")
    sms_number = fields.Char(string="Mobile number", readonly=True, copy=False)
    pay_link = fields.Char(string="Link to pay", readonly=True, copy=False,
                           help="The short link of the SMS to this reminder's page.")
    delivery_note = fields.Text(
        string="Channel notes", readonly=True, copy=False,
        help="Why a channel of the level was not used, and what the communication went by instead.",
    )
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

    @api.depends("level_id")
    def _compute_channel_sms(self):
        for communication in self:
            communication.channel_sms = communication.level_id.channel_sms

    def _compute_access_url(self):
        for communication in self:
            communication.access_url = f"/my/reminders/{communication.id}"

    @api.depends("line_ids.amount_residual", "line_ids.indemnity_amount", "line_ids.interest_amount",
                 "line_ids.earlier_charges_amount", "fee_amount")
    def _compute_amounts(self):
        """Totals in company currency, summed in SQL per item currency and converted at the rate of the
        communication's date: a run computes them for thousands of communications at once. Each currency's
        sum is rounded once, so a foreign-currency total may differ by a cent from per-line conversions."""
        totals = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
        stored = [communication_id for communication_id in self._origin.ids if communication_id]
        if stored:
            self.env["dunning.line"].flush_model(
                ["communication_id", "currency_id", "line_type", "invoice_id", "amount_residual", "indemnity_amount",
                 "interest_amount", "earlier_charges_amount"],
            )
            self.env.cr.execute(SQL(
                """
                SELECT line.communication_id, line.currency_id, communication.company_id, communication.date,
                       company.currency_id,
                       COUNT(DISTINCT line.invoice_id) FILTER (WHERE line.line_type = 'due'),
                       SUM(line.amount_residual), SUM(line.indemnity_amount + line.interest_amount),
                       SUM(line.earlier_charges_amount)
                  FROM dunning_line line
                  JOIN dunning_communication communication ON communication.id = line.communication_id
                  JOIN res_company company ON company.id = communication.company_id
                 WHERE line.communication_id IN %s
              GROUP BY line.communication_id, line.currency_id, communication.company_id, communication.date,
                       company.currency_id
                """, tuple(stored),
            ))
            rows = self.env.cr.fetchall()
            Currency, Company = self.env["res.currency"], self.env["res.company"]
            currencies = {currency.id: currency for currency in Currency.browse({row[4] for row in rows})}
            rates = {}
            for communication_id, currency_id, company_id, date, company_currency, count, due, charges, earlier in rows:
                rate = 1.0
                if currency_id != company_currency:
                    key = (currency_id, company_id, date)
                    if key not in rates:
                        currency = Currency.browse(currency_id)
                        rates[key] = currency._get_conversion_rate(currency, currencies[company_currency],
                                                                   Company.browse(company_id), date)
                    rate = rates[key]
                round_amount = currencies[company_currency].round
                total = totals[communication_id]
                total[0] += count
                total[1] += round_amount(float(due) * rate)
                total[2] += round_amount(float(charges) * rate)
                total[3] += round_amount(float(earlier) * rate)
        for communication in self:
            count, due, charges, earlier = totals[communication._origin.id]
            round_amount = communication.currency_id.round
            communication.invoice_count = count
            communication.amount_due = round_amount(due)
            communication.charges_total = round_amount(charges + communication.fee_amount)
            communication.earlier_charges_total = round_amount(earlier)

    @api.depends("level_id", "tone", "regime")
    def _compute_subject(self):
        for communication in self:
            template = communication._template()
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
        return self.level_id._template_for(self.tone, self._regime())

    def _regime(self):
        return Regime(self.regime or "business")

    def totals_by_currency(self):
        """[(currency, amount due net of credits, charges claimed now and earlier, fee, total)], for the
        reminders and letters; the fee is in company currency."""
        self.ensure_one()
        totals = []
        for currency, lines in self.line_ids.grouped("currency_id").items():
            fee = self.fee_amount if currency == self.currency_id else 0.0
            due = currency.round(sum(lines.mapped("amount_residual")))
            charges = currency.round(sum(lines.mapped("indemnity_amount")) + sum(lines.mapped("interest_amount"))
                                     + sum(lines.mapped("earlier_charges_amount")))
            totals.append((currency, due, charges, fee, currency.round(due + charges + fee)))
        if self.fee_amount and self.currency_id not in self.line_ids.currency_id:
            totals.append((self.currency_id, 0.0, 0.0, self.fee_amount, self.fee_amount))
        return totals

    def _due_lines(self):
        return self.line_ids.filtered(lambda line: line.line_type == "due")

    # Workflow ---------------------------------------------------------------------------------

    def action_validate(self):
        waiting = self.filtered(lambda c: c.state == "to_validate")
        if waiting != self:
            raise UserError(self.env._("Only communications waiting for validation can be validated."))
        self._set_state("queued")

    def action_send(self):
        if self.filtered(lambda c: c.state not in ("queued", "to_validate")):
            raise UserError(self.env._("Only communications that are queued or waiting for validation can be sent."))
        # Queued ones are not written: one the cron is sending at this moment is then left to it.
        self.filtered(lambda c: c.state == "to_validate")._set_state("queued")
        self._send()

    def action_cancel(self):
        if self.filtered(lambda c: c.state in ("sending", "sent")):
            raise UserError(self.env._("A communication that went out cannot be cancelled."))
        self._set_state("cancelled")

    def action_retry(self):
        """Queue again what failed, through the level's channels again: its failed email is cancelled
        first, so that no one can later send it as well as the new one."""
        if self.filtered(lambda c: c.state != "error"):
            raise UserError(self.env._("Only communications in error can be sent again."))
        escalated = self.line_ids.filtered("escalation")
        taken = self.env["dunning.line"].search([
            ("move_line_id", "in", escalated.move_line_id.ids), ("escalation", "=", True),
            ("state", "in", ACTIVE_STATES), ("communication_id", "not in", self.ids),
        ])
        if taken:
            raise UserError(self.env._(
                "Invoices %(invoices)s were reminded again since this communication failed: cancel it instead.",
                invoices=", ".join(taken.invoice_id.mapped("name")),
            ))
        self.email_mail_id.sudo().filtered(lambda mail: mail.state != "sent").write({"state": "cancel"})
        for communication in self:
            level = communication.level_id
            communication.write({
                "error_message": False, "delivery_note": False, "email_mail_id": False, "sms_message_id": False,
                "channel_email": level.channel_email, "channel_sms": level.channel_sms,
                "channel_letter": level.channel_letter, "channel_phone": level.channel_phone,
                "channel_collection": level.channel_collection,
            })
        self._set_state("queued")

    def _set_state(self, state):
        self.write({"state": state})
        self.line_ids.write({"state": state})

    def _claim(self):
        """The queued communications of ``self`` that this transaction alone may send.

        Their rows are locked until it commits; those another transaction holds (the cron of another
        worker, a user's *Send now*) are left to it. Once locked, a row's state is the committed one: a
        communication sent meanwhile is no longer queued. A row changed by a transaction that committed
        after this one began fails to serialise, and the whole transaction is retried.
        """
        if not self.ids:
            return self.browse()
        # As Odoo's try_lock_for_update, without logging as an error the serialisation failure of a race lost
        # to another worker, which the send cron expects: it rolls back and looks again.
        self.env.cr.execute(SQL(
            "SELECT id FROM dunning_communication WHERE id IN %s FOR NO KEY UPDATE SKIP LOCKED", tuple(self.ids),
        ), log_exceptions=False)
        locked_ids = {record_id for (record_id,) in self.env.cr.fetchall()}
        locked = self.filtered(lambda communication: communication.id in locked_ids)
        locked.invalidate_recordset(["state"])
        return locked.filtered(lambda c: c.state == "queued")

    def _send(self):
        """Send the queued communications, each once and in its own savepoint: one that cannot be sent
        (no template, a report that fails, no usable address and no fallback) is put in error with the
        reason and the others go out. Emails and SMS then go through Odoo's queues. Return what was
        handled here."""
        claimed = self._claim()
        self._ensure_portal_tokens(claimed.line_ids.invoice_id)
        refreshed = claimed._refresh_lines_at_once()
        for communication in map(in_company_language, claimed):
            try:
                with self.env.cr.savepoint():
                    if not refreshed:
                        communication._refresh_lines()
                    if communication.state == "queued":
                        communication._deliver()
            except CONCURRENCY_ERRORS:
                raise
            except Exception as error:  # one reminder that cannot go out must not stop the others
                if isinstance(error, UserError):
                    reason = error.args[0]
                    _logger.info("Reminder %s not sent: %s", communication.name, reason)
                else:
                    reason = f"{type(error).__name__}: {error}"
                    _logger.warning("Reminder %s not sent: %s", communication.name, reason, exc_info=True)
                communication._mark_failed(reason)
        return claimed

    def _refresh_lines_at_once(self):
        """Refresh the whole batch in a few queries; when that fails, each communication is refreshed in its own
        savepoint by ``_send``, so that the one at fault alone is put in error. Return whether it was done."""
        try:
            with self.env.cr.savepoint():
                for company, communications in self.grouped("company_id").items():
                    in_company_language(communications, company)._refresh_lines()
        except CONCURRENCY_ERRORS:
            raise
        except Exception:  # retried one by one, where the reason is recorded on the one at fault
            _logger.info("Reminders refreshed one by one: the batch of %s could not be at once", len(self))
            return False
        return True

    def _refresh_lines(self):
        """Bring the communications up to date before they go out, as the run would make them today: a customer
        no longer to remind (do not dun, in collection, collective proceedings) is not; what was paid,
        credited, reversed or paused since leaves them, new credits and money on their way join them, and the
        figures are computed again for their own date. Nothing left to claim cancels one; figures that cannot
        be computed put it in error. A batch of communications costs a few queries per company and date."""
        today = fields.Date.context_today(self)
        kept = defaultdict(list)
        for company, communications in self.grouped("company_id").items():
            partners = communications.partner_id.with_company(company)
            positions = self.env["account.move.line"]._dunning_positions(company, today, partners.ids)
            for communication in communications:
                partner = communication.partner_id.with_company(company)
                stop = partner._dunning_stop_reason(today)
                if stop:
                    communication.message_post(body=self.env._("Cancelled: %(reason)s", reason=stop))
                    communication._set_state("cancelled")
                    continue
                position = positions.get(partner.id) or Position(partner.id).allocate(today)
                proposal = Proposal.from_communication(communication, position)
                gone = communication.line_ids.filtered(
                    lambda line, kept=proposal.escalations: line.escalation and line.move_line_id.id not in kept)
                if gone:
                    communication.message_post(body=self.env._(
                        "Left out, no longer to remind: %(items)s", items=", ".join(gone.mapped("label")),
                    ))
                claimed = proposal.claimed()
                if not proposal.escalations or claimed <= 0 or claimed < communication.level_id.min_overdue_amount:
                    if proposal.escalations:
                        communication.message_post(body=self.env._(
                            "Cancelled: the customer's credits and payments on their way leave nothing to claim.",
                        ))
                    communication._set_state("cancelled")
                    continue
                kept[company, communication.date].append((communication, proposal))
        for (company, date), pairs in kept.items():
            communications = self.browse([communication.id for communication, _proposal in pairs])
            problems = self.env["dunning.run"].with_company(company)._compute_proposal_figures(
                [proposal for _communication, proposal in pairs], date, exclude_lines=communications.line_ids,
            )
            failed = communications.filtered(lambda communication, problems=problems: communication.partner_id.id
                                             in problems)
            for communication in failed:
                communication._mark_failed(problems[communication.partner_id.id])
            ready = [(communication, proposal) for communication, proposal in pairs if communication not in failed]
            (communications - failed).line_ids.unlink()
            self.env["dunning.line"]._insert_for_communications(
                [row for communication, proposal in ready for row in proposal.rows(communication)])

    @api.model
    def _ensure_portal_tokens(self, invoices):
        """The portal tokens of the invoices' links in reminders, made in one statement: Odoo makes them one
        invoice at a time through account.move's write, which synchronises all its lines again, for each."""
        missing = invoices.filtered(lambda invoice: not invoice.access_token)
        if missing:
            self.env.cr.execute(SQL(
                "UPDATE account_move SET access_token = gen_random_uuid()::text"
                " WHERE id IN %s AND access_token IS NULL",
                tuple(missing.ids),
            ))
            missing.invalidate_recordset(["access_token"])

    def _deliver(self):
        """Through the channels that reach the customer, falling back as the policy says when an email
        or SMS has no usable address."""
        self.ensure_one()
        to, cc, email_problems = self._email_addressees() if self.channel_email else ([], [], [])
        number, sms_problem = self._sms_number() if self.channel_sms else (None, None)
        requested = delivery.Channels(
            email=self.channel_email, sms=self.channel_sms, letter=self.channel_letter, phone=self.channel_phone,
            collection=self.channel_collection,
        )
        problems = [*email_problems, *([sms_problem] if sms_problem else [])]
        try:
            channels, fallback = delivery.resolve(requested, bool(to), bool(number), self.policy_id.fallback_channel)
        except delivery.NoChannel:
            raise UserError(self.env._(
                "Nothing can reach the customer: %(problems)s The policy has no fallback.",
                problems=" ".join(problems),
            )) from None
        if problems:
            self._note_delivery(problems, fallback)
        self.write({"channel_email": channels.email, "channel_sms": channels.sms, "channel_letter": channels.letter,
                    "channel_phone": channels.phone})
        if channels.letter:
            self._store_letter()
        if channels.phone:
            self._schedule_call()
        if channels.collection:
            self._hand_over_to_collection()
        if channels.email:
            self._queue_email(to, cc)
        if channels.sms:
            self._queue_sms(number)
        if channels.email or channels.sms:
            self._set_state("sending")
        else:
            self._mark_sent()

    def _note_delivery(self, problems, fallback):
        labels = {
            delivery.FALLBACK_LETTER: self.env._("The reminder goes as a letter to print instead."),
            delivery.FALLBACK_PHONE: self.env._("The reminder goes as a phone call instead."),
        }
        note = " ".join([*problems, *([labels[fallback]] if fallback else [])])
        self.delivery_note = "\n".join(filter(None, [self.delivery_note, note]))
        self.message_post(body=note)

    # Addresses -------------------------------------------------------------------------------

    def _email_addressees(self):
        """(to, copy, problems): the recipient, else the first contact the invoices were addressed to
        with a usable address, and the other such contacts in copy; the problems of the others."""
        candidates = self.contact_id | self.line_ids.invoice_id.partner_id.sorted("id")
        usable, seen, problems = [], set(), []
        for partner in candidates:
            problem = self._email_problem(partner)
            if problem:
                problems.append(problem)
            elif email_normalize(partner.email) not in seen:
                seen.add(email_normalize(partner.email))
                usable.append(partner)
        if usable and problems and usable[0] != self.contact_id:
            problems.append(self.env._("The email goes to %(contact)s.", contact=usable[0].display_name))
        return usable[:1], usable[1:], problems

    def _email_problem(self, partner):
        """Why ``partner``'s email address cannot carry a reminder, or None."""
        normalized = email_normalize(partner.email)
        if not partner.email:
            return self.env._("%(contact)s has no email address.", contact=partner.display_name)
        if not normalized:
            return self.env._("The email address of %(contact)s, “%(email)s”, is not valid.",
                              contact=partner.display_name, email=partner.email)
        if self.env["mail.blacklist"].sudo().search_count([("email", "=", normalized)], limit=1):
            return self.env._("The email address of %(contact)s, %(email)s, is blacklisted.",
                              contact=partner.display_name, email=normalized)
        if partner.message_bounce:
            return self.env._("Emails to %(contact)s, %(email)s, bounced.", contact=partner.display_name,
                              email=normalized)
        return None

    def _sms_number(self):
        """(mobile number in E.164, None) of the recipient, else of the customer; (None, the problem)."""
        for partner in self.contact_id | self.partner_id:
            number = partner.phone and partner._phone_format(number=partner.phone)
            if number and phonenumbers.number_type(phonenumbers.parse(number)) in MOBILE_TYPES:
                if self.env["phone.blacklist"].sudo().search_count([("number", "=", number)], limit=1):
                    return None, self.env._("The mobile number of %(contact)s, %(number)s, is blacklisted.",
                                            contact=partner.display_name, number=number)
                return number, None
        return None, self.env._("%(contact)s has no mobile number.", contact=self.contact_id.display_name)

    # Channels --------------------------------------------------------------------------------

    def _queue_email(self, to, cc):
        """Hand the email to Odoo's mail queue, kept once sent: no auto-delete, whatever the template says."""
        self.ensure_one()
        template = self._template()
        if not template:
            raise UserError(self.env._("Level %s has no email template for its tone.", self.level_id.name))
        attachments = template.attachment_ids | self.letter_attachment_id
        if self.level_id.attach_invoices:
            attachments |= self.line_ids.invoice_id._dunning_invoice_pdfs()
        self.email_mail_id = template.send_mail_batch(self.ids, email_values={
            "email_to": ", ".join(partner.email_formatted for partner in to),
            "email_cc": ", ".join(partner.email_formatted for partner in cc),
            "recipient_ids": [],
            "auto_delete": False,
            "attachment_ids": [Command.link(attachment.id) for attachment in attachments],
        })

    def _queue_sms(self, number):
        """Hand the SMS to Odoo's SMS queue, with the short link to this reminder's page."""
        self.ensure_one()
        template = self.level_id._sms_template_for(self.tone)
        if not template:
            raise UserError(self.env._("Level %s has no SMS template for its tone.", self.level_id.name))
        self._portal_ensure_token()
        self.pay_link = self.env["link.tracker"].sudo().search_or_create([{
            "url": f"{self.get_base_url()}{self.get_portal_url()}", "title": self.name,
        }]).short_url
        body = gsm7.to_gsm7(template._render_field("body", self.ids, compute_lang=True)[self.id])
        self.write({
            "sms_number": number,
            "sms_message_id": self._message_sms(
                body, partner_ids=self.contact_id.ids, sms_pid_to_number={self.contact_id.id: number},
                put_in_queue=True,
            ).id,
        })

    def _store_letter(self):
        """The letter as it is printed: rendered once and kept, and what every later print gives back."""
        self.ensure_one()
        if not self.letter_attachment_id:
            self._attach_report("dunning_pis.action_report_dunning_letter", "letter_attachment_id")

    def _attach_report(self, report_xmlid, field_name):
        self.ensure_one()
        content, kind = self.env["ir.actions.report"].with_context(report_pdf_no_attachment=True)._render(
            report_xmlid, self.ids,
        )
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

    def _letter_body(self, letter=True):
        """The body of this communication's template in the recipient's language, as a letter is written
        (addressed "Dear Sir or Madam", paid from paper) or, without ``letter``, as a call script."""
        self.ensure_one()
        template = self._template()
        if not template:
            return ""
        return template.with_context(dunning_letter=letter)._render_field(
            "body_html", self.ids, compute_lang=True)[self.id]

    def _table_lines(self):
        """The lines as the customer reads them: each item by due date with the money on its way for it just
        under it, then the credits."""
        self.ensure_one()
        lines = self.line_ids
        on_its_way = lines.filtered(lambda line: line.line_type == "transit")
        ordered = self.env["dunning.line"]
        for due in lines.filtered(lambda line: line.line_type == "due").sorted(lambda line: (line.due_date, line.id)):
            ordered |= due | on_its_way.filtered(lambda line, due=due: line.move_line_id == due.move_line_id)
        return ordered | lines.filtered(lambda line: line.line_type == "credit").sorted(
            lambda line: (line.due_date, line.id))

    def _interest_basis(self):
        """The rates of the interest this communication claims, and their legal basis."""
        self.ensure_one()
        lines = self.line_ids.filtered("interest_date_from")
        if not lines:
            return ""
        return self.env["dunning.interest.rate"]._rates_text(
            self.company_id, self._regime(), min(lines.mapped("interest_date_from")),
            max(lines.mapped("interest_date_to")),
        )

    def _letter_addressee(self):
        """Who the letter's address block names: the recipient when it has a postal address of its own, else
        the customer, the letter then being for the recipient's attention."""
        self.ensure_one()
        contact = self.contact_id
        return contact if contact.street or contact.city else self.partner_id

    def _place_and_date(self):
        """"Lyon, 30/06/2026": where the letter is written, and when: the day it is sent, or printed before."""
        self.ensure_one()
        day = self.sent_date.date() if self.sent_date else fields.Date.context_today(self)
        return ", ".join(part for part in (self.company_id.city, format_date(self.env, day)) if part)

    def _payee_bank(self):
        """The account the customer pays into: the company's first bank account."""
        self.ensure_one()
        return self.company_id.partner_id.bank_ids[:1]

    @api.model
    def _format_iban(self, number):
        compact = "".join((number or "").split())
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))

    def _pay_qr_codes(self):
        """The QR codes of the letter: one to pay the total by transfer (EPC QR code, euros only), one per
        invoice that can be paid online (its pay-by-bank page, else its portal page)."""
        self.ensure_one()
        codes, bank = [], self._payee_bank()
        for currency, _due, _charges, _fee, total in self.totals_by_currency():
            if bank and currency.name == "EUR" and total > 0:
                try:
                    payload = qr_codes.epc_payload(bank.acc_holder_name or self.company_id.name, bank.acc_number,
                                                   total, self.name, bic=bank.bank_bic or "")
                except qr_codes.PayloadError:
                    continue
                codes.append({"image": qr_codes.png(payload, box_size=4).decode(), "amount": total,
                              "currency": currency, "label": self.env._("Total, by transfer")})
        for line in self._due_lines().filtered("pay_url"):
            codes.append({"image": qr_codes.png(line.pay_url, box_size=4).decode(), "amount": line.amount_residual,
                          "currency": line.currency_id, "label": line.label})
        return codes

    def _pay_total(self):
        """What one payment by bank of this reminder settles today: (the open invoices it listed and the customer's
        credit notes, their net total), as they stand now: a payment or credit received since the reminder lowers
        it. Euros only, as payment initiation."""
        self.ensure_one()
        items = self.line_ids.filtered(lambda line: line.line_type == "due").move_line_id.sudo()
        # every credit the customer has now, those the reminder listed and those received since
        credits = self.env["account.move.line"].sudo().search([
            ("company_id", "=", self.company_id.id),
            ("partner_id", "child_of", self.partner_id.commercial_partner_id.id),
            ("account_type", "=", "asset_receivable"), ("parent_state", "=", "posted"), ("reconciled", "=", False),
            ("amount_residual", "<", 0),
        ])
        open_items = items.filtered(lambda item: not item.reconciled) | credits
        if not open_items or any(item.currency_id.name != "EUR" for item in open_items):
            return self.env["account.move"], 0.0
        moves = open_items.move_id.filtered(
            lambda move: move.state == "posted" and move.move_type in ("out_invoice", "out_refund"))
        currency = open_items.currency_id
        return moves, currency.round(sum(open_items.mapped("amount_residual_currency")))

    def _pay_total_url(self):
        """The page of the reminder's "Pay by bank" button, when its total can be paid by bank."""
        self.ensure_one()
        moves, total = self._pay_total()
        invoices = moves.filtered(lambda move: move.move_type == "out_invoice")
        if total <= 0 or not invoices or not invoices[:1]._pay_by_bank_provider():
            return ""
        return (f"{self.get_base_url()}/my/reminders/{self.id}/pay_by_bank"
                f"?access_token={payment_utils.generate_access_token(self.id, self.name, env=self.env)}")

    def _controller(self):
        self.ensure_one()
        return self.user_id or self.company_id.dunning_default_controller_id or self.env.user

    def _schedule_call(self):
        self.ensure_one()
        script = self._letter_body(letter=False)
        self.call_activity_id = self.partner_id.activity_schedule(
            "mail.mail_activity_data_call",
            summary=self.env._("Call about %(count)s overdue invoices (%(communication)s)",
                               count=self.invoice_count, communication=self.name) if self.invoice_count != 1
            else self.env._("Call about an overdue invoice (%(communication)s)", communication=self.name),
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
            channels, link = communication._channel_labels(), communication._link()
            proof, attachments = communication._proof()
            attachment_ids = [Command.set(attachments.ids)]
            # Notes that notify no one: _message_log writes them at a third of message_post's cost.
            for invoice, lines in communication._due_lines().grouped("invoice_id").items():
                levels = lines.level_id.sorted(lambda level: (level.sequence, level.delay_days))
                if levels:
                    body = self.env._("Reminder “%(level)s” sent by %(channels)s (%(communication)s).",
                                      level=levels[-1].name, channels=channels, communication=link)
                else:
                    body = self.env._("Listed, at no level of its own, in the reminder sent by %(channels)s "
                                      "(%(communication)s).", channels=channels, communication=link)
                invoice._message_log(body=body + proof, attachment_ids=attachment_ids)
            communication.partner_id._message_log(body=self.env._(
                "Reminder “%(level)s” sent by %(channels)s (%(communication)s).",
                level=communication.level_id.name, channels=channels, communication=link,
            ) + proof, attachment_ids=attachment_ids)

    def _mark_failed(self, reason):
        self.write({"error_message": reason})
        self._set_state("error")
        self._cancel_failed_deliveries()
        for communication in self:
            communication.message_post(body=self.env._("Not sent: %s", reason))

    def _channel_labels(self):
        """The channels this communication went by: an email or SMS that failed is not one of them."""
        self.ensure_one()
        failed = [channel for status, _reason, channel in self._deliveries() if status == delivery.FAILED]
        return self.level_id._channel_labels(self, exclude=failed)

    def _proof(self):
        """(body, attachments) of what went out as the customer received it: the email's recipients, date,
        subject and body, the SMS's number and text, the letter and the attachments."""
        self.ensure_one()
        parts, attachments = [], self.letter_attachment_id
        mail = self.email_mail_id
        if mail.state == "sent":
            parts.append(Markup("<p>%s</p>") % self.env._(
                "Email to %(to)s%(copy)s, sent on %(date)s (UTC), message %(message_id)s: %(subject)s",
                to=mail.email_to, copy=self.env._(", copy to %s", mail.email_cc) if mail.email_cc else "",
                date=format_datetime(self.env, self.sent_date, tz="UTC"), message_id=mail.message_id,
                subject=mail.subject,
            ))
            # The rendered template, as it left; message_post sanitizes it like any other body.
            parts.append(Markup('<div style="padding-left: 12px;">%s</div>') % Markup(mail.body_html or ""))
            attachments |= mail.attachment_ids
        sms = self.sms_message_id
        sms_statuses = {status for status, _reason, channel in self._deliveries() if channel == "channel_sms"}
        if sms and delivery.DELIVERED in sms_statuses:
            parts.append(Markup("<p>%s</p>") % self.env._(
                "SMS to %(number)s: %(text)s", number=self.sms_number, text=sms.body and sms.body.striptags(),
            ))
        return Markup("").join(parts), attachments

    def _deliveries(self):
        """[(status, reason, channel field)] of the email and SMS handed to Odoo's queues."""
        self.ensure_one()
        deliveries = []
        if mail := self.email_mail_id:
            status = {"outgoing": delivery.PENDING, "sent": delivery.DELIVERED}.get(mail.state, delivery.FAILED)
            reason = mail.failure_reason or dict(mail._fields["failure_type"]._description_selection(self.env)).get(
                mail.failure_type, mail.state)
            deliveries.append((status, self.env._("Email: %(reason)s", reason=reason), "channel_email"))
        for notification in self.sms_message_id.notification_ids.filtered(lambda n: n.notification_type == "sms"):
            status = SMS_STATUSES.get(notification.notification_status, delivery.FAILED)
            reason = notification.failure_reason or dict(
                notification._fields["failure_type"]._description_selection(self.env),
            ).get(notification.failure_type, notification.notification_status)
            deliveries.append((status, self.env._("SMS: %(reason)s", reason=reason), "channel_sms"))
        return deliveries

    def _settle_safely(self):
        """``_settle`` for Odoo's mail and SMS queues, which must not fail for a reminder: a failure leaves
        these communications sending, to be settled again by the next send cron."""
        try:
            with self.env.cr.savepoint():
                self._settle()
        except CONCURRENCY_ERRORS:
            raise
        except Exception:
            _logger.warning("Reminders %s not settled; the send cron will try again", self.mapped("name"),
                            exc_info=True)

    def _settle(self):
        """The communications being sent, once Odoo's queues reported on their email or SMS: sent when one
        of them reached the customer, in error with the reasons when all failed. Called by the queues."""
        for company, sending in self.filtered(lambda c: c.state == "sending").grouped("company_id").items():
            for communication in in_company_language(sending, company):
                deliveries = communication._deliveries()
                result = delivery.outcome([status for status, _reason, _channel in deliveries])
                if result == delivery.DELIVERED:
                    communication._mark_sent()
                    communication._cancel_failed_deliveries()
                elif result == delivery.FAILED:
                    communication._mark_failed("; ".join(reason for _status, reason, _channel in deliveries))

    def _cancel_failed_deliveries(self):
        """A failed email or SMS of a reminder is never sent later on its own (Odoo's *Retry* of emails and
        *Resend* of SMS): the reminder is retried as a whole, or its other channel reached the customer."""
        self.email_mail_id.sudo().filtered(lambda mail: mail.state == "exception").write({"state": "cancel"})
        self.env["sms.sms"].sudo().search([
            ("mail_message_id", "in", self.sms_message_id.ids), ("state", "=", "error"),
        ]).action_set_canceled()

    def _message_receive_bounce(self, email, partner):
        """The reminder email bounced: the customer did not get it, so the policy's fallback reaches them."""
        result = super()._message_receive_bounce(email, partner)
        for communication in map(in_company_language, self.filtered(lambda c: c.state == "sent" and c.email_mail_id)):
            fallback = communication.policy_id.fallback_channel
            if fallback == delivery.FALLBACK_LETTER and not communication.channel_letter:
                communication.channel_letter = True
                communication._store_letter()
            elif fallback == delivery.FALLBACK_PHONE and not communication.channel_phone:
                communication.channel_phone = True
                communication._schedule_call()
            else:
                fallback = None
            communication._note_delivery([communication.env._("The email to %(email)s bounced.", email=email)],
                                         fallback)
        return result

    def write(self, vals):
        result = super().write(vals)
        if {"tracking_number", "posting_date", "receipt_date", "receipt_attachment_ids"} & vals.keys():
            self._post_registered_letter(vals)
        return result

    def _post_registered_letter(self, vals):
        """Posting and receipt of a registered letter, written on the customer and each invoice as well."""
        for communication in map(in_company_language,
                                 self.filtered(lambda c: c.registered_letter and c.state == "sent")):
            env = communication.env
            messages = []
            if {"tracking_number", "posting_date"} & vals.keys() and communication.posting_date:
                messages.append((env._(
                    "Registered letter of %(communication)s posted on %(date)s, tracking number %(number)s.",
                    communication=communication._link(), date=format_date(env, communication.posting_date),
                    number=communication.tracking_number or "-",
                ), []))
            if {"receipt_date", "receipt_attachment_ids"} & vals.keys() and communication.receipt_date:
                messages.append((env._(
                    "Registered letter of %(communication)s received on %(date)s.",
                    communication=communication._link(), date=format_date(env, communication.receipt_date),
                ), communication.receipt_attachment_ids.ids))
            for body, attachment_ids in messages:
                for record in (*communication.line_ids.invoice_id, communication.partner_id):
                    record.message_post(body=body, attachment_ids=attachment_ids)

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
    def _cron_send_queued(self, batch_size=100):
        """Send what is queued, batch by batch, each batch committed: a crash loses at most the batch being
        sent, which is then still queued, with nothing of it sent. What another worker is sending is left
        to it; a batch that lost a race with it is rolled back and looked at again. Return how many
        communications this call sent or put in error."""
        cron = self.env["ir.cron"]
        self.search([("state", "=", "sending")])._settle()  # any the queues could not settle when they reported
        elsewhere, races, done = [], 0, 0
        while True:
            domain = [("state", "=", "queued"), ("id", "not in", elsewhere)]
            queued = self.search(domain, limit=batch_size, order="id")
            if not queued:
                return done
            try:
                handled = queued._send()
            except CONCURRENCY_ERRORS as error:
                races += 1
                if races > MAX_RACES:
                    raise
                _logger.info("Sending reminders lost a race with another transaction (%s); trying again.",
                             type(error).__name__)
                self.env.cr.rollback()
                self.env.transaction.reset()
                continue
            done += len(handled)
            elsewhere.extend((queued - handled).ids)
            if not cron._commit_progress(len(handled), remaining=self.search_count(domain)):
                return done
