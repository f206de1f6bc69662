from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TODAY, DunningCommon

COMMUNICATION_LOGGER = "odoo.addons.dunning_pis.models.dunning_communication"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestReminderDelivery(DunningCommon):
    """Each reminder goes out once through what reaches its customer; one that cannot go out says why
    and never holds the others back."""

    def _customer(self, name, **values):
        return self.env["res.partner"].create({
            "name": name, "is_company": True, "email": f"{name.lower().replace(' ', '.')}@example.com", **values,
        })

    def _policy_where_first_overdue_level(self, name, **level_values):
        policy = self.policy.copy({"name": name})
        policy.level_ids.filtered(lambda level: level.delay_days == 1).write(level_values)
        return policy

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_a_broken_level_among_healthy_ones(self):
        """No template, a report that fails, an address the mail server refuses, no address, a
        blacklisted one: each in error with its reason, and the healthy reminders all go out."""
        self.policy.fallback_channel = "none"
        healthy = [self._customer(f"Healthy {n}") for n in range(3)]
        no_template = self._customer("No Template", dunning_tone="firm")
        no_template.with_company(self.company).dunning_policy_id = self._policy_where_first_overdue_level(
            "Firm without template", template_firm_id=False, template_standard_id=False,
        )
        broken = self.env.ref("dunning_pis.email_template_after_1_courteous").copy({
            "body_html": '<p>Dear <t t-out="object.partner_id.no_such_field"/></p>',
        })
        broken_letter = self._customer("Broken Letter", dunning_tone="courteous")
        broken_letter.with_company(self.company).dunning_policy_id = self._policy_where_first_overdue_level(
            "Letter that cannot be printed", channel_email=False, channel_letter=True, template_courteous_id=broken.id,
        )
        refused = self._customer("Refused")
        self.smtp.refuse(refused.email)
        no_address = self._customer("No Address", email=False)
        blacklisted = self._customer("Blacklisted")
        self.env["mail.blacklist"].create({"email": blacklisted.email})
        customers = [*healthy, no_template, broken_letter, refused, no_address, blacklisted]
        for customer in customers:
            self.invoice(customer, 300.0, self.days(-3))
        communications = self.run_dunning().communication_ids
        self.assertEqual(len(communications), len(customers))

        communications.action_send()
        self.deliver_emails()

        by_customer = {communication.partner_id: communication for communication in communications}
        for customer in healthy:
            self.assertEqual(by_customer[customer].state, "sent", customer.name)
        self.assertEqual(sorted(email for message in self.smtp.messages for email in message["to"]),
                         sorted(customer.email for customer in healthy))
        reasons = {
            no_template: "no email template for its tone",
            broken_letter: "no_such_field",
            refused: "5.1.1 Mailbox unavailable",
            no_address: "has no email address",
            blacklisted: "is blacklisted",
        }
        for customer, reason in reasons.items():
            communication = by_customer[customer]
            self.assertEqual(communication.state, "error", customer.name)
            self.assertIn(reason, communication.error_message, customer.name)
            self.assertIn(reason, communication.message_ids[0].body, "said in the chatter too")
            self.assertFalse(communication.line_ids.invoice_id.dunning_level_id, "the invoice stays where it was")
        self.assertFalse(by_customer[broken_letter].letter_attachment_id, "nothing half-done is kept")
        self.assertEqual(by_customer[refused].email_mail_id.state, "cancel",
                         "Odoo's Retry of the failed email cannot send it beside a retried reminder")
        self.assertFalse(communications.filtered(lambda c: c.state in ("queued", "sending")), "nothing left waiting")

    def test_reminders_brought_up_to_date_at_once_and_one_by_one_when_one_fails(self):
        """A batch is brought up to date before it goes out in a few queries; when that fails unforeseen, each
        reminder is brought up to date on its own, so that only the one at fault is in error."""
        customers = [self._customer(f"Batch {n}") for n in range(3)]
        for customer in customers:
            self.invoice(customer, 300.0, self.days(-3))
        communications = self.run_dunning().communication_ids
        Communication = type(self.env["dunning.communication"])
        refresh = Communication._refresh_lines
        calls = []

        def refresh_failing_for(culprit):
            def failing(records):
                calls.append(len(records))
                if culprit in records.partner_id:
                    raise RuntimeError("unforeseen")
                return refresh(records)
            return failing

        with patch.object(Communication, "_refresh_lines", refresh_failing_for(self.env["res.partner"])), \
                mute_logger(COMMUNICATION_LOGGER):
            communications[:1].action_send()
        self.assertEqual(calls, [1], "one refresh for the batch")
        self.assertEqual(communications[:1].state, "sending")

        calls.clear()
        culprit = communications[1].partner_id
        with patch.object(Communication, "_refresh_lines", refresh_failing_for(culprit)), \
                mute_logger(COMMUNICATION_LOGGER):
            communications[1:].action_send()
        self.assertEqual(calls, [2, 1, 1], "the batch, then each on its own")
        self.assertEqual(communications[1].state, "error")
        self.assertIn("unforeseen", communications[1].error_message)
        self.assertEqual(communications[2].state, "sending", "the other one goes out")

    def test_a_reminder_the_mail_queue_cannot_settle_is_settled_by_the_next_send_cron(self):
        """Its email left: the mail queue goes on, the email stays sent, the reminder waits to be settled."""
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        mark_sent = type(communication)._mark_sent

        def fails_once(records):
            type(communication)._mark_sent = mark_sent
            raise ValueError("the database is having a bad day")

        type(communication)._mark_sent = fails_once
        try:
            with self.assertLogs(COMMUNICATION_LOGGER, "WARNING"):
                self.deliver_emails()
        finally:
            type(communication)._mark_sent = mark_sent
        self.assertEqual((communication.email_mail_id.state, communication.state), ("sent", "sending"))
        self.assertFalse(invoice.dunning_level_id)
        communication.search([("state", "=", "sending")])._settle()  # what the send cron does first
        self.assertEqual(communication.state, "sent")
        self.assertEqual(invoice.dunning_level_id, self.level[1])

    def test_blacklisted_address_falls_back_to_a_letter_to_print(self):
        self.env["mail.blacklist"].create({"email": self.business.email})
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        run = self.run_dunning()
        communication = run.communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "sent")
        self.assertFalse(communication.email_mail_id)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", communication._name),
                                                       ("res_id", "=", communication.id)]))
        self.assertEqual((communication.channel_email, communication.channel_letter), (False, True))
        self.assertTrue(communication.letter_attachment_id, "the letter to print is made")
        self.assertIn("is blacklisted", communication.delivery_note)
        self.assertIn("goes as a letter to print instead", communication.delivery_note)
        self.assertTrue([body for body in communication.message_ids.mapped("body") if "is blacklisted" in body])
        self.assertEqual(run.letter_count, 1, "among the run's letters to print")
        self.assertEqual(invoice.dunning_level_id, self.level[1])
        self.assertIn("sent by letter", invoice.message_ids[0].body)

    def test_bounced_address_falls_back_to_a_phone_call(self):
        self.policy.fallback_channel = "phone"
        self.business.message_bounce = 2
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "sent")
        self.assertEqual(communication.call_activity_id.user_id, self.controller)
        self.assertIn("bounced", communication.delivery_note)

    def test_no_usable_address_and_no_fallback_is_an_error_not_a_wait(self):
        self.policy.fallback_channel = "none"
        self.business.email = False
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "error")
        self.assertIn("has no email address", communication.error_message)
        self.assertIn("The policy has no fallback", communication.error_message)

    def test_an_unusable_dunning_contact_leaves_the_email_to_the_invoice_address(self):
        contact = self.env["res.partner"].create({"name": "Old Accountant", "parent_id": self.business.id,
                                                  "email": "gone@boulangerie.example"})
        self.env["mail.blacklist"].create({"email": contact.email})
        self.business.dunning_contact_id = contact
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        self.assertEqual([m["to"] for m in self.smtp.messages], [[self.business.email]])
        self.assertIn("The email goes to Boulangerie Test SARL", communication.delivery_note)

    def test_a_bounce_after_sending_falls_back_to_the_letter(self):
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        bounce = (
            "From: MAILER-DAEMON@mx.example.com\r\n"
            f"To: {self.env.company.email or 'odoo@example.com'}\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Message-Id: <bounce-1@mx.example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
            "--B\r\nContent-Type: text/plain\r\n\r\nThe mailbox does not exist.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.com\r\n\r\n"
            f"Final-Recipient: rfc822; {self.business.email}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-Id: {communication.email_mail_id.message_id}\r\n"
            f"To: {self.business.email}\r\nSubject: {communication.email_mail_id.subject}\r\n"
            "--B--\r\n"
        )
        self.env["mail.thread"].message_process(False, bounce)
        self.assertEqual(self.business.message_bounce, 1)
        self.assertTrue(communication.channel_letter)
        self.assertTrue(communication.letter_attachment_id)
        self.assertIn(f"The email to {self.business.email} bounced.", communication.delivery_note)
        self.assertIn("goes as a letter to print instead", communication.delivery_note)
        self.assertEqual(invoice.dunning_level_id, self.level[1], "the reminder still counts, by letter now")

    def test_dunning_contact_with_the_invoices_contacts_in_copy(self):
        accounting = self.env["res.partner"].create({
            "name": "Alice Compta", "parent_id": self.business.id, "email": "alice@boulangerie.example",
        })
        buyer = self.env["res.partner"].create({
            "name": "Bob Achats", "parent_id": self.business.id, "email": "bob@boulangerie.example",
        })
        self.business.dunning_contact_id = accounting
        self.invoice(buyer, 100.0, self.days(-3))
        self.invoice(self.business, 200.0, self.days(-3))
        self.invoice(accounting, 300.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.invoice_count, 3)
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        self.assertEqual(len(self.smtp.messages), 1, "one email, the others in copy")
        message = self.smtp.messages[0]
        self.assertEqual(message["to_header"], "Alice Compta <alice@boulangerie.example>")
        self.assertEqual(sorted(message["cc_header"].split(", ")), [
            "Bob Achats <bob@boulangerie.example>", "Boulangerie Test SARL <compta@boulangerie.example>",
        ])
        self.assertEqual(sorted(message["to"]), sorted([accounting.email, buyer.email, self.business.email]))

    def test_without_dunning_contact_the_invoice_address(self):
        billing = self.env["res.partner"].create({
            "name": "Service Facturation", "parent_id": self.business.id, "type": "invoice",
            "email": "factures@boulangerie.example",
        })
        self.invoice(self.business, 100.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.contact_id, billing)
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(self.smtp.messages[0]["to_header"], "Service Facturation <factures@boulangerie.example>")
        self.assertEqual(self.smtp.messages[0]["cc_header"], "Boulangerie Test SARL <compta@boulangerie.example>",
                         "the invoice was addressed to the company itself")

    def test_email_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.business.lang = "fr_FR"
        self.invoice(self.business, 250.0, self.days(-3))
        self.invoice(self.consumer, 250.0, self.days(-3))
        communications = self.run_dunning().communication_ids
        communications.action_send()
        self.deliver_emails()
        subjects = {message["to"][0]: message["subject"] for message in self.smtp.messages}
        self.assertIn("notre facture vous aurait-elle échappé ?", subjects[self.business.email])
        self.assertIn("did our invoice slip through?", subjects[self.consumer.email])

    def test_chatter_in_the_company_language_when_no_one_is_logged_in(self):
        """Sent by the cron's user: the messages are French, as the company speaks French, whatever
        the language of the customer (English here) or of the cron's user."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.company.partner_id.lang = "fr_FR"
        invoice = self.invoice(self.consumer, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        cron_user = self.env.ref("base.user_root")
        self.assertEqual(cron_user.lang, "en_US")
        communication.with_user(cron_user)._send()
        self.env["mail.mail"].sudo().with_user(cron_user).search([("id", "=", communication.email_mail_id.id)]).send()
        self.assertEqual(communication.state, "sent")
        self.assertIn("Relance « 1 jour de retard » envoyée par e-mail", invoice.message_ids[0].body)
        self.assertIn("did our invoice slip through?", self.smtp.messages[0]["subject"], "the email is English")

    def test_a_reminder_paid_before_it_goes_out_says_so_in_the_company_language(self):
        """Brought up to date by the cron's user before it goes out, the reminder of an invoice paid since
        is cancelled and its chatter says why in French, as the company speaks French."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.company.partner_id.lang = "fr_FR"
        invoice = self.invoice(self.consumer, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"payment_date": self.days(0)})._create_payments()
        communication.with_user(self.env.ref("base.user_root"))._send()
        self.assertEqual(communication.state, "cancelled")
        self.assertIn("Retiré, plus rien à relancer", communication.message_ids[0].body)
