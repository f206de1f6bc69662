import io

import pypdf
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import formatLang, html2plaintext, mute_logger

from .common import TODAY, DunningCommon


def flat(text):
    """Text as a reader sees it: every run of spaces, non-breaking ones included, as one space."""
    return " ".join(text.replace("\xa0", " ").split())


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningDocuments(DunningCommon):
    """On one date, everything the accountant and the customer read gives the same figures to the cent, and the
    formal notice is a letter a court can read.

    1000 € due 30 May 2026, formal notice on 30 June 2026: 31 days at 12.15 % (ECB 2.15 % + 10 points, L441-10):
    1000 x 12.15 % x 31 / 365 = 10.319 -> 10.32; 40 € once for the invoice (D441-5).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.skipping, cls.skip_level = cls.skipping_policy(cls)
        cls.skip_level[30].needs_validation = False
        cls.business.with_company(cls.company).dunning_policy_id = cls.skipping
        cls.company.write({
            "dunning_invoice_charges": True,
            "dunning_fee_account_id": cls.company_data["default_account_revenue"].id,
            "dunning_interest_account_id": cls.company_data["default_account_revenue"].id,
            "street": "3 place Bellecour", "zip": "69002", "city": "Lyon",
        })
        cls.env["res.partner.bank"].create({
            "acc_number": "FR7630006000011234567890189", "partner_id": cls.company.partner_id.id,
            "allow_out_payment": True,
        })

    def pdf_text(self, report, records):
        """The text of the PDF as Odoo prints it, with wkhtmltopdf on its patched Qt (headers and footers). No HTTP
        server runs in these tests: wkhtmltopdf cannot fetch the stylesheets and says so (a warning of Odoo's)."""
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            pdf, kind = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
                report, records.ids)
        self.assertEqual(kind, "pdf")
        return flat(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages))

    def money(self, amount):
        return flat(formatLang(self.env, amount, currency_obj=self.company.currency_id))

    def test_the_same_figures_to_the_cent_everywhere(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        other = self.invoice(self.business, 250.0, self.days(-40))
        communication = self.run_dunning().communication_ids
        self.send(communication)
        self.assertEqual(communication.state, "sent")
        # the Dunning tab of the invoice
        tab = invoice.dunning_line_ids
        self.assertEqual((tab.indemnity_amount, tab.interest_amount), (40.0, 10.32))
        self.assertEqual(communication.level_id, self.skip_level[30])
        # 250 x 12.15 % x 40 / 365 = 3.3288 -> 3.33 on the other invoice, listed too
        self.assertEqual(other.dunning_line_ids.interest_amount, 3.33)
        # the email the customer received
        email = flat(html2plaintext(self.smtp.messages[-1]["html"]))
        for amount in (40.0, 10.32, 3.33, 1000.0, 250.0, 1343.65):
            self.assertIn(self.money(amount), email)
        # the letter as printed
        letter = self.pdf_text("dunning_pis.action_report_dunning_letter", communication)
        for amount in (40.0, 10.32, 3.33, 1343.65):
            self.assertIn(self.money(amount), letter)
        # the customer statement of the same day
        rows = {row["invoice"]: row for row in self.business._dunning_statement()}
        self.assertEqual((rows[invoice]["indemnity_total"], rows[invoice]["interest_total"]), (40.0, 10.32))
        self.assertEqual(rows[invoice]["indemnity_claimed_date"], TODAY, "claimed on 30 June, shown once")
        statement = self.pdf_text("dunning_pis.action_report_customer_statement", self.business)
        for amount in (40.0, 10.32, 3.33, 1343.65):
            self.assertIn(self.money(amount), statement)
        # and how to pay it: the account, the customer's reference, the rate in force, a QR code of the balance
        self.assertIn(f"IBAN FR76 3000 6000 0112 3456 7890 189 , quoting the reference CUST/{self.business.id}",
                      statement)
        self.assertIn("Interest rate in force: 12.15 % a year from 01/01/2026: ECB rate 2.15 % + 10.00 points "
                      "(L441-10).", statement)
        self.assertIn(f"Balance, by transfer {self.money(1343.65)}", statement)
        statement_html = str(self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_customer_statement", self.business.ids)[0])
        self.assertEqual(statement_html.count('class="dunning-statement-qr"'), 1)
        # the charges invoice
        communication.action_invoice_charges()
        charges = self.env["account.move"].search([("dunning_charges_kind", "=", "charges")])
        self.assertEqual(sorted(charges.invoice_line_ids.mapped("price_unit")), [3.33, 10.32, 40.0, 40.0])
        self.assertEqual(charges.amount_total, 93.65)
        # once invoiced, the statement moves the charges to the charges invoice: the balance does not change
        charges.action_post()
        totals = self.business._dunning_statement_totals(self.business._dunning_statement())
        self.assertEqual(totals[0][5], 1343.65)

    def test_the_formal_notice_is_a_letter(self):
        invoices = [self.invoice(self.business, 100.0 * n, self.days(-30 - n)) for n in range(1, 6)]
        communication = self.run_dunning().communication_ids
        self.send(communication)
        text = self.pdf_text("dunning_pis.action_report_dunning_letter", communication)
        html = str(self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_dunning_letter", communication.ids)[0])
        # The letterhead (the company's document layout, which wkhtmltopdf on patched Qt prints as the header and
        # footer of every page) is text in the PDF: the sender's name and address, as on a letter a court reads.
        self.assertIn(f"{self.company.name} 3 place Bellecour 69002 Lyon France Page 1 / 2", text)
        self.assertIn("3 place Bellecour 69002 Lyon France Page 2 / 2", text, "on every page")
        self.assertIn("Boulangerie Test SARL", text)
        self.assertIn("12 rue de la République", text)
        # a recipient without an address of their own: the letter goes to the customer's, for their attention
        accountant = self.env["res.partner"].create({"name": "Paul Comptable", "parent_id": self.business.id,
                                                     "type": "invoice"})
        communication.contact_id = accountant
        text = self.pdf_text("dunning_pis.action_report_dunning_letter", communication)
        self.assertIn("12 rue de la République", text)
        self.assertIn("For the attention of Paul Comptable", text)
        self.assertIn("Lyon, 06/30/2026", text)
        self.assertIn("Registered letter with acknowledgement of receipt", text)
        self.assertIn("Dear Sir or Madam,", text)
        self.assertNotIn("Dear Boulangerie", text)
        for invoice in invoices:
            self.assertIn(invoice.name, text)
        self.assertIn("Formal notice", text, "the level each invoice reached")
        self.assertIn("ECB rate 2.15 % + 10.00 points (L441-10)", text)
        self.assertIn("FR76 3000 6000 0112 3456 7890 189", text)
        self.assertIn(f"quoting the reference {communication.name}", text)
        self.assertIn("within 8 days of receiving this letter", text)
        self.assertIn("Total, by transfer", text, "the QR code to pay the total")
        self.assertEqual(html.count('class="dunning-pay-qr"'), 1 + 5, "the total and one per invoice")

    def test_a_statement_in_the_customers_favour_has_no_code_to_pay(self):
        credit_note = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.business.id, "invoice_date": self.days(-3),
            "invoice_line_ids": [(0, 0, {"name": "Avoir", "quantity": 1, "price_unit": 100.0, "tax_ids": False})],
        })
        credit_note.action_post()
        html = str(self.env["ir.actions.report"]._render_qweb_html(
            "dunning_pis.action_report_customer_statement", self.business.ids)[0])
        self.assertIn("FR76 3000 6000 0112 3456 7890 189", html)
        self.assertNotIn("dunning-statement-qr", html, "nothing to pay: no QR code")
