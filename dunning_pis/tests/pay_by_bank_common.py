import json
import re
import tempfile
from pathlib import Path

import requests

from odoo.tests import HttpCase

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..payment_initiation import signing
from ..payment_initiation.adapters import TOKENS
from ..payment_initiation.sandbox_bank import SandboxBank, make_identity, make_tls_files, server_tls_context

NOTIFICATION_SECRET = "sandbox-notification-secret"


class PayByBankCommon(AccountTestInvoicingCommon, HttpCase):
    """A French company with an IBAN, the sandbox bank on loopback, and a pay-by-bank provider against it."""

    standard = "stet"
    tls = False  # the bank's API over mutual TLS, the provider with its QWAC and the bank's authority

    @classmethod
    @AccountTestInvoicingCommon.setup_chart_template("fr")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env["res.partner.bank"].create({
            "acc_number": "FR76 3000 6000 0112 3456 7890 189", "partner_id": cls.company.partner_id.id,
        })
        key, certificate = make_identity()
        tls_values, tls_context, cls.bank_verify = {}, None, True
        if cls.tls:
            folder = tempfile.TemporaryDirectory()
            cls.addClassCleanup(folder.cleanup)
            tls_files = make_tls_files(folder.name)
            tls_values = {"pay_by_bank_tls_certificate": Path(tls_files["client_cert"]).read_text(),
                          "pay_by_bank_tls_key": Path(tls_files["client_key"]).read_text(),
                          "pay_by_bank_ca_certificates": Path(tls_files["ca"]).read_text()}
            tls_context, cls.bank_verify = server_tls_context(tls_files), str(tls_files["ca"])
        cls.bank = SandboxBank("odoo-pisp", "client-secret", NOTIFICATION_SECRET, certificate=certificate,
                               tls=tls_context).start()
        cls.addClassCleanup(cls.bank.stop)
        api_url = f"{cls.bank.url}/stet/v1" if cls.standard == "stet" else f"{cls.bank.url}/berlin-group"
        cls.provider = cls.env.ref("dunning_pis.payment_provider_pay_by_bank").sudo().copy({
            "company_id": cls.company.id, "state": "test", "is_published": True,
            "pay_by_bank_standard": cls.standard, "pay_by_bank_api_url": api_url,
            "pay_by_bank_token_url": f"{cls.bank.url}/oauth/token", "pay_by_bank_client_id": "odoo-pisp",
            "pay_by_bank_client_secret": "client-secret", "pay_by_bank_notification_secret": NOTIFICATION_SECRET,
            "pay_by_bank_signing_key": key, "pay_by_bank_signing_certificate": certificate,
            "pay_by_bank_key_id": "odoo-qseal", **tls_values,
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Boulangerie Test SARL", "is_company": True, "email": "compta@boulangerie.example",
        })

    def setUp(self):
        super().setUp()
        TOKENS.drop((f"{self.bank.url}/oauth/token", "odoo-pisp"))

    def invoice(self, amount=1200.0, partner=None, currency=None, due=None):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": (partner or self.customer).id,
            "invoice_date": "2026-10-01" if due else "2026-11-01",
            **({"invoice_payment_term_id": False, "invoice_date_due": due} if due else {}),
            "currency_id": (currency or self.company.currency_id).id,
            "invoice_line_ids": [(0, 0, {"name": "Pain", "quantity": 1, "price_unit": amount, "tax_ids": False})],
        })
        invoice.action_post()
        return invoice

    def start_payment(self, invoice):
        """The payer opens the invoice's pay-by-bank link and continues to their bank: the approval URL."""
        page = self.url_open(invoice.pay_by_bank_url)
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = self.url_open(invoice.pay_by_bank_url, data={"csrf_token": csrf}, allow_redirects=False)
        self.assertEqual(answer.status_code, 303, answer.text[:500])
        approval_url = answer.headers["Location"]
        self.assertTrue(approval_url.startswith(self.bank.url), approval_url)
        return approval_url

    def approve(self, approval_url, decision="approve"):
        """The payer clicks in their bank, which sends them back to Odoo."""
        # The bank notifies Odoo from its own thread, without the test's cookie: let such requests in.
        with self.allow_requests(all_requests=True):
            answer = requests.post(approval_url, data={"decision": decision}, allow_redirects=False, timeout=30,
                                   verify=self.bank_verify)
        self.assertEqual(answer.status_code, 303)
        back = self.url_open(answer.headers["Location"], allow_redirects=False)
        self.assertEqual(back.headers.get("Location", "").rsplit("/", 2)[-2:], ["payment", "status"])

    def transaction(self, invoice):
        return invoice.transaction_ids.filtered(lambda tx: tx.provider_id == self.provider)

    def notify(self, body, secret=NOTIFICATION_SECRET, signature=None):
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not False:
            headers[signing.NOTIFICATION_HEADER] = signature or signing.sign_notification(body, secret)
        return self.url_open("/payment/pay_by_bank/webhook", data=body, headers=headers)

    def assertPaid(self, invoice):
        invoice.invalidate_recordset()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        tx = self.transaction(invoice)
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(tx.payment_id), 1)
        self.assertIn(tx.payment_id, invoice.matched_payment_ids)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
