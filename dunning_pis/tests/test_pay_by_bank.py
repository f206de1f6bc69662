import hashlib
import json
import logging
import os
import random
import re
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlencode, urlsplit

import requests
from freezegun import freeze_time
from lxml import html

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from sandboxes.bank import SandboxBank

from ..models.payment_transaction import BANK_PAGE_URL, NOTIFICATION_URL, RETURN_URL
from .pay_by_bank_common import CLIENT, PAYER_IBANS, PayByBankCommon

WEBHOOK_LOGGERS = ("odoo.addons.dunning_pis.controllers.pay_by_bank", "odoo.addons.payment.models.payment_transaction",
                   "odoo.addons.dunning_pis.models.payment_transaction", "odoo.addons.payment.logging")


class PayByBankFlows:
    """Invoice → link → the payer's bank → approval → the bank's word → invoice paid, for one bank API."""

    def test_approved_payment_reconciles_the_invoice(self):
        invoice = self.invoice(1200.0)
        approval_url = self.start_payment(invoice)
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.amount, tx.pay_by_bank_status, tx.pay_by_bank_aspsp_id),
                         ("draft", 1200.0, "RCVD", self.aspsp))
        payment = self.bank_payment(tx)
        self.assertEqual((payment["amount"], payment["currency"], payment["end_to_end_id"], payment["remittance"]),
                         ("1200.00", "EUR", tx.reference, invoice.payment_reference or invoice.name))
        back = self.approve(approval_url)
        self.assertIn("the payment is settled", back.text)
        self.assertPaid(invoice)
        self.assertEqual(tx.pay_by_bank_status, "ACSC")

    def test_early_discount_is_initiated_in_its_window_and_booked(self):
        invoice = self.discounted_invoice()
        self.assertEqual(invoice._pay_by_bank_amount(), 980.0)
        self.approve(self.start_payment(invoice))
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
            self.bank.settle(tx.provider_reference)
            tx._pay_by_bank_fetch()  # what the bank's notification, or the payer's return, makes Odoo do
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.assertEqual(invoice.payment_state, "partial", "the bank settled after the discount window")
        self.assertAlmostEqual(invoice.amount_residual, 20.0)

    def test_rejected_payment_leaves_the_invoice_open(self):
        invoice = self.invoice(300.0)
        back = self.approve(self.start_payment(invoice), decision="reject")
        self.assertIn("Your bank rejected the payment", back.text)
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.pay_by_bank_status), ("error", "RJCT"))
        self.assertFalse(tx.payment_id)
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_pending_payment_is_settled_by_polling(self):
        self.bank.script("pending")
        invoice = self.invoice(450.0)
        back = self.approve(self.start_payment(invoice))
        self.assertIn("is making the transfer", back.text)
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

    def test_status_page_follows_the_payment_in_another_browser(self):
        self.bank.script("pending")
        invoice = self.invoice(640.0)
        self.approve(self.start_payment(invoice))
        tx = self.transaction(invoice)
        status_url = tx._pay_by_bank_url(RETURN_URL)
        with self.allow_requests(all_requests=True):
            elsewhere = requests.get(status_url, timeout=30)  # no cookie: another browser, another device
        self.assertEqual(elsewhere.status_code, 200)
        self.assertIn("is making the transfer", elsewhere.text)
        self.assertIn('http-equiv="refresh"', elsewhere.text, "the page follows the payment by itself")
        self.bank.settle(tx.provider_reference)
        tx.pay_by_bank_read_at = fields.Datetime.now() - timedelta(minutes=1)
        self.env.flush_all()
        with self.allow_requests(all_requests=True):
            settled = requests.get(status_url, timeout=30)
        self.assertIn("the payment is settled", settled.text)
        self.assertNotIn('http-equiv="refresh"', settled.text, "settled: nothing more to follow")
        link = html.fromstring(settled.text).xpath("//a[hasclass('o_pay_by_bank_invoice_link')]/@href")[0]
        self.assertEqual(link, invoice.get_portal_url(), "back to the invoice, with its access token")
        self.assertPaid(invoice)
        with self.allow_requests(all_requests=True):
            self.assertEqual(requests.get(status_url.replace("access_token=", "access_token=x"), timeout=30)
                             .status_code, 404)

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_garbage_from_the_bank_puts_the_payment_in_error_and_the_poll_goes_on(self):
        self.bank.script("garbage")
        invoice, other = self.invoice(210.0), self.invoice(220.0)
        back = self.approve(self.start_payment(invoice))
        self.assertIn("could not read your bank's answer", back.text)
        tx = self.transaction(invoice)
        self.assertEqual(tx.state, "error")
        self.assertIn("could not be read", tx.state_message)
        self.assertFalse(tx.payment_id)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.bank.script("pending")
        self.approve(self.start_payment(other))
        other_tx = self.transaction(other)
        self.bank.settle(other_tx.provider_reference)
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.assertPaid(other)  # the garbage of one bank answer did not stop the poll
        self.assertEqual(tx.state, "error")
        self.bank_payment(tx)["script"] = "settle"  # the bank comes back to its senses
        self.env["payment.transaction"].sudo()._cron_pay_by_bank_poll()
        self.assertPaid(invoice)

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_an_unknown_status_is_an_error_too(self):
        self.bank.script("unknown")
        invoice = self.invoice(230.0)
        self.approve(self.start_payment(invoice))
        tx = self.transaction(invoice)
        self.assertEqual(tx.state, "error")
        self.assertIn("PAID", tx.state_message)
        self.assertEqual(invoice.payment_state, "not_paid")


