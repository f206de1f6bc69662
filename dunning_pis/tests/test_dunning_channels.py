from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningChannels(DunningCommon):
    """How reminders reach customers, and what happens when they do not."""

    def test_preventive_reminder_offers_the_early_discount_while_it_lasts(self):
        def invoice_with_discount(days):
            term = self.env["account.payment.term"].create({
                "name": f"2 % within {days} days, net 30", "early_discount": True, "discount_percentage": 2.0,
                "discount_days": days,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            })
            return self._create_invoice(
                partner_id=self.business, invoice_date=self.days(-23), invoice_payment_term_id=term,
                invoice_line_ids=[Command.create({"name": "Services", "quantity": 1, "price_unit": 1000.0,
                                                  "tax_ids": []})],
                post=True,
            )

        still_open, closed = invoice_with_discount(25), invoice_with_discount(20)
        self.assertEqual((still_open | closed).mapped("invoice_date_due"), [self.days(7)] * 2)
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.level_id.delay_days, -7)
        self.assertEqual(communication.line_ids.invoice_id, still_open | closed)
        body = communication._letter_body()
        self.assertIn(f"{still_open.name}: pay before 07/02/2026", body, "invoiced on 7 June, 25 days to pay")
        self.assertIn("980.00", body)
        self.assertIn("instead of", body)
        self.assertNotIn(f"{closed.name}: pay before", body, "its discount window closed on day 20")

    def test_email_sent_advances_the_invoice_and_leaves_history(self):
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "sending")
        mail = self.env["mail.mail"].sudo().search([("model", "=", "dunning.communication"),
                                                    ("res_id", "=", communication.id)])
        self.assertEqual(mail.email_to, self.business.email_formatted)
        self.assertIn(invoice.name, str(mail.body_html))
        self.assertIn("/my/invoices/", str(mail.body_html), "each invoice links to its payment page")
        self.assertFalse(invoice.dunning_level_id, "not advanced before the email leaves")
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        self.assertEqual([m["to"] for m in self.smtp.messages], [["compta@boulangerie.example"]])
        self.assertIn(invoice.name, self.smtp.messages[0]["html"])
        self.assertIn("did our invoice slip through?", self.smtp.messages[0]["subject"])
        self.assertEqual(invoice.dunning_level_id, self.level[1])
        self.assertEqual(invoice.dunning_last_date, TODAY)
        self.assertIn(communication.level_id.name, invoice.message_ids[0].body)
        self.assertEqual(invoice.dunning_line_ids.communication_id, communication)
        self.assertIn(communication, self.business.dunning_communication_ids)

    def test_failed_email_leaves_the_invoice_at_its_level_and_is_proposed_again(self):
        self.policy.fallback_channel = "none"
        self.business.email = "not an email"
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "error")
        self.assertIn("is not valid", communication.error_message)
        self.assertFalse(invoice.dunning_level_id)
        self.business.email = "compta@boulangerie.example"
        with freeze_time(self.days(3)):
            again = self.run_dunning(self.days(3)).communication_ids
        self.assertEqual(again.level_id, self.level[1])
        with self.assertRefused(UserError, "reminded again"):
            communication.action_retry()
        self.assertEqual(communication.state, "error")

    def test_retry_after_fixing_the_address(self):
        self.policy.fallback_channel = "none"
        self.business.email = "not an email"
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "error")
        self.business.email = "right@example.com"
        communication.action_retry()
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_refusal_by_the_mail_server_is_an_error(self):
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        self.smtp.refuse("compta@boulangerie.example")
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "error")
        self.assertFalse(invoice.dunning_level_id)
        self.assertFalse(self.smtp.messages)
        self.smtp.handler.refused.clear()
        communication.action_retry()
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        self.assertEqual(len(self.smtp.messages), 1)

    def test_formal_notice_by_registered_letter_with_charges(self):
        communication, invoice = self._reminder_at(30, amount=1000.0, days_late=31)
        communication.action_send()
        self.assertTrue(communication.letter_attachment_id)
        letter = self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_dunning_letter", communication.ids)[0].decode()
        self.assertIn("Registered letter with acknowledgement of receipt", letter)
        self.assertIn(invoice.name, letter)
        self.assertIn("formally give you notice", letter)
        self.assertIn("40.00", letter, "the recovery indemnity is claimed")
        communication.tracking_number = "1A23456789012"
        self.assertIn("1A23456789012", self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_dunning_letter", communication.ids)[0].decode())

    def test_letters_of_a_run_print_as_one_document(self):
        policy = self.policy.copy({"name": "Skipping", "allow_level_skip": True})
        other = self.env["res.partner"].create({"name": "Second SAS", "is_company": True, "email": "s@example.com"})
        invoices = [self.invoice(partner, 700.0, self.days(-31)) for partner in (self.business, other)]
        (self.business | other).with_company(self.company).write({"dunning_policy_id": policy.id})
        run = self.run_dunning()
        self.assertEqual(run.letter_count, 2)
        action = run.action_print_letters()
        self.assertEqual(action["report_name"], "dunning_pis.report_dunning_letter")
        html = self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_dunning_letter", action["context"]["active_ids"])[0].decode()
        self.assertEqual(html.count("Registered letter with acknowledgement of receipt"), 2)
        for invoice in invoices:
            self.assertIn(invoice.name, html)

    def test_phone_call_is_an_activity_for_the_credit_controller(self):
        communication, invoice = self._reminder_at(15)
        communication.action_send()
        activity = communication.call_activity_id
        self.assertEqual(activity.user_id, self.controller)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(activity.res_id, self.business.id)
        self.assertIn(invoice.name, str(activity.note))
        self.assertIn("Call script", str(activity.note))
        self.assertEqual(communication.state, "sent", "no email for a phone call")
        self.assertEqual(invoice.dunning_level_id, communication.level_id)

    def test_collection_hands_the_customer_over_with_its_file(self):
        communication, invoice = self._reminder_at(45, days_late=50)
        communication.action_validate()
        communication.action_send()
        self.assertTrue(self.business.dunning_in_collection)
        self.assertTrue(communication.collection_file_id)
        self.assertTrue(self.business.activity_ids.filtered(lambda a: "collection" in a.summary))
        html = self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_collection_file", communication.ids)[0].decode()
        self.assertIn("Collection file", html)
        self.assertIn("Statement of account", html)
        self.assertIn("Reminders sent", html)
        self.assertIn(invoice.name, html)
        self.assertFalse(self.run_dunning().communication_ids, "no more dunning once in collection")

    def test_invoices_attached_when_the_level_says_so(self):
        self.level[1].attach_invoices = True
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(self.smtp.messages[0]["attachments"], [invoice.invoice_pdf_report_id.name])

    def test_customer_tone_overrides_the_level_tone(self):
        self.business.dunning_tone = "firm"
        self.invoice(self.business, 250.0, self.days(-3))
        self.invoice(self.consumer, 250.0, self.days(-3))
        communications = self.run_dunning().communication_ids
        firm = communications.filtered(lambda c: c.partner_id == self.business)
        self.assertEqual(firm.tone, "firm")
        self.assertIn("please pay now", firm.subject)
        self.assertEqual((communications - firm).tone, "courteous")

    def test_cancelled_reminder_frees_its_invoices(self):
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_cancel()
        with freeze_time(self.days(1)):
            self.assertTrue(self.run_dunning(self.days(1)).communication_ids)
        communication.write({"state": "sent"})
        with self.assertRefused(UserError, "went out"):
            communication.action_cancel()

    def test_customer_statement(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        self.invoice(self.business, 200.0, self.days(10))
        html = self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_customer_statement", self.business.ids)[0].decode()
        self.assertIn("Statement of account", html)
        self.assertIn("40.00", html, "indemnity owed on the late invoice")
        self.assertIn("fixed indemnity for recovery costs", html)
        action = self.business.action_dunning_send_statement()
        composer = self.env["mail.compose.message"].with_context(**action["context"]).create({})
        self.assertIn(self.business, composer.partner_ids)
        self.assertEqual(composer.template_id, self.env.ref("dunning_pis.email_template_customer_statement"))
        composer.action_send_mail()
        message = self.business.message_ids[0]
        self.assertTrue(message.attachment_ids, "the statement PDF goes with the email")

    def test_consumer_statement_claims_no_indemnity(self):
        self.invoice(self.consumer, 1000.0, self.days(-31))
        html = self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_customer_statement", self.consumer.ids)[0].decode()
        self.assertNotIn("fixed indemnity for recovery costs", html)

    def test_invoice_list_shows_the_level(self):
        arch = self.env["account.move"].get_views([(self.env.ref("account.view_out_invoice_tree").id, "list")])
        self.assertIn("dunning_level_id", arch["views"]["list"]["arch"])
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_emails()
        found = self.env["account.move"].search([("dunning_level_id", "!=", False), ("id", "=", invoice.id)])
        self.assertEqual(found, invoice)
        self.assertEqual(self.business.dunning_level_id, self.level[1])
        self.assertEqual(self.business.with_company(self.company).dunning_overdue_amount, 250.0)
        self.assertEqual(self.env["dunning.line"].search([("invoice_id", "=", invoice.id)]).state, "sent")
