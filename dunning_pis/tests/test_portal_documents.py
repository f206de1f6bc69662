import re
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .pay_by_bank_common import PayByBankCommon

TITLE = r"<span[^>]*>\s*{}\s*</span>"


@tagged("post_install", "-at_install")
class TestPortalDocuments(PayByBankCommon):
    """What the customer reads on the portal: their invoice under its own title."""

    def test_a_posted_invoice_is_titled_invoice_on_the_portal(self):
        invoice = self.invoice(500.0)
        self.assertFalse(invoice.invoice_pdf_report_id, "never sent: Odoo's portal asks for a proforma")
        page = self.url_open(invoice.get_portal_url(report_type="html"))
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("Proforma", page.text)
        self.assertRegex(page.text, TITLE.format("Invoice"))
        # control: a draft asked for as a proforma is still one
        draft = invoice.copy()
        html = str(self.env["ir.actions.report"].with_context(proforma_invoice=True)._render_qweb_html(
            "account.account_invoices", draft.ids)[0])
        self.assertIn("Proforma", html)


@tagged("post_install", "-at_install")
class TestInstallmentDueNowOnThePortal(PayByBankCommon):
    """A plan's installment paid by ordinary transfer says how to pay it: the account, the reference, a button."""

    def setUp(self):
        super().setUp()
        self.company.dunning_sepa_creditor_identifier = "FR72ZZZ123456"
        self.customer.write({"street": "12 rue de la République", "zip": "69002", "city": "Lyon",
                             "country_id": self.env.ref("base.fr").id})
        today = fields.Date.context_today(self.env.user)
        invoice = self.invoice(900.0, due=today - timedelta(days=40))
        wizard = self.env["dunning.installment.plan.wizard"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"count": 3, "interval": 30, "interval_unit": "days", "first_method": "manual",
                  "other_method": "sepa_direct_debit"})
        self.plan = self.env["dunning.installment.plan"].browse(wizard.action_create_plan()["res_id"])
        self.plan.action_propose()

    def plan_page(self, **post):
        url = self.plan.get_portal_url()
        page = self.url_open(url)
        if post:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            page = self.url_open(url, data={"csrf_token": csrf, **post})
        return page

    def test_an_installment_by_transfer_shows_how_to_pay_it(self):
        page = self.plan_page(signer="Marie Boulanger", iban="FR76 3000 4000 0312 3456 7890 143", bic="",
                              consent="1")
        self.plan.invalidate_recordset()
        self.assertEqual(self.plan.state, "active")
        self.assertEqual(self.plan.installment_ids[0].method, "manual")
        self.assertIn('id="installment_plan_how_to_pay"', page.text)
        self.assertIn("FR76 3000 6000 0112 3456 7890 189", page.text)
        self.assertIn(f"quoting the reference <strong>{self.plan.name}</strong>", page.text)
        self.assertIn('id="installment_plan_pay_submit"', page.text, "and the button to pay it by bank")
        self.assertIn("300.00", page.text)

    def test_no_instructions_before_the_plan_is_accepted(self):
        page = self.plan_page()
        self.assertNotIn('id="installment_plan_how_to_pay"', page.text)