@tagged("post_install", "-at_install")
class TestPayByBankStet(PayByBankFlows, PayByBankCommon):
    standard = "stet"
    allow_inherited_tests_method = True

    def test_confirmation_where_the_bank_waits_for_it(self):
        self.bank.script("confirm")
        invoice = self.invoice(99.0)
        self.approve(self.start_payment(invoice))
        self.assertIn(("POST", f"/stet/v1/payment-requests/{self.transaction(invoice).provider_reference}"
                       "/confirmation"), [(call.method, call.path) for call in self.bank.calls])
        self.assertPaid(invoice)

    def test_signatures_name_the_published_certificate(self):
        self.start_payment(self.invoice(10.0))
        api_calls = [call for call in self.bank.calls if call.path.startswith("/stet/")]
        self.assertTrue(api_calls)
        key_ids = {re.search(r'keyId="([^"]+)"', call.headers["Signature"]).group(1) for call in api_calls}
        self.assertEqual(key_ids, {self.provider.pay_by_bank_published_certificate_url})
        published = self.url_open(self.provider.pay_by_bank_published_certificate_url)
        self.assertEqual(published.text, self.qseal_certificate, "the keyId is where the certificate is")
        self.provider.pay_by_bank_signing_certificate_url = "https://pisp.example/qseal.pem"
        with mute_logger("odoo.addons.dunning_pis.models.payment_transaction"):
            answer = self.choose(self.invoice(11.0).pay_by_bank_url, **self.choice())
        self.assertIn("no QSEAL certificate is known at https://pisp.example/qseal.pem", answer.text,
                      "the bank looks the certificate up by the keyId")

    def test_a_payer_may_name_their_stet_bank_without_an_iban(self):
        invoice = self.invoice(45.0)
        self.approve(self.start_payment(invoice, bank="banque exemple (stet)"))
        tx = self.transaction(invoice)
        self.assertFalse(self.bank_payment(tx)["debtor_iban"], "the payer picks their account at the bank")
        self.assertPaid(invoice)


@tagged("post_install", "-at_install")
class TestPayByBankBerlinGroup(PayByBankFlows, PayByBankCommon):
    standard = "berlin_group"
    allow_inherited_tests_method = True

    def test_instant_transfer_where_the_directory_asks_for_it(self):
        self.aspsp.instant = True
        invoice = self.invoice(75.0)
        self.approve(self.start_payment(invoice))
        self.assertEqual(self.bank_payment(self.transaction(invoice))["product"], "instant-sepa-credit-transfers")
        self.assertPaid(invoice)

    def test_the_bank_needs_the_payers_iban_and_nothing_is_sent_without_it(self):
        invoice, payments = self.invoice(76.0), len(self.bank.payments)
        answer = self.choose(invoice.pay_by_bank_url, bank=self.aspsp.name)
        self.assertEqual(answer.status_code, 200)
        self.assertIn("needs the IBAN of the account you pay from", answer.text)
        self.assertFalse(self.transaction(invoice))
        self.assertEqual(len(self.bank.payments), payments, "nothing sent")

    def test_settlement_on_the_creditors_account_settles_the_invoice(self):
        self.bank.script("accc")
        invoice = self.invoice(77.0)
        self.approve(self.start_payment(invoice))
        self.assertEqual(self.transaction(invoice).pay_by_bank_status, "ACCC")
        self.assertPaid(invoice)


