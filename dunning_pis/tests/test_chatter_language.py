import re
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from ..models.company_language import in_company_language
from .pay_by_bank_common import PDF_REQUEST_TIMEOUT, PayByBankCommon

IBAN = "FR76 3000 4000 0312 3456 7890 143"


@tagged("post_install", "-at_install")
class TestChatterInCompanyLanguage(PayByBankCommon):
    """What a cron, the bank's webhook or a customer on the portal writes in the chatter is read by the
    company's staff: French for a French company, whoever triggered it and whatever their language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"].search([("name", "=", "dunning_pis")])._update_translations(["fr_FR"])
        cls.company.partner_id.lang = "fr_FR"
        cls.company.dunning_sepa_creditor_identifier = "FR72ZZZ123456"
        cls.customer.write({"street": "12 rue de la République", "zip": "69002", "city": "Lyon",
                            "country_id": cls.env.ref("base.fr").id, "lang": "en_US"})
        cls.company_data["default_journal_bank"].bank_account_id = cls.company.partner_id.bank_ids[:1]
        cls.today = fields.Date.context_today(cls.env.user)

    def _plan(self, invoice):
        wizard = self.env["dunning.installment.plan.wizard"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"count": 2, "interval": 30, "interval_unit": "days"})
        plan = self.env["dunning.installment.plan"].browse(wizard.action_create_plan()["res_id"])
        plan.action_propose()
        return plan

    def _accept_on_the_portal(self, plan):
        url = plan.get_portal_url()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', self.url_open(url).text).group(1)
        self.url_open(url, data={"csrf_token": csrf, "signer": "Marie Boulanger", "iban": IBAN, "bic": "",
                                 "consent": "1"}, timeout=PDF_REQUEST_TIMEOUT)
        plan.invalidate_recordset()

    def test_who_is_at_the_keyboard(self):
        invoice = self.invoice(100.0)
        english_user = new_test_user(self.env, login="english", groups="account.group_account_invoice", lang="en_US")
        self.assertEqual(in_company_language(invoice.with_user(english_user)).env.lang, None,
                         "a user at the keyboard keeps their own language")
        for nobody in (self.env.ref("base.user_root"), self.env.ref("base.public_user")):
            self.assertEqual(in_company_language(invoice.with_user(nobody)).env.lang, "fr_FR", nobody.name)

    def test_a_plan_accepted_on_the_portal_writes_french(self):
        plan = self._plan(self.invoice(900.0, due=self.today - timedelta(days=40)))
        self._accept_on_the_portal(plan)
        self.assertEqual(plan.state, "active")
        self.assertIn("Accepté sur le portail par Marie Boulanger", " ".join(plan.message_ids.mapped("body")))
        self.assertIn("créé", plan.mandate_id.message_ids[-1].body, plan.mandate_id.message_ids.mapped("body"))

    def test_a_payment_confirmed_by_the_banks_webhook_writes_french(self):
        invoice = self.invoice(1200.0)
        self.approve(self.start_payment(invoice))
        self.assertPaid(invoice)
        bodies = " ".join(invoice.message_ids.mapped("body"))
        self.assertIn("a été confirmé", bodies)
        self.assertNotIn("has been confirmed", bodies)

    def test_a_plan_completed_by_the_nightly_watch_writes_french(self):
        invoice = self.invoice(600.0, due=self.today - timedelta(days=40))
        plan = self._plan(invoice)
        self._accept_on_the_portal(plan)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"amount": 600.0})._create_payments()
        self.env["dunning.installment.plan"].with_user(self.env.ref("base.user_root"))._cron_watch()
        self.assertEqual(plan.state, "completed")
        self.assertIn("Terminé : tout a été réglé.", plan.message_ids[0].body)
