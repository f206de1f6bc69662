import json
import random
import re
import time
from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..payment_initiation import signing
from .pay_by_bank_common import NOTIFICATION_SECRET, PayByBankCommon

WEBHOOK_LOGGERS = ("odoo.addons.dunning_pis.controllers.pay_by_bank", "odoo.addons.payment.models.payment_transaction",
                   "odoo.addons.dunning_pis.models.payment_transaction", "odoo.addons.payment.logging")


class PayByBankFlows:
    """Invoice → link → approval at the bank → notification → invoice paid, for one bank API."""

    def test_approved_payment_reconciles_the_invoice(self):
        invoice = self.invoice(1200.0)
        approval_url = self.start_payment(invoice)
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.amount, tx.pay_by_bank_status), ("draft", 1200.0, "RCVD"))
        payment = self.bank.payments[tx.provider_reference]
        self.assertEqual((payment["amount"], payment["currency"], payment["end_to_end_id"], payment["remittance"]),
                         ("1200.00", "EUR", tx.reference, invoice.payment_reference or invoice.name))
        self.approve(approval_url)
        self.assertEqual([sent for sent in self.bank.notifications if sent[0] == payment["id"]],
                         [(payment["id"], "ACSC", 200)])
        self.assertPaid(invoice)
        self.assertEqual(tx.pay_by_bank_status, "ACSC")

    def discounted_invoice(self):
        """1000, untaxed, 2 % off if paid within 10 days from today."""
        term = self.env["account.payment.term"].create({
            "name": "2 % / 10 days, net 30", "early_discount": True, "discount_percentage": 2.0,
            "discount_days": 10, "line_ids": [(0, 0, {"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_payment_term_id": term.id,
            "invoice_date": fields.Date.context_today(self.env.user),
            "invoice_line_ids": [(0, 0, {"name": "Pain", "quantity": 1, "price_unit": 1000.0, "tax_ids": False})],
        })
        invoice.action_post()
        return invoice

    def test_early_discount_is_initiated_in_its_window_and_booked(self):
        invoice = self.discounted_invoice()
        self.assertEqual(invoice._pay_by_bank_amount(), 980.0)
        self.approve(self.start_payment(invoice))
        self.assertEqual(self.transaction(invoice).amount, 980.0)
        self.assertEqual(self.transaction(invoice).payment_id.amount, 980.0)
        self.assertPaid(invoice)  # 980 paid leaves nothing open: the 20 were booked as the discount
        granted = self.env["dunning.early.discount.report"].search([("invoice_id", "=", invoice.id)])
        self.assertEqual(granted.amount, 20.0)

    def test_discounted_payment_settled_after_the_window_stays_partial(self):
        self.bank.script("pending")
        invoice = self.discounted_invoice()
        self.approve(self.start_payment(invoice))
        tx = self.transaction(invoice)
        self.assertEqual(tx.amount, 980.0, "initiated inside the window")
        with freeze_time(fields.Date.context_today(self.env.user) + timedelta(days=11)):
            self.assertEqual(invoice._pay_by_bank_amount(), 1000.0, "the full amount once the window closed")
            with self.allow_requests(all_requests=True):
                self.bank.settle(tx.provider_reference, notify=True)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertEqual(invoice.payment_state, "partial", "the bank settled after the discount window")
        self.assertAlmostEqual(invoice.amount_residual, 20.0)

    def test_rejected_payment_leaves_the_invoice_open(self):
        invoice = self.invoice(300.0)
        self.approve(self.start_payment(invoice), decision="reject")
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.pay_by_bank_status), ("error", "RJCT"))
        self.assertFalse(tx.payment_id)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_pending_payment_is_settled_by_polling(self):
        self.bank.script("pending")
        invoice = self.invoice(450.0)
        self.approve(self.start_payment(invoice))
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.pay_by_bank_status), ("pending", "ACSP"))
        self.assertEqual(invoice.payment_state, "not_paid", "only a final success settles an invoice")
        again = self.url_open(invoice.pay_by_bank_url)
        self.assertIn("already on its way", again.text, "a second payment would pay the invoice twice")
        self.assertNotIn("pay_by_bank_submit", again.text)
        self.assertEqual(len(invoice.transaction_ids), 1)
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.assertEqual(tx.state, "pending", "the bank has not settled yet")
        self.bank.settle(tx.provider_reference)
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.assertPaid(invoice)

    def test_silent_bank_is_caught_up_on_the_payers_return(self):
        self.bank.script("silent")
        invoice = self.invoice(80.0)
        self.approve(self.start_payment(invoice))
        self.assertNotIn(self.transaction(invoice).provider_reference, [sent[0] for sent in self.bank.notifications])
        self.assertPaid(invoice)