@tagged("post_install", "-at_install")
class TestPayByBankDirectory(PayByBankCommon):
    """The payer's bank: chosen by name, or found from the IBAN; the payers of other banks pay by transfer."""

    def test_the_iban_finds_the_bank_and_the_payment_leaves_from_that_account(self):
        invoice = self.invoice(120.0)
        approval_url = self.start_payment(invoice, iban="FR20 9900 1000 0100 0000 0012 345")
        self.assertTrue(approval_url.startswith(self.banks["stet"].url))
        tx = self.transaction(invoice)
        self.assertEqual((tx.pay_by_bank_aspsp_id, tx.pay_by_bank_debtor_iban),
                         (self.aspsps["stet"], PAYER_IBANS["stet"]))
        self.assertEqual(self.bank_payment(tx)["request"]["debtorAccount"], {"iban": PAYER_IBANS["stet"]})
        other = self.invoice(121.0)
        self.start_payment(other, iban=PAYER_IBANS["berlin_group"])
        self.assertEqual(self.transaction(other).pay_by_bank_aspsp_id, self.aspsps["berlin_group"])

    def payments_at_the_banks(self):
        return sum(len(bank.payments) for bank in self.banks.values())

    def test_an_invalid_iban_is_told_on_the_page_and_nothing_is_sent(self):
        invoice, payments = self.invoice(122.0), self.payments_at_the_banks()
        answer = self.choose(invoice.pay_by_bank_url, iban="FR20 9900 1000 0100 0000 0012 346")
        self.assertEqual(answer.status_code, 200)
        self.assertIn("is not a valid IBAN", answer.text)
        self.assertIn('value="FR20 9900 1000 0100 0000 0012 346"', answer.text, "what the payer typed stays")
        self.assertFalse(self.transaction(invoice))
        self.assertEqual(self.payments_at_the_banks(), payments, "nothing sent")

    def test_a_bank_not_in_the_directory_gets_the_company_iban_and_reference(self):
        invoice, payments = self.invoice(123.0), self.payments_at_the_banks()
        for choice in ({"iban": "FR76 3000 4000 0312 3456 7890 143"}, {"bank": "Banque Inconnue"}):
            answer = self.choose(invoice.pay_by_bank_url, **choice)
            self.assertEqual(answer.status_code, 200)
            self.assertIn("not one we can send a payment to" if "iban" in choice else "is not a bank we can send",
                          answer.text)
            page = html.fromstring(answer.text)
            self.assertEqual(page.get_element_by_id("pay_by_bank_transfer_iban").text_content(),
                             "FR76 3000 6000 0112 3456 7890 189")
            self.assertEqual(page.get_element_by_id("pay_by_bank_transfer_reference").text_content(),
                             invoice.payment_reference or invoice.name)
        self.assertFalse(self.transaction(invoice))
        self.assertEqual(self.payments_at_the_banks(), payments, "nothing sent")

    def test_only_active_banks_approving_by_redirection_are_offered(self):
        page = self.url_open(self.invoice(124.0).pay_by_bank_url).text
        self.assertIn(f'<option value="{self.aspsps["stet"].name}"', page)
        self.aspsps["stet"].sca_redirect = False
        self.aspsps["berlin_group"].active = False
        page = self.url_open(self.invoice(125.0).pay_by_bank_url).text
        self.assertNotIn("<option", page)
        self.assertIn("No bank can be paid from online yet", page)
        self.assertIn("pay_by_bank_transfer_iban", page)

    def test_a_bank_code_leads_to_one_bank_only(self):
        with self.assertRaises(ValidationError):
            self.env["dunning.pay.by.bank.aspsp"].create({
                "provider_id": self.provider.id, "name": "Twin", "country_id": self.env.ref("base.fr").id,
                "bank_codes": "12345, 99001", "standard": "stet", "api_url": "https://twin.example",
                "token_url": "https://twin.example/token", "client_id": "x", "client_secret": "y",
            })
        with self.assertRaises(ValidationError):
            self.aspsps["stet"].bic = "NOT A BIC"

    def test_bank_codes_and_bic_are_kept_normalized(self):
        self.aspsps["stet"].write({"bank_codes": " 99001,99002\n99001 ", "bic": "demo fr pp xxx"})
        self.assertEqual((self.aspsps["stet"].bank_codes, self.aspsps["stet"].bic), ("99001, 99002", "DEMOFRPPXXX"))


