import re

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandboxes.fintecture import SandboxFintecture
from sandboxes.gocardless import SandboxGoCardless

from ..payment_initiation import fintecture
from ..payment_initiation.tokens import TOKENS
from .pay_by_bank_common import PayByBankCommon

APP = ("odoo-sandbox-app", "odoo-sandbox-secret")
GOCARDLESS = ("sandbox-access-token", "sandbox-webhook-secret")


class PayByBankServiceCommon(PayByBankCommon):
    """The pay-by-bank provider through a contracted service (``service``: fintecture or gocardless), whose
    sandbox runs on loopback and sends its webhooks to the provider's webhook URL."""

    service = "fintecture"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.service == "fintecture":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            cls.app_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode()
            public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            cls.sandbox = SandboxFintecture(*APP, public, webhook_url=cls.provider.pay_by_bank_webhook_url).start()
            credentials = {"pay_by_bank_fintecture_app_id": APP[0], "pay_by_bank_fintecture_app_secret": APP[1],
                           "pay_by_bank_fintecture_private_key": cls.app_key}
        else:
            cls.sandbox = SandboxGoCardless(*GOCARDLESS, webhook_url=cls.provider.pay_by_bank_webhook_url).start()
            credentials = {"pay_by_bank_gocardless_access_token": GOCARDLESS[0],
                           "pay_by_bank_gocardless_webhook_secret": GOCARDLESS[1]}
        cls.addClassCleanup(cls.sandbox.stop)
        cls.provider.write({"pay_by_bank_service": cls.service, "pay_by_bank_service_url": cls.sandbox.url,
                            **credentials})

    def setUp(self):
        super().setUp()
        TOKENS.drop((self.sandbox.url + fintecture.TOKEN_PATH, APP[0]))
        self.sandbox.broken = None
        self.sandbox.scripts.clear()
        if self.service == "gocardless":
            # Each test's database is rolled back: its references come again, as in another database.
            self.sandbox.idempotency.clear()

    def tearDown(self):
        super().tearDown()
        self.assertEqual(self.sandbox.errors, [], "the sandbox's answers have the service's documented shape")

    def start_payment(self, invoice, url=None):
        """The payer opens the pay-by-bank link and continues: no bank to choose in Odoo, the service's page."""
        url = url or invoice.pay_by_bank_url
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("pay_by_bank_submit", page.text)
        self.assertNotIn('name="bank"', page.text, "the service lists the banks, Odoo does not ask")
        self.assertNotIn('name="iban"', page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        answer = self.url_open(url, data={"csrf_token": csrf, "access_token": self.query(url).get("access_token", "")},
                               allow_redirects=False)
        self.assertEqual(answer.status_code, 303, answer.text[:2000])
        self.assertTrue(answer.headers["Location"].startswith(self.sandbox.url), answer.headers["Location"])
        return answer.headers["Location"]

    def approve(self, approval_url, decision="approve"):
        """The payer on the service's page; the service notifies Odoo from its own thread, then sends the payer
        back to Odoo's page that follows the payment."""
        self.assertEqual(requests.get(approval_url, timeout=10).status_code, 200)
        with self.allow_requests(all_requests=True):
            answer = requests.post(approval_url, data={"decision": decision}, allow_redirects=False, timeout=60)
        self.assertEqual(answer.status_code, 303)
        back = self.url_open(answer.headers["Location"], allow_redirects=False)
        self.assertEqual(back.status_code, 200)
        self.assertIn("o_pay_by_bank_status", back.text)
        return back

    def approve_at_the_service(self, invoice):
        """The payer approves at the service, which says nothing yet and does not send them back: the
        transaction waits for a webhook or the poll."""
        approval_url = self.start_payment(invoice)
        self.sandbox.approve(approval_url.split("?")[0].rstrip("/").rsplit("/", 1)[-1])
        return self.transaction(invoice)

    def post_webhook(self, body, headers):
        self.env.flush_all()
        with self.allow_requests(all_requests=True):
            return requests.post(self.provider.pay_by_bank_webhook_url, data=body, headers=headers, timeout=60)