@tagged("post_install", "-at_install")
class TestPayByBankStet(PayByBankFlows, PayByBankCommon):
    standard = "stet"
    allow_inherited_tests_method = True

    def test_confirmation_where_the_bank_waits_for_it(self):
        self.bank.script("confirm")
        invoice = self.invoice(99.0)
        self.approve(self.start_payment(invoice))
        self.assertIn(("POST", f"/stet/v1/payment-requests/{self.transaction(invoice).provider_reference}"
                       "/confirmation"), [call[:2] for call in self.bank.calls])
        self.assertPaid(invoice)

    def test_every_call_is_signed_and_carries_a_request_id(self):
        payments_before = len(self.bank.payments)
        self.start_payment(self.invoice(10.0))
        api_calls = [call for call in self.bank.calls if call[1].startswith("/stet/")]
        self.assertTrue(api_calls)
        self.assertTrue(all(request_id for _method, _path, request_id in api_calls))
        self.assertEqual(len(self.bank.payments), payments_before + 1,
                         "the sandbox refuses unsigned calls: this one was signed")


@tagged("post_install", "-at_install")
class TestPayByBankBerlinGroup(PayByBankFlows, PayByBankCommon):
    standard = "berlin_group"
    allow_inherited_tests_method = True

    def test_instant_transfer_when_the_provider_asks_for_it(self):
        self.provider.pay_by_bank_instant = True
        invoice = self.invoice(75.0)
        self.approve(self.start_payment(invoice))
        payment = self.bank.payments[self.transaction(invoice).provider_reference]
        self.assertEqual(payment["product"], "instant-sepa-credit-transfers")
        self.assertPaid(invoice)