@tagged("post_install", "-at_install")
class TestPayByBankPayer(PayByBankCommon):
    """The bank is told who pays: the payer's address and browser, behind Odoo's proxy mode too."""

    standard = "berlin_group"

    def sent_headers(self):
        call = next(call for call in reversed(self.bank.calls) if call.method == "POST" and "/v1/" in call.path)
        return {name.lower(): value for name, value in call.headers.items()}

    def test_the_payers_address_and_user_agent_go_to_the_bank(self):
        self.start_payment(self.invoice(50.0), headers={"User-Agent": "Payer/1.0 (Linux; é)"})
        headers = self.sent_headers()
        self.assertEqual(headers["psu-ip-address"], "127.0.0.1", "the test browser's address")
        self.assertEqual(headers["psu-user-agent"], "Payer/1.0 (Linux; ?)", "printable ASCII")

    def test_behind_a_proxy_the_forwarded_address_goes_to_the_bank(self):
        forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Host": "pay.example.com",
                     "X-Forwarded-Proto": "http"}
        with patch.dict(config._runtime_options, {"proxy_mode": False}):
            self.start_payment(self.invoice(51.0), headers=forwarded)
        self.assertEqual(self.sent_headers()["psu-ip-address"], "127.0.0.1", "without proxy mode, not trusted")
        with patch.dict(config._runtime_options, {"proxy_mode": True}):
            self.start_payment(self.invoice(52.0), headers=forwarded)
        self.assertEqual(self.sent_headers()["psu-ip-address"], "203.0.113.7")


