from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from ..messaging import gsm7
from .common import TODAY, DunningCommon

MOBILE = "+33 6 12 34 56 78"
MOBILE_E164 = "+33612345678"


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestSmsChannel(DunningCommon, HttpCase):
    """SMS reminders through Odoo's own sms module, to a real gateway on loopback speaking IAP's API."""

    def _sms_level(self, email=False):
        """The first overdue level of a policy of the business customer's own, by SMS."""
        policy = self.policy.copy({"name": "By SMS"})
        level = policy.level_ids.filtered(lambda lv: lv.delay_days == 1)
        level.write({"channel_sms": True, "channel_email": email})
        self.business.with_company(self.company).dunning_policy_id = policy
        return level

    def test_an_sms_reminder_carries_the_link_to_pay(self):
        self._sms_level()
        self.business.phone = MOBILE
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "sending", "sent once the gateway took it")
        self.assertFalse(self.sms_gateway.messages)
        self.deliver_sms()
        self.assertEqual(communication.state, "sent")
        [sms] = self.sms_gateway.messages
        self.assertEqual(sms["number"], MOBILE_E164)
        self.assertIn("friendly reminder, 250.00", sms["body"])
        self.assertTrue(sms["body"].endswith(communication.pay_link))
        self.assertTrue(gsm7.fits_one_sms(sms["body"]))
        self.assertEqual(communication.sms_message_id.body.striptags(), sms["body"], "the SMS is kept in the chatter")
        self.assertIn(f"SMS to {MOBILE_E164}", invoice.message_ids[0].body)
        self.assertEqual(invoice.dunning_level_id, communication.level_id)

        page = self.url_open(communication.pay_link)
        self.assertEqual(page.status_code, 200)
        self.assertIn(f"/my/reminders/{communication.id}", page.url)
        self.assertIn(invoice.name, page.text)
        self.assertIn(f"/my/invoices/{invoice.id}", page.text, "each invoice links to its payment page")
        without_token = self.url_open(f"/my/reminders/{communication.id}")
        self.assertIn("/web/login", without_token.url, "not without the link's token")
        self.assertNotIn(invoice.name, without_token.text)

    def test_every_sms_text_fits_one_sms_with_its_link(self):
        """3GPP TS 23.038: 160 septets in one SMS, the euro sign counting two; in English and in French,
        for a long company name, a large amount and a long address of the company's Odoo."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "dunning_pis")])._update_translations(["fr_FR"])
        self.company.name = "Boulangerie Martin & Fils SARL"
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://factures.martin-et-fils.fr")
        self.invoice(self.business, 123456.78, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.pay_link = "https://factures.martin-et-fils.fr/r/AbC1"
        for lang in ("en_US", "fr_FR"):
            self.business.lang = lang
            for tone in ("courteous", "standard", "firm"):
                template = self.env.ref(f"dunning_pis.sms_template_reminder_{tone}")
                rendered = template._render_field("body", communication.ids, compute_lang=True)[communication.id]
                text = gsm7.to_gsm7(rendered)
                with self.subTest(lang=lang, tone=tone, text=text):
                    self.assertIn("123", text)
                    self.assertTrue(text.endswith(communication.pay_link))
                    self.assertIsNotNone(gsm7.septets(text), "in the GSM alphabet, not UCS-2")
                    self.assertLessEqual(gsm7.septets(text), 160)
        self.assertIn("Payez sans délai", text, "the French text was used")

    def test_a_customer_without_mobile_falls_back_like_email(self):
        self._sms_level()
        self.business.phone = "+33 4 78 00 00 01"  # a landline
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.assertEqual(communication.state, "sent")
        self.assertEqual((communication.channel_sms, communication.channel_letter), (False, True))
        self.assertIn("has no mobile number", communication.delivery_note)
        self.assertIn("goes as a letter to print instead", communication.delivery_note)
        self.assertFalse(self.env["sms.sms"].search([("mail_message_id.res_id", "=", communication.id)]))

    def test_with_email_as_well_a_missing_mobile_only_drops_the_sms(self):
        self._sms_level(email=True)
        self.business.phone = False
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        self.assertEqual((communication.channel_email, communication.channel_sms, communication.channel_letter),
                         (True, False, False))
        self.assertIn("has no mobile number", communication.delivery_note)

    def test_a_number_the_gateway_refuses_is_an_error(self):
        self._sms_level()
        self.business.phone = MOBILE
        self.sms_gateway.refuse(MOBILE_E164)
        self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_sms()
        self.assertEqual(communication.state, "error")
        self.assertIn("SMS: Wrong Number Format", communication.error_message)
        self.assertEqual(self.env["sms.sms"].search([("mail_message_id", "=", communication.sms_message_id.id)]).state,
                         "canceled", "never resent on its own: the reminder is retried as a whole")

    def test_email_and_sms_sent_once_either_reached_the_customer(self):
        self._sms_level(email=True)
        self.business.phone = MOBILE
        self.sms_gateway.refuse(MOBILE_E164, "server_error")
        invoice = self.invoice(self.business, 250.0, self.days(-3))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_sms()
        self.assertEqual(communication.state, "sending", "the email may still reach the customer")
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        self.assertIn("sent by email (", invoice.message_ids[0].body, "not by the SMS that failed")