@tagged("post_install", "-at_install")
class TestPayByBankMutualTls(PayByBankCommon):
    """A bank whose API answers only over mutual TLS, with a server certificate from its own authority."""

    tls = True

    def test_approved_payment_reconciles_the_invoice_over_mutual_tls(self):
        invoice = self.invoice(800.0)
        self.assertTrue(self.bank.url.startswith("https://"))
        self.approve(self.start_payment(invoice))
        self.assertPaid(invoice)

    def test_without_the_qwac_the_bank_refuses_and_the_payer_is_told(self):
        self.provider.pay_by_bank_tls_key = False
        invoice, payments_at_the_bank = self.invoice(800.0), len(self.bank.payments)
        page = self.url_open(invoice.pay_by_bank_url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        with mute_logger("odoo.addons.dunning_pis.models.payment_transaction"):
            answer = self.url_open(invoice.pay_by_bank_url, data={"csrf_token": csrf}, allow_redirects=False)
        self.assertEqual(answer.status_code, 200)
        self.assertIn("could not start the payment", answer.text)
        self.assertEqual(len(self.bank.payments), payments_at_the_bank)
        self.assertEqual(invoice.payment_state, "not_paid")


@tagged("post_install", "-at_install")
class TestPayByBankNotifications(PayByBankCommon):
    """Bad notifications change nothing and get the right status; good ones apply once."""

    def setUp(self):
        super().setUp()
        self.bank.script("silent")
        self.invoice_ = self.invoice(500.0)
        self.start_payment(self.invoice_)
        self.tx = self.transaction(self.invoice_)
        self.payment = self.bank.payments[self.tx.provider_reference]

    def body(self, **overrides):
        return {"resourceId": self.tx.provider_reference, "endToEndId": self.tx.reference, "status": "ACSC",
                "amount": "500.00", "currency": "EUR", **overrides}

    def assertUnchanged(self):
        self.tx.invalidate_recordset()
        self.assertEqual((self.tx.state, self.tx.pay_by_bank_status), ("draft", "RCVD"))
        self.assertFalse(self.tx.payment_id)
        self.assertEqual(self.invoice_.payment_state, "not_paid")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_forged_missing_or_stale_signature_is_refused(self):
        body = json.dumps(self.body()).encode()
        self.assertEqual(self.notify(body, secret="guessed").status_code, 403)
        self.assertEqual(self.notify(body, signature=False).status_code, 403)
        stale = signing.sign_notification(body, NOTIFICATION_SECRET, timestamp=time.time() - 3600)
        self.assertEqual(self.notify(body, signature=stale).status_code, 403)
        self.assertUnchanged()

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_unknown_reference_and_unreadable_body(self):
        self.assertEqual(self.notify(self.body(endToEndId="INV/1999/99999")).status_code, 404)
        self.assertEqual(self.notify(self.body(resourceId="someone-elses")).status_code, 404)
        self.assertEqual(self.notify(b"not json").status_code, 400)
        self.assertEqual(self.notify(self.body(status="PAID")).status_code, 400)
        self.assertUnchanged()

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_amount_or_currency_mismatch_puts_the_transaction_in_error(self):
        self.assertEqual(self.notify(self.body(amount="5.00")).status_code, 422)
        self.tx.invalidate_recordset()
        self.assertEqual(self.tx.state, "error")
        self.assertFalse(self.tx.payment_id)
        self.assertEqual(self.invoice_.payment_state, "not_paid")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_currency_mismatch_puts_the_transaction_in_error(self):
        self.assertEqual(self.notify(self.body(currency="USD")).status_code, 422)
        self.tx.invalidate_recordset()
        self.assertEqual(self.tx.state, "error")
        self.assertFalse(self.tx.payment_id)

    def test_the_same_notification_a_hundred_times_pays_once(self):
        body = json.dumps(self.body()).encode()
        answers = {self.notify(body).status_code for _index in range(100)}
        self.assertEqual(answers, {200})
        self.assertPaid(self.invoice_)
        self.assertEqual(len(self.env["account.payment"].search([("payment_transaction_id", "=", self.tx.id)])), 1)

    def test_statuses_never_move_backwards(self):
        self.assertEqual(self.notify(self.body(status="ACSP")).status_code, 200)
        self.assertEqual(self.notify(self.body(status="ACTC")).status_code, 200)
        self.tx.invalidate_recordset()
        self.assertEqual((self.tx.state, self.tx.pay_by_bank_status), ("pending", "ACSP"))
        self.notify(self.body(status="ACSC"))
        self.notify(self.body(status="RJCT"))
        self.notify(self.body(status="ACSP"))
        self.assertPaid(self.invoice_)
        self.assertEqual(self.tx.pay_by_bank_status, "ACSC")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_fuzzed_notifications_never_answer_500(self):
        rng = random.Random(4)
        valid = json.dumps(self.body()).encode()
        values = [None, 0, -1, 1e308, "", "x" * 3000, [], {}, True, "ACSC", "NaN", "1e999", "\u0000", "€"]
        codes = set()
        for _index in range(150):
            kind = rng.randrange(3)
            if kind == 0:
                body = bytes(rng.randrange(256) for _byte in range(rng.randrange(1, 200)))
            elif kind == 1:
                data = self.body(**{rng.choice(["resourceId", "endToEndId", "status", "amount", "currency"]):
                                    rng.choice(values)})
                if rng.random() < 0.3:
                    data.pop(rng.choice(list(data)))
                body = json.dumps(data).encode()
            else:
                cut = rng.randrange(len(valid))
                body = valid[:cut] + bytes([rng.randrange(256)]) + valid[cut + 1:]
            answer = self.notify(body, secret=rng.choice([NOTIFICATION_SECRET, "wrong"]))
            codes.add(answer.status_code)
        self.assertNotIn(500, codes)
        self.assertLessEqual(codes, {200, 400, 403, 404, 422})


@tagged("post_install", "-at_install")
class TestPayByBankAccess(PayByBankCommon):

    def test_link_needs_the_invoice_access_token(self):
        invoice = self.invoice(60.0)
        other = self.invoice(70.0)
        forged = invoice.pay_by_bank_url.replace(f"/{invoice.id}/", f"/{other.id}/")
        answer = self.url_open(forged, allow_redirects=False)
        self.assertEqual(answer.status_code, 303)
        self.assertTrue(answer.headers["Location"].endswith("/my"))
        self.assertFalse(other.transaction_ids)

    def test_portal_user_pays_only_their_invoices(self):
        portal_user = self.env["res.users"].create({
            "name": "Portal Customer", "login": "portal_pbb", "password": "portal_pbb_pw",
            "partner_id": self.customer.id, "group_ids": [(6, 0, [self.env.ref("base.group_portal").id])],
        })
        mine = self.invoice(40.0)
        stranger = self.env["res.partner"].create({"name": "Someone Else"})
        theirs = self.invoice(50.0, partner=stranger)
        self.authenticate(portal_user.login, "portal_pbb_pw")
        self.assertIn("pay_by_bank_submit", self.url_open(f"/my/invoices/{mine.id}/pay_by_bank").text)
        answer = self.url_open(f"/my/invoices/{theirs.id}/pay_by_bank", allow_redirects=False)
        self.assertEqual(answer.status_code, 303)
        self.assertFalse(theirs.transaction_ids)

    def test_paid_or_foreign_currency_invoices_offer_no_pay_by_bank(self):
        usd_invoice = self.invoice(100.0, currency=self.env.ref("base.USD"))
        self.assertFalse(usd_invoice.pay_by_bank_url)
        with self.assertRaises(UserError):
            usd_invoice.action_pay_by_bank()
        self.provider.state = "disabled"
        self.assertFalse(self.invoice(10.0).pay_by_bank_url)

    @mute_logger("odoo.addons.dunning_pis.models.payment_transaction")
    def test_company_without_iban_gets_a_clear_error_and_no_redirect(self):
        self.company.partner_id.bank_ids.sudo().write({"acc_number": "FR76 3000 6000 0112 3456 7890 188"})
        invoice = self.invoice(90.0)
        page = self.url_open(invoice.pay_by_bank_url)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = self.url_open(invoice.pay_by_bank_url, data={"csrf_token": csrf}, allow_redirects=False)
        self.assertEqual(answer.status_code, 200)
        self.assertIn("needs the IBAN", answer.text)
        self.assertEqual(self.transaction(invoice).state, "error")

    def test_invoice_dialog_gives_link_amount_and_qr_code(self):
        invoice = self.invoice(321.0)
        action = invoice.action_pay_by_bank()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.link, invoice.pay_by_bank_url)
        self.assertEqual(wizard.amount, 321.0)
        self.assertTrue(wizard.qr_code)
        composer = wizard.action_send_by_email()
        self.assertEqual(composer["context"]["default_template_id"],
                         self.env.ref("dunning_pis.mail_template_pay_by_bank_link").id)

    def test_reminders_carry_the_pay_by_bank_link(self):
        self.company.dunning_default_policy_id = self.env.ref("dunning_pis.policy_france")
        invoice = self.invoice(200.0, due="2026-10-10")
        run = self.env["dunning.run"].sudo().create({"company_id": self.company.id, "date": "2026-10-12"})
        run.action_run()
        communication = run.communication_ids.filtered(lambda c: c.partner_id == self.customer)
        self.assertEqual(communication.line_ids.pay_url, invoice.pay_by_bank_url)
        self.assertIn(invoice.pay_by_bank_url, communication._letter_body(letter=False), "the email's Pay link")

    def test_secrets_are_for_system_administrators_only(self):
        accountant = self.env["res.users"].create({
            "name": "Accountant", "login": "acc_pbb",
            "group_ids": [(6, 0, [self.env.ref("account.group_account_manager").id])],
        })
        fields_seen = self.provider.with_user(accountant).fields_get()
        self.assertNotIn("pay_by_bank_client_secret", fields_seen)
        self.assertNotIn("pay_by_bank_signing_key", fields_seen)
        self.assertIn("pay_by_bank_client_id", fields_seen)


@tagged("post_install", "-at_install")
class TestPayByBankPortalTour(PayByBankCommon):
    """In Chromium: the customer finds Pay by bank on their invoice page and the amount to approve."""

    def test_customer_pays_from_the_portal_invoice_page(self):
        invoice = self.invoice(1234.0)
        self.start_tour(invoice.get_portal_url(), "dunning_pis_pay_by_bank_portal")
        self.approve(self.start_payment(invoice))
        self.assertPaid(invoice)