@tagged("post_install", "-at_install")
class TestPayByBankStandardFlow(PayByBankCommon):
    """Odoo's own Pay button on the invoice: its redirect form leads to the bank choice, then to the bank's
    approval link with every parameter of its query string."""

    def portal_pay(self, invoice):
        """What Odoo's payment form does when the payer picks Pay by bank and clicks Pay."""
        return self.make_jsonrpc_request(f"/invoice/transaction/{invoice.id}", {
            "access_token": invoice._portal_ensure_token(), "provider_id": self.provider.id,
            "payment_method_id": self.provider._pay_by_bank_method().id, "token_id": None,
            "amount": invoice.amount_residual, "flow": "redirect", "tokenization_requested": False,
            "landing_route": invoice.get_portal_url(), "is_validation": False,
        })

    @staticmethod
    def submit(form_html):
        """What a browser does with a GET form: the action without its query, then the form's fields."""
        form = html.fromstring(form_html)
        fields_ = {field.get("name"): field.get("value") for field in form.iter("input")}
        return urlsplit(form.get("action"))._replace(query=urlencode(fields_)).geturl()

    def test_portal_pay_reaches_a_bank_whose_approval_link_has_a_query_string(self):
        invoice = self.invoice(310.0)
        values = self.portal_pay(invoice)
        tx = self.transaction(invoice)
        self.assertEqual((values["state"], tx.state, tx.provider_reference), ("draft", "draft", False))
        bank_page = self.submit(values["redirect_form_html"])
        self.assertEqual(self.query(bank_page), {"reference": tx.reference,
                                                 "access_token": tx._pay_by_bank_access_token()})
        answer = self.choose(bank_page)
        self.assertEqual(answer.status_code, 303, answer.text[:1000])
        approval_url = answer.headers["Location"]
        self.assertEqual(set(self.query(approval_url)), {"payment", "origin"}, "the bank's query string, kept")
        self.assertEqual(self.query(approval_url)["payment"], tx.provider_reference)
        page = requests.get(approval_url, timeout=30)
        self.assertIn("310.00 EUR", page.text)
        self.approve(approval_url)
        self.assertPaid(invoice)

    def test_the_redirect_form_keeps_the_approval_links_query(self):
        invoice = self.invoice(311.0)
        self.portal_pay(invoice)
        tx = self.transaction(invoice)
        tx.write({"pay_by_bank_aspsp_id": self.aspsp.id})
        form_html = self.env["ir.qweb"]._render(self.provider.redirect_form_view_id.id,
                                                tx._get_specific_rendering_values({}))
        url = self.submit(form_html)
        self.assertEqual(self.query(url), {"payment": tx.provider_reference, "origin": "tpp"})
        self.assertIn("311.00 EUR", requests.get(url, timeout=30).text)
        dropped = urlsplit(url)._replace(query="").geturl()
        self.assertEqual(requests.get(dropped, timeout=30).status_code, 404,
                         "without its query string the approval link leads nowhere")

    def test_an_installment_plans_payment_chooses_its_bank_on_the_same_page(self):
        invoice = self.invoice(312.0)
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": self.provider.id, "payment_method_id": self.provider._pay_by_bank_method().id,
            "amount": 312.0, "currency_id": invoice.currency_id.id, "partner_id": self.customer.id,
            "invoice_ids": [(6, 0, invoice.ids)], "operation": "online_redirect",
        })
        bank_page = tx._pay_by_bank_url(BANK_PAGE_URL)
        self.approve(bank_page)
        self.assertPaid(invoice)
        self.assertEqual(self.url_open(bank_page, allow_redirects=False).status_code, 303,
                         "a payment sent to the bank is followed, not chosen again")


