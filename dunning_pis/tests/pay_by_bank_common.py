import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from odoo import fields
from odoo.tests import HttpCase

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from sandboxes.bank import SandboxBank
from sandboxes.certificates import make_identity, make_tls_files, server_tls_context

from ..models.payment_transaction import BANK_PAGE_URL
from ..payment_initiation.transport import TOKENS

CLIENT = ("odoo-pisp", "client-secret")
# Payers' accounts at the two banks of the test directory (bank codes no real bank has).
PAYER_IBANS = {"stet": "FR2099001000010000000012345", "berlin_group": "DE48999900000123456789"}
BANK_NAMES = {"stet": "Banque Exemple (STET)", "berlin_group": "Beispielbank (Berlin Group)"}
# Seconds a test waits for a portal request that renders a PDF (a plan signed: its mandate). Odoo's 12 s were
# once too few for wkhtmltopdf's first run on the 2-core machine (a read timeout on 2 December 2026).
PDF_REQUEST_TIMEOUT = 60


class PayByBankCommon(AccountTestInvoicingCommon, HttpCase):
    """A French company with an IBAN; two sandbox banks on loopback, one STET and one Berlin Group, in the
    directory of a pay-by-bank provider whose QSEAL both banks know. ``standard`` is the payer's bank."""

    standard = "stet"
    tls = False  # the banks' APIs over mutual TLS, the provider with its QWAC and the banks' authority

    @classmethod
    @AccountTestInvoicingCommon.setup_chart_template("fr")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env["res.partner.bank"].create({
            "acc_number": "FR76 3000 6000 0112 3456 7890 189", "partner_id": cls.company.partner_id.id,
        })
        cls.qseal_key, cls.qseal_certificate = make_identity()
        tls_values, cls.tls_context, cls.bank_verify, ca_pem = {}, None, True, False
        if cls.tls:
            folder = tempfile.TemporaryDirectory()
            cls.addClassCleanup(folder.cleanup)
            tls_files = make_tls_files(folder.name)
            tls_values = {"pay_by_bank_tls_certificate": Path(tls_files["client_cert"]).read_text(),
                          "pay_by_bank_tls_key": Path(tls_files["client_key"]).read_text()}
            ca_pem = Path(tls_files["ca"]).read_text()
            cls.tls_context, cls.bank_verify = server_tls_context(tls_files), str(tls_files["ca"])
        cls.provider = cls.env.ref("dunning_pis.payment_provider_pay_by_bank").sudo().copy({
            "company_id": cls.company.id, "state": "test", "is_published": True,
            "pay_by_bank_signing_key": cls.qseal_key, "pay_by_bank_signing_certificate": cls.qseal_certificate,
            **tls_values,
        })
        cls.banks, cls.aspsps = {}, {}
        for standard, country, code in (("stet", "base.fr", "99001"), ("berlin_group", "base.de", "99990000")):
            certificates = ({cls.provider.pay_by_bank_published_certificate_url: cls.qseal_certificate}
                            if standard == "stet" else [cls.qseal_certificate])
            bank = SandboxBank(standard, BANK_NAMES[standard], dict([CLIENT]), certificates, tls=cls.tls_context)
            cls.banks[standard] = bank.start()
            cls.addClassCleanup(bank.stop)
            cls.aspsps[standard] = cls.env["dunning.pay.by.bank.aspsp"].create({
                "provider_id": cls.provider.id, "name": BANK_NAMES[standard], "country_id": cls.env.ref(country).id,
                "bank_codes": code, "standard": standard, "api_url": bank.api_url, "token_url": bank.token_url,
                "client_id": CLIENT[0], "client_secret": CLIENT[1], "ca_certificates": ca_pem,
            })
        cls.bank, cls.aspsp = cls.banks[cls.standard], cls.aspsps[cls.standard]
        cls.customer = cls.env["res.partner"].create({
            "name": "Boulangerie Test SARL", "is_company": True, "email": "compta@boulangerie.example",
        })

    def setUp(self):
        super().setUp()
        for bank in self.banks.values():
            TOKENS.drop((bank.token_url, CLIENT[0]))

    def tearDown(self):
        super().tearDown()
        for bank in self.banks.values():
            self.assertEqual(bank.errors, [], "the sandbox banks' answers pass their specifications")

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

    def choice(self, standard=None):
        """What the payer types on the page: their bank's name, and their IBAN where the bank needs it."""
        standard = standard or self.standard
        return {"bank": BANK_NAMES[standard], **({"iban": PAYER_IBANS[standard]} if standard == "berlin_group" else {})}

    def choose(self, url, headers=None, **choice):
        """The payer opens a pay-by-bank page and continues to their bank: the answer to their choice."""
        page = self.url_open(url, headers=headers)
        self.assertEqual(page.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        hidden = dict(re.findall(r'<input type="hidden" name="(reference|access_token)" value="([^"]*)"', page.text))
        return self.url_open(url, data={**hidden, "csrf_token": csrf, **(choice or self.choice())},
                             allow_redirects=False, headers=headers)

    def start_payment(self, invoice, headers=None, **choice):
        """The payer opens the invoice's pay-by-bank link and continues to their bank: the approval URL."""
        answer = self.choose(invoice.pay_by_bank_url, headers=headers, **choice)
        self.assertEqual(answer.status_code, 303, answer.text[:2000])
        approval_url = answer.headers["Location"]
        self.assertTrue(approval_url.startswith(tuple(bank.url for bank in self.banks.values())), approval_url)
        return approval_url

    def approve(self, approval_url, decision="approve"):
        """The payer clicks in their bank, which sends them back to Odoo's page that follows the payment. From
        Odoo's own bank choice page (Odoo's Pay button, an installment plan), they choose their bank first."""
        if urlsplit(approval_url).path == BANK_PAGE_URL:
            answer = self.choose(approval_url)
            self.assertEqual(answer.status_code, 303, answer.text[:2000])
            approval_url = answer.headers["Location"]
        # The bank notifies Odoo from its own thread, without the test's cookie: let such requests in.
        with self.allow_requests(all_requests=True):
            answer = requests.post(approval_url, data={"decision": decision}, allow_redirects=False, timeout=30,
                                   verify=self.bank_verify)
        self.assertEqual(answer.status_code, 303)
        back = self.url_open(answer.headers["Location"], allow_redirects=False)
        self.assertEqual(back.status_code, 200)
        self.assertIn("o_pay_by_bank_status", back.text)
        return back

    def discounted_invoice(self, invoice_date=None):
        """1000, untaxed, 2 % off if paid within 10 days of ``invoice_date`` (today)."""
        term = self.env["account.payment.term"].create({
            "name": "2 % / 10 days, net 30", "early_discount": True, "discount_percentage": 2.0,
            "discount_days": 10, "line_ids": [(0, 0, {"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_payment_term_id": term.id,
            "invoice_date": invoice_date or fields.Date.context_today(self.env.user),
            "invoice_line_ids": [(0, 0, {"name": "Pain", "quantity": 1, "price_unit": 1000.0, "tax_ids": False})],
        })
        invoice.action_post()
        return invoice

    def transaction(self, invoice):
        return invoice.transaction_ids.filtered(lambda tx: tx.provider_id == self.provider)

    def bank_payment(self, tx):
        return self.banks[tx.pay_by_bank_aspsp_id.standard].payments[tx.provider_reference]

    @staticmethod
    def query(url):
        return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}

    def assertPaid(self, invoice):
        self.env.invalidate_all()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        tx = self.transaction(invoice)
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(tx.payment_id), 1)
        self.assertIn(tx.payment_id, invoice.matched_payment_ids)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
