import re
from contextlib import contextmanager
from datetime import date, timedelta
from types import SimpleNamespace
from unittest.mock import patch

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.base.models.ir_mail_server import IrMail_Server
from odoo.addons.iap.tools import iap_tools

from .loopback_sms import LoopbackSMS
from .loopback_smtp import LoopbackSMTP

TODAY = date(2026, 6, 30)


def portal_today(case, invoice):
    """The day the customer's pages count from, read from the promise form of ``invoice``'s answer page: the
    public pages take the visitor's timezone, not the test user's, and between 23:00 and midnight UTC the two
    days differ."""
    page = case.url_open(invoice.dunning_self_service_url)
    return date.fromisoformat(re.search(r'id="dunning_promise_date"[^>]*min="([0-9-]{10})"', page.text).group(1))


class DunningCommon(AccountTestInvoicingCommon):
    """A French company with the default policy, a business customer, a consumer and a controller.

    Tests freeze time on TODAY; invoices are created untaxed so their totals are the amounts given.
    """

    @classmethod
    @AccountTestInvoicingCommon.setup_chart_template("fr")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.policy = cls.env.ref("dunning_pis.policy_france")
        cls.company.write({
            "dunning_default_policy_id": cls.policy.id,
            "external_report_layout_id": cls.env.ref("web.external_layout_standard").id,
        })
        cls.level = {level.delay_days: level for level in cls.policy.level_ids}
        cls.policy.level_ids.channel_sms = False  # as shipped: the demo data sends the second reminder by SMS too
        cls.controller = new_test_user(
            cls.env, login="controller", name="Claire Controller", email="claire@example.com",
            groups="dunning_pis.group_dunning_user", company_id=cls.company.id,
        )
        cls.business = cls.env["res.partner"].create({
            "name": "Boulangerie Test SARL", "is_company": True, "email": "compta@boulangerie.example",
            "street": "12 rue de la République", "zip": "69002", "city": "Lyon",
            "country_id": cls.env.ref("base.fr").id, "dunning_controller_id": cls.controller.id,
        })
        cls.consumer = cls.env["res.partner"].create({
            "name": "Jean Client", "email": "jean@example.com", "city": "Paris",
            "country_id": cls.env.ref("base.fr").id,
        })
        cls.smtp = LoopbackSMTP().start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.env["ir.mail_server"].create({
            "name": "Loopback", "smtp_host": "127.0.0.1", "smtp_port": cls.smtp.port, "sequence": 0,
            "smtp_encryption": "none", "smtp_authentication": "login",
        })
        cls.sms_gateway = LoopbackSMS().start()
        cls.addClassCleanup(cls.sms_gateway.stop)
        cls.env["ir.config_parameter"].sudo().set_param("sms.endpoint", cls.sms_gateway.url)

    def setUp(self):
        super().setUp()
        # Odoo does not send emails during tests; these tests hand them to the loopback server.
        self.startPatcher(patch.object(IrMail_Server, "_disable_send", return_value=False))
        # Nor does it call IAP: these tests hand the SMS to the loopback gateway, over HTTP.
        no_test = SimpleNamespace(module=SimpleNamespace(current_test=None))
        self.startPatcher(patch.object(iap_tools, "modules", no_test))
        self.smtp.messages.clear()
        self.sms_gateway.messages.clear()
        self.sms_gateway.refused.clear()

    @classmethod
    def invoice(cls, partner, amount, due, currency=None):
        """A posted, untaxed customer invoice of ``amount`` due on ``due``."""
        return cls._create_invoice(
            partner_id=partner,
            invoice_date=due - timedelta(days=30),
            invoice_date_due=due,
            currency_id=currency,
            invoice_payment_term_id=False,
            invoice_line_ids=[Command.create({"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []})],
            post=True,
        )

    def _reminder_at(self, delay, partner=None, amount=500.0, days_late=None):
        """A communication at the level of ``delay``, for an invoice that reached the level before it."""
        partner = partner or self.business
        invoice = self.invoice(partner, amount, self.days(-(days_late or delay)))
        policy = self.policy.copy({"name": f"Skip to {delay}", "allow_level_skip": True})
        partner.with_company(self.company).dunning_policy_id = policy
        communication = self.run_dunning().communication_ids.filtered(lambda c: c.partner_id == partner)
        self.assertEqual(communication.level_id.delay_days, delay)
        return communication, invoice

    @classmethod
    def credit_note(cls, partner, amount, on):
        """A posted credit note of ``amount``, dated ``on`` and matched with nothing."""
        return cls._create_invoice(
            move_type="out_refund", partner_id=partner, invoice_date=on, invoice_payment_term_id=False,
            invoice_line_ids=[Command.create({"name": "Credit", "quantity": 1, "price_unit": amount, "tax_ids": []})],
            post=True,
        )

    def unmatched_payment(self, partner, amount, on):
        """A payment received from ``partner`` and posted, matched with no invoice."""
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id, "amount": amount,
            "date": on, "journal_id": self.company_data["default_journal_bank"].id,
        })
        payment.action_post()
        return payment

    def skipping_policy(self):
        """The default French policy, jumping to the most advanced level reached."""
        policy = self.policy.copy({"name": "Skipping", "allow_level_skip": True})
        return policy, {level.delay_days: level for level in policy.level_ids}

    def send(self, communications):
        """Validate and send, then hand the emails to the loopback server."""
        communications.filtered(lambda c: c.state == "to_validate").action_validate()
        communications.filtered(lambda c: c.state == "queued").action_send()
        self.deliver_emails()

    def run_dunning(self, run_date=TODAY, **values):
        run = self.env["dunning.run"].create({"date": run_date, "company_id": self.company.id, **values})
        run.action_run()
        return run

    def deliver_emails(self):
        """Hand the queued emails to the mail server, as the mail queue cron does."""
        outgoing = [("model", "=", "dunning.communication"), ("state", "=", "outgoing")]
        self.env["mail.mail"].sudo().search(outgoing).send()

    def deliver_sms(self):
        """Hand the queued SMS to the gateway, as the SMS queue cron does."""
        self.env["sms.sms"].sudo().search([("state", "=", "outgoing")])._send(unlink_sent=False)

    def pay(self, invoice, amount, on=TODAY):
        return self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"amount": amount, "payment_date": on})._create_payments()

    @contextmanager
    def assertRefused(self, exception, message):
        """The error a user sees, and nothing written: the savepoint of ``assertRaises`` is rolled back."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), message)

    @staticmethod
    def days(n):
        return TODAY + timedelta(days=n)