@tagged("post_install", "-at_install")
class TestPayByBankNotifications(PayByBankCommon):
    """A notification only makes Odoo read the status from the bank: what it says is never believed."""

    standard = "berlin_group"

    def setUp(self):
        super().setUp()
        self.bank.script("silent")
        self.invoice_ = self.invoice(500.0)
        self.start_payment(self.invoice_)
        self.tx = self.transaction(self.invoice_)
        self.payment = self.bank_payment(self.tx)
        self.url = self.tx._pay_by_bank_url(NOTIFICATION_URL)
        self.reads_before = self.status_reads()

    def notify(self, body=b"{}", url=None, headers=None):
        self.tx.pay_by_bank_read_at = False
        self.env.flush_all()
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.url_open(url or self.url, data=body,
                             headers={"Content-Type": "application/json", **(headers or {})})

    def assertUnchanged(self):
        self.tx.invalidate_recordset()
        self.assertEqual((self.tx.state, self.tx.pay_by_bank_status), ("draft", "RCVD"))
        self.assertFalse(self.tx.payment_id)
        self.assertEqual(self.invoice_.payment_state, "not_paid")

    def status_reads(self):
        return len([call for call in self.bank.calls if call.method == "GET"])

    def test_a_notification_claiming_success_changes_nothing_until_the_bank_says_so(self):
        answer = self.notify({"paymentId": self.tx.provider_reference, "transactionStatus": "ACSC"})
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(self.status_reads() - self.reads_before, 1,
                         [(call.method, call.path, call.status) for call in self.bank.calls])
        self.assertUnchanged()
        self.bank.approve(self.tx.provider_reference)  # the payer approves; the bank stays silent
        self.assertEqual(self.notify(b"not even json").status_code, 200)
        self.assertPaid(self.invoice_)

    def test_a_notification_claiming_a_rejection_cannot_cancel_a_paid_invoice(self):
        self.bank.approve(self.tx.provider_reference)
        self.notify({"transactionStatus": "RJCT"})
        self.assertPaid(self.invoice_)
        self.notify({"transactionStatus": "RJCT"})
        self.assertPaid(self.invoice_)
        self.assertEqual(self.tx.pay_by_bank_status, "ACSC")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_an_address_that_does_not_name_the_payment_is_refused_and_reads_nothing(self):
        for url in (self.url.replace("access_token=", "access_token=0"), self.url.split("&")[0],
                    f"{self.url.split('?')[0]}?reference=INV%2F1999%2F99999&access_token=abc",
                    f"{self.url.split('?')[0]}?reference={self.tx.reference}&access_token=%C3%A9"):
            self.assertEqual(self.notify(url=url).status_code, 404)
        self.assertEqual(self.status_reads(), self.reads_before, "no status read")
        self.assertUnchanged()

    def test_the_same_notification_twenty_times_pays_once(self):
        self.bank.approve(self.tx.provider_reference)
        self.assertEqual({self.notify().status_code for _index in range(20)}, {200})
        self.assertPaid(self.invoice_)
        self.assertEqual(len(self.env["account.payment"].search([("payment_transaction_id", "=", self.tx.id)])), 1)

    def test_statuses_never_move_backwards(self):
        self.bank.settle(self.tx.provider_reference, "ACSP")
        self.notify()
        self.bank.settle(self.tx.provider_reference, "ACTC")
        self.notify()
        self.tx.invalidate_recordset()
        self.assertEqual((self.tx.state, self.tx.pay_by_bank_status), ("pending", "ACSP"))
        self.bank.settle(self.tx.provider_reference, "ACSC")
        self.notify()
        self.bank.settle(self.tx.provider_reference, "RJCT")
        self.notify()
        self.assertPaid(self.invoice_)
        self.assertEqual(self.tx.pay_by_bank_status, "ACSC")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_an_amount_the_bank_reports_otherwise_puts_the_transaction_in_error(self):
        self.bank.approve(self.tx.provider_reference)
        self.payment["request"]["instructedAmount"]["amount"] = "5.00"
        self.notify()
        self.tx.invalidate_recordset()
        self.assertEqual(self.tx.state, "error")
        self.assertFalse(self.tx.payment_id)
        self.assertEqual(self.invoice_.payment_state, "not_paid")

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_a_bank_that_cannot_be_reached_leaves_the_payment_to_the_poll(self):
        self.aspsp.api_url = "http://127.0.0.1:9/berlin-group"
        self.assertEqual(self.notify().status_code, 202)
        self.assertUnchanged()

    @mute_logger(*WEBHOOK_LOGGERS)
    def test_fuzzed_notifications_never_answer_500(self):
        rng = random.Random(4)
        codes = set()
        for _index in range(60):
            body = bytes(rng.randrange(256) for _byte in range(rng.randrange(0, 120)))
            header = rng.choice(["é", "\u00ff\u00fe", "x" * 5000, "keyId=\"", "a\u0080b"])
            url = self.url if rng.random() < 0.5 else self.url + rng.choice(["&x=\u00e9", "%FF", "&access_token=1"])
            codes.add(self.notify(body, url=url, headers={"Signature": header.encode("latin-1", "replace")})
                      .status_code)
        self.assertNotIn(500, codes)
        self.assertLessEqual(codes, {200, 202, 404})
        self.assertUnchanged()


