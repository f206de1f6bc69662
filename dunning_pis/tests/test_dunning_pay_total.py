import re

from odoo.tests import tagged
from odoo.tools import html2plaintext

from .pay_by_bank_common import PayByBankCommon


@tagged("post_install", "-at_install")
class TestReminderPayTotal(PayByBankCommon):
    """The reminder's "Pay by bank" button: one payment for its invoices net of its credits, one link per invoice.

    200 € due 10 October and 300 € due 5 October, a credit note of 50 € not matched yet: a run on 12 October
    claims 450 €, which one transfer settles, the credit note matched with it.
    """

    def setUp(self):
        super().setUp()
        self.company.dunning_default_policy_id = self.env.ref("dunning_pis.policy_france")
        self.first = self.invoice(200.0, due="2026-10-10")
        self.second = self.invoice(300.0, due="2026-10-05")
        self.credit_note = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.customer.id, "invoice_date": "2026-10-02",
            "invoice_line_ids": [(0, 0, {"name": "Avoir", "quantity": 1, "price_unit": 50.0, "tax_ids": False})],
        })
        self.credit_note.action_post()
        run = self.env["dunning.run"].sudo().create({"company_id": self.company.id, "date": "2026-10-12"})
        run.action_run()
        self.communication = run.communication_ids.filtered(lambda c: c.partner_id == self.customer)

    def page(self, url, **data):
        page = self.url_open(url)
        if not data:
            return page
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(url, data={"csrf_token": csrf, **data}, allow_redirects=False)

    def test_one_button_pays_the_net_total_and_each_invoice_has_its_link(self):
        url = self.communication._pay_total_url()
        self.assertTrue(url)
        body = self.communication._letter_body(letter=False)
        text = " ".join(html2plaintext(body).replace("\xa0", " ").split())
        self.assertRegex(text, r"Pay \[\d+\] 450\.00 € by bank", "the button, its link noted by html2plaintext")
        self.assertIn(f'href="{url}"', body.replace("&amp;", "&"))
        for invoice in (self.first, self.second):
            self.assertIn(f'href="{invoice.pay_by_bank_url}"', body.replace("&amp;", "&"), "a Pay link per invoice")
        page = self.page(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("450.00", page.text)
        self.assertIn("the invoices are marked paid", page.text, "one transfer, several invoices")
        for move in (self.first, self.second):
            self.assertIn(move.name, page.text)
        answer = self.choose(url)
        self.assertEqual(answer.status_code, 303, answer.text[:2000])
        tx = self.transaction(self.first)
        self.assertEqual(tx, self.transaction(self.second))
        self.assertEqual((tx.amount, tx.reference), (450.0, self.communication.name))
        self.assertIn(self.credit_note, tx.invoice_ids, "the credit note is matched with the payment")
        payment = self.bank_payment(tx)
        self.assertEqual((payment["amount"], payment["end_to_end_id"]), ("450.00", self.communication.name))
        self.assertEqual(payment["remittance"], self.communication.name,
                         "the customer's statement names the reminder, not only the first invoice")
        self.approve(answer.headers["Location"])
        for move in (self.first, self.second, self.credit_note):
            move.invalidate_recordset()
            self.assertIn(move.payment_state, ("paid", "in_payment", "reversed"), move.name)
            self.assertTrue(move.currency_id.is_zero(move.amount_residual), move.name)
        self.assertFalse(self.communication._pay_total_url(), "nothing left to pay: no button")
        self.assertIn("Nothing is left to pay by bank", self.page(url).text)

    def test_the_page_links_each_invoice_to_the_customers_answer(self):
        """The total's page pays several invoices: each has its own "I will pay on…" / "I dispute…" link, not the
        first one's for all; an invoice paid since has none."""
        text = self.page(self.communication._pay_total_url()).text.replace("&amp;", "&")
        self.assertIn('id="dunning_self_service_links"', text)
        for move in (self.first, self.second):
            self.assertIn(f'href="{move.dunning_self_service_url}"', text, move.name)
        self.assertNotIn('id="dunning_self_service_link"', text, "no single link standing for all")
        self.assertIn(f'href="{self.first.dunning_self_service_url}"',
                      self.page(self.first.pay_by_bank_url).text.replace("&amp;", "&"), "an invoice's own page")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.first.ids,
        ).create({"payment_date": "2026-10-13"})._create_payments()
        text = self.page(self.communication._pay_total_url()).text.replace("&amp;", "&")
        self.assertNotIn(f'href="{self.first.dunning_self_service_url}"', text, "paid: nothing to answer")

    def test_a_payment_since_the_reminder_lowers_the_total(self):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.second.ids,
        ).create({"amount": 100.0, "payment_date": "2026-10-13"})._create_payments()
        self.assertEqual(self.communication._pay_total()[1], 350.0)
        self.assertIn("350.00", self.page(self.communication._pay_total_url()).text)
        # a payment received since and not matched yet counts too: only what is left is asked for
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id, "amount": 80.0,
            "date": "2026-10-14", "journal_id": self.company_data["default_journal_bank"].id,
        })
        payment.action_post()
        self.assertEqual(self.communication._pay_total()[1], 270.0)
        payment.action_draft()
        payment.action_cancel()
        self.assertEqual(self.communication._pay_total()[1], 350.0)

    def test_the_page_needs_the_reminders_token(self):
        url = self.communication._pay_total_url()
        self.assertEqual(self.url_open(url.replace("access_token=", "access_token=x")).status_code, 404)
        self.assertEqual(self.url_open(url.split("?")[0]).status_code, 404)
        other = self.communication.copy()
        self.assertEqual(self.url_open(url.replace(f"/{self.communication.id}/", f"/{other.id}/")).status_code, 404)

    def test_without_pay_by_bank_no_button(self):
        self.provider.state = "disabled"
        self.assertFalse(self.communication._pay_total_url())
        self.assertNotIn("dunning-pay-total", self.communication._letter_body(letter=False))

    def test_a_reminder_of_one_invoice_is_quoted_too(self):
        """A reminder claiming one invoice: its total paid by bank is still named after the reminder on the
        customer's statement, as its letter asks; the invoice's own Pay link quotes the invoice (control)."""
        customer = self.customer.copy({"name": "Une seule facture"})
        invoice = self.invoice(120.0, partner=customer, due="2026-10-01")
        run = self.env["dunning.run"].sudo().create({"company_id": self.company.id, "date": "2026-10-12"})
        run.action_run()
        communication = run.communication_ids.filtered(lambda c: c.partner_id == customer)
        self.assertEqual(communication.line_ids.filtered("escalation").invoice_id, invoice)
        self.approve(self.choose(communication._pay_total_url()).headers["Location"])
        tx = self.transaction(invoice)
        self.assertEqual((tx.dunning_communication_id, tx.reference), (communication, communication.name))
        self.assertEqual(self.bank_payment(tx)["remittance"], communication.name)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

        other = self.invoice(80.0, partner=customer, due="2026-10-01")
        answer = self.choose(other.pay_by_bank_url)
        self.assertEqual(answer.status_code, 303)
        self.assertEqual(self.bank_payment(self.transaction(other))["remittance"],
                         other.payment_reference or other.name)