@tagged("post_install", "-at_install")
class TestPayByBankMutualTls(PayByBankCommon):
    """Banks whose API answers only over mutual TLS, with server certificates from their own authority."""

    tls = True

    def key_folder(self):
        return Path(config["data_dir"]) / "pay_by_bank" / self.env.cr.dbname

    def test_approved_payment_reconciles_the_invoice_over_mutual_tls(self):
        invoice = self.invoice(800.0)
        self.assertTrue(self.bank.url.startswith("https://"))
        self.approve(self.start_payment(invoice))
        self.assertPaid(invoice)

    def test_key_files_are_private_one_per_content_and_removed_when_the_key_changes(self):
        self.start_payment(self.invoice(801.0))
        folder = self.key_folder()
        self.assertEqual(oct(os.stat(folder).st_mode & 0o777), "0o700")
        ca = self.aspsp.sudo().ca_certificates
        files = [folder / _sha256(content) for content in (
            self.provider.pay_by_bank_tls_certificate, self.provider.pay_by_bank_tls_key, ca)]
        for path in files:
            self.assertTrue(path.exists(), path)
            self.assertEqual(oct(os.stat(path).st_mode & 0o777), "0o600")
        self.assertEqual(self.aspsps["stet"].sudo().ca_certificates, self.aspsps["berlin_group"].sudo().ca_certificates,
                         "both banks have the same authority here: one file for both")
        self.provider.pay_by_bank_tls_key_new = self.qseal_key  # another key (any RSA key will do here)
        self.assertFalse(files[1].exists(), "the old key's file is gone")
        self.assertTrue(files[0].exists(), "the certificate did not change")
        self.assertEqual(self.provider.pay_by_bank_tls_key, self.qseal_key)

    def test_without_the_qwac_the_bank_refuses_and_the_payer_is_told(self):
        self.provider.pay_by_bank_tls_key = False
        invoice, payments_at_the_bank = self.invoice(800.0), len(self.bank.payments)
        with mute_logger("odoo.addons.dunning_pis.models.payment_transaction"):
            answer = self.choose(invoice.pay_by_bank_url)
        self.assertEqual(answer.status_code, 200)
        self.assertIn("could not start the payment", answer.text)
        self.assertEqual(len(self.bank.payments), payments_at_the_bank)
        self.assertEqual(invoice.payment_state, "not_paid")


def _sha256(text):
    return f"{hashlib.sha256(text.encode()).hexdigest()}.pem"


@tagged("post_install", "-at_install")
class TestPayByBankKeys(PayByBankCommon):
    """The private keys never go back to the browser nor into the logs."""

    def test_the_form_shows_what_the_key_is_never_the_key(self):
        form = self.provider.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="pay_by_bank_signing_key"', form)
        self.assertNotIn('name="pay_by_bank_tls_key"', form)
        self.assertIn('name="pay_by_bank_signing_key_new"', form)
        read = self.provider.web_read({"pay_by_bank_signing_key_summary": {}, "pay_by_bank_signing_key_new": {}})[0]
        self.assertRegex(read["pay_by_bank_signing_key_summary"], r"^RSA 2048-bit key, fingerprint \w{4}…\w{4}$")
        self.assertFalse(read["pay_by_bank_signing_key_new"])
        self.assertNotIn("PRIVATE KEY", json.dumps(read))

    def test_a_new_key_replaces_the_old_one_and_garbage_is_refused(self):
        self.provider.pay_by_bank_signing_key_new = False  # nothing typed: the key stays
        self.assertEqual(self.provider.pay_by_bank_signing_key, self.qseal_key)
        with self.assertRaises(ValidationError):
            self.provider.pay_by_bank_signing_key_new = "not a key"

    def test_keys_are_never_logged(self):
        with self.assertLogs(level=logging.INFO) as logs:  # Odoo's own SQL debugging shows every value
            logging.getLogger("odoo.addons.dunning_pis").info("marker")
            self.provider.pay_by_bank_signing_key_new = self.qseal_key
            self.aspsp.client_id = "odoo-pisp"
            invoice = self.invoice(60.0)
            self.approve(self.start_payment(invoice))
            with mute_logger("odoo.addons.dunning_pis.models.payment_transaction"):
                self.choose(self.invoice(61.0).pay_by_bank_url, bank="Unknown")
        text = "\n".join(logs.output)
        body = self.qseal_key.split("\n")[1]
        self.assertNotIn(body, text)
        self.assertNotIn(CLIENT[1], text)


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
        answer = self.choose(invoice.pay_by_bank_url)
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
        provider_fields = self.provider.with_user(accountant).fields_get()
        for secret in ("pay_by_bank_signing_key", "pay_by_bank_tls_key", "pay_by_bank_signing_key_new"):
            self.assertNotIn(secret, provider_fields)
        bank_fields = self.aspsp.with_user(accountant).fields_get()
        self.assertNotIn("client_secret", bank_fields)
        self.assertIn("client_id", bank_fields)
        self.assertEqual(self.aspsp.with_user(accountant).name, self.aspsp.name, "the directory can be read")


@tagged("post_install", "-at_install")
class TestPayByBankPortalTour(PayByBankCommon):
    """In Chromium: the customer finds Pay by bank on their invoice page, the amount, and their bank."""

    def test_customer_pays_from_the_portal_invoice_page(self):
        invoice = self.invoice(1234.0)
        self.start_tour(invoice.get_portal_url(), "dunning_pis_pay_by_bank_portal")
        self.approve(self.start_payment(invoice))
        self.assertPaid(invoice)

    def test_odoos_pay_button_leads_to_the_bank_choice_in_chromium(self):
        invoice = self.invoice(432.0)
        self.start_tour(invoice.get_portal_url(), "dunning_pis_pay_by_bank_pay_button")
        tx = self.transaction(invoice)
        self.assertEqual((tx.state, tx.provider_reference), ("draft", False), "nothing sent before the choice")
        self.approve(tx._pay_by_bank_url(BANK_PAGE_URL))
        self.assertPaid(invoice)


@tagged("post_install", "-at_install")
class TestPayByBankDemoDirectory(PayByBankCommon):
    """The demo's two banks, one of each standard: a payer of each pays a demo invoice, choosing their bank."""

    def test_a_payer_of_each_demo_bank_pays_a_demo_invoice(self):
        demo_banks = {standard: self.env.ref(f"dunning_pis.pay_by_bank_demo_bank_{standard}", raise_if_not_found=False)
                      for standard in ("stet", "berlin_group")}
        if not all(demo_banks.values()):
            self.skipTest("the database has no demo data")
        provider = demo_banks["stet"].provider_id.sudo()
        self.assertEqual(demo_banks["berlin_group"].provider_id, provider)
        company = self.env.ref("base.main_company")
        if not company.partner_id.bank_ids:
            self.env["res.partner.bank"].create({"acc_number": "FR7630006000011234567890189",
                                                 "partner_id": company.partner_id.id})
        self.provider.state = "disabled"
        provider.write({"state": "test", "is_published": True, "company_id": company.id,
                        "pay_by_bank_signing_key": self.qseal_key,
                        "pay_by_bank_signing_certificate": self.qseal_certificate})
        payers = {"stet": {"bank": "Banque Démo Paris"}, "berlin_group": {"iban": "DE48 9999 0000 0123 4567 89"}}
        for standard, bank_record in demo_banks.items():
            certificates = ({provider.pay_by_bank_published_certificate_url: self.qseal_certificate}
                            if standard == "stet" else [self.qseal_certificate])
            bank = SandboxBank(standard, bank_record.name, {bank_record.client_id: bank_record.sudo().client_secret},
                               certificates).start()
            self.addCleanup(bank.stop)
            # the demo's banks listen on 8070 and 8071 when `make demo` runs: here, on free ports
            bank_record.write({"api_url": bank.api_url, "token_url": bank.token_url})
            candidates = self.env["account.move"].sudo().search([
                ("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"), ("currency_id.name", "=", "EUR"), ("transaction_ids", "=", False),
                ("partner_id", "in", [self.env.ref("dunning_pis.demo_partner_boulangerie").id,
                                      self.env.ref("dunning_pis.demo_partner_garage").id]),
            ], order="id desc" if standard == "stet" else "id")
            invoice = candidates.filtered(lambda move: not move.dunning_active_plan_id and move.pay_by_bank_url)[:1]
            self.assertTrue(invoice, "a demo invoice payable by bank")
            answer = self.choose(invoice.pay_by_bank_url, **payers[standard])
            self.assertEqual(answer.status_code, 303, answer.text[:1000])
            self.assertTrue(answer.headers["Location"].startswith(bank.url))
            with self.allow_requests(all_requests=True):
                back = requests.post(answer.headers["Location"], data={"decision": "approve"}, timeout=30,
                                     allow_redirects=False)
            self.url_open(back.headers["Location"])
            invoice.invalidate_recordset()
            tx = invoice.transaction_ids.filtered(lambda tx, provider=provider: tx.provider_id == provider)
            self.assertEqual((tx.state, tx.pay_by_bank_aspsp_id), ("done", bank_record))
            self.assertIn(invoice.payment_state, ("paid", "in_payment", "partial"))
            self.assertEqual(bank.errors, [])
