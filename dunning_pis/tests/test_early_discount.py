import io
from datetime import date, timedelta

import pypdf
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..receivables.early_discount import discount_effect
from .common import TODAY, DunningCommon
from .pay_by_bank_common import PayByBankCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestEarlyDiscount(DunningCommon):
    """Escompte on top of Odoo's payment terms: offered in emails, shown in the legal mentions, withheld from
    excluded customers, and counted once granted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vat = cls.company_data["default_tax_sale"]
        cls.term = cls.discount_term("included")
        cls.usd = cls.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])

    @classmethod
    def discount_term(cls, mode):
        return cls.env["account.payment.term"].create({
            "name": f"2 % within 10 days, net 30 ({mode})", "early_discount": True, "discount_percentage": 2.0,
            "discount_days": 10, "early_pay_discount_computation": mode,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
        })

    def discounted_invoice(self, partner=None, term=None, amount=1000.0, currency=None, taxes=None):
        return self._create_invoice(
            partner_id=partner or self.business, invoice_date=TODAY, invoice_payment_term_id=term or self.term,
            currency_id=currency,
            invoice_line_ids=[Command.create({
                "name": "Pain", "quantity": 1, "price_unit": amount,
                "tax_ids": [Command.set((taxes if taxes is not None else self.vat).ids)],
            })],
            post=True,
        )

    def email_body(self, invoice, lang="en_US"):
        template = self.env.ref("account.email_template_edi_invoice")
        return str(self.env["account.move.send"]._get_default_mail_body(invoice, template, lang))

    def pay_in_time(self, invoice, amount, on_date):
        return self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"payment_date": on_date, "amount": amount})._create_payments()

    def test_invoice_email_offers_the_discount_while_it_lasts(self):
        self.assertEqual(self.vat.amount, 20.0)
        invoice = self.discounted_invoice()
        self.assertEqual(invoice.amount_total, 1200.0)
        self.assertIn("Pay before 07/10/2026: 1,176.00\xa0€ instead of 1,200.00\xa0€.", self.email_body(invoice))
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "dunning_pis")])._update_translations(["fr_FR"])
        self.assertIn("Payez avant le 10/07/2026 : 1\xa0176,00\xa0€ au lieu de 1\xa0200,00\xa0€.",
                      self.email_body(invoice, "fr_FR"))
        with freeze_time(TODAY + timedelta(days=11)):
            self.assertNotIn("Pay before", self.email_body(invoice), "the window closed on 10 July")
        # the offer is part of the message, above the sender's signature
        invoice.invoice_user_id.signature = "<p>Claire Martin, comptabilité</p>"
        body = self.email_body(invoice)
        self.assertIn("Claire Martin, comptabilité", body)
        self.assertLess(body.index("Pay before"), body.index("Claire Martin"))
        self.assertLess(body.index("Do not hesitate to contact us"), body.index("Pay before"))

    def test_mentions_on_the_pdf_of_a_french_company(self):
        invoice = self.discounted_invoice()
        self.term.note = "Payment terms: 30 days, 2 % early payment discount within 10 days"
        # No HTTP server runs here: wkhtmltopdf cannot fetch the stylesheets and says so (a warning of Odoo's).
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            pdf, kind = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
                "account.account_invoices", invoice.ids,
            )
        self.assertEqual(kind, "pdf")
        text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        self.assertIn("Payment due date: 07/30/2026.", text)
        self.assertIn("Early payment discount: 2 % if paid by 07/10/2026, that is 1,176.00 € to pay, "
                      "of which 196.00 € VAT.", text)
        # ECB rate in force on 1 July 2026 (2.15 % since 11 June 2025) + 10 points.
        self.assertIn("Late payment interest: 12.15 % a year", text)
        self.assertIn("Fixed indemnity for recovery costs owed by business customers", text)
        # the early-payment terms once: neither Odoo's "due if paid before" line nor the term's description repeat them
        self.assertEqual(text.count("07/10/2026"), 1, text)
        self.assertNotIn("due if paid before", text)
        self.assertNotIn("2 % early payment discount within 10 days", text)
        self.company.dunning_legal_mentions = False
        html = str(self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", invoice.ids)[0])
        self.assertIn("due if paid before", html, "without the mentions, Odoo's own lines say it")
        self.assertIn("2 % early payment discount within 10 days", html)

    def test_mentions_follow_the_customer_and_the_company(self):
        consumer_invoice = self.discounted_invoice(partner=self.consumer, term=self.env.ref(
            "account.account_payment_term_30days"))
        mentions = consumer_invoice._dunning_legal_mentions()
        self.assertIn("No discount for early payment.", mentions)
        self.assertFalse([m for m in mentions if "indemnity" in m], "consumers owe no recovery indemnity")
        html = str(self.env["ir.actions.report"]._render_qweb_html("account.account_invoices",
                                                                   consumer_invoice.ids)[0])
        self.assertIn("No discount for early payment.", html)
        self.company.dunning_mention_no_discount = "Aucun escompte n'est accordé."
        self.assertIn("Aucun escompte n'est accordé.", consumer_invoice._dunning_legal_mentions())
        self.company.dunning_legal_mentions = False
        html = str(self.env["ir.actions.report"]._render_qweb_html("account.account_invoices",
                                                                   consumer_invoice.ids)[0])
        self.assertNotIn("dunning_legal_mentions", html)
        self.assertNotIn("Aucun escompte", html)
        self.assertNotIn("Late payment interest", html)

    def test_mentions_are_on_by_default_for_french_companies_only(self):
        self.assertTrue(self.company.dunning_legal_mentions)
        belgian = self.env["res.company"].create({"name": "BE Co", "country_id": self.env.ref("base.be").id})
        self.assertFalse(belgian.dunning_legal_mentions)

    def test_a_wording_with_an_unknown_placeholder_is_refused(self):
        with self.assertRaisesRegex(ValidationError, r"\{total\}.*\{amount\}, \{date\}, \{percent\}, \{tax\}"):
            self.company.dunning_mention_discount = "Escompte de {total}"
        self.env.cr.execute(SQL("SELECT dunning_mention_discount FROM res_company WHERE id = %s", self.company.id))
        self.assertEqual(self.env.cr.fetchone(), (None,), "nothing written")
        with self.assertRaisesRegex(ValidationError, "cannot be filled in"):
            self.company.dunning_mention_indemnity = "{amount.__class__}"

    def test_mentions_state_odoos_discounted_amount_in_each_tax_mode(self):
        for mode, to_pay, vat in (("included", "1,176.00", "196.00"), ("excluded", "1,180.00", "200.00"),
                                  ("mixed", "1,176.00", "196.00")):
            with self.subTest(mode=mode):
                invoice = self.discounted_invoice(term=self.discount_term(mode))
                term_line = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
                effect = discount_effect(invoice.amount_untaxed, invoice.amount_tax, 2, mode)
                self.assertEqual(float(effect.amount_due), term_line.discount_amount_currency)
                mention = next(m for m in invoice._dunning_legal_mentions() if m.startswith("Early payment"))
                self.assertIn(f"{to_pay}\xa0€ to pay, of which {vat}\xa0€ VAT", mention)

    def test_excluded_customer_gets_no_discount_anywhere(self):
        self.business.dunning_no_early_discount = True
        invoice = self.discounted_invoice()
        self.assertFalse(invoice.invoice_payment_term_id.early_discount)
        self.assertEqual(invoice.invoice_payment_term_id, self.term.dunning_no_discount_term_id)
        self.assertEqual(invoice.invoice_date_due, TODAY + timedelta(days=30), "same due date as the term")
        self.assertIn("excluded from them", invoice.message_ids[0].body)
        self.assertEqual(invoice._pay_by_bank_amount(), 1200.0)
        self.assertNotIn("Pay before", self.email_body(invoice))
        self.assertIn("No discount for early payment.", invoice._dunning_legal_mentions())
        with freeze_time(TODAY + timedelta(days=23)):
            preventive = self.run_dunning(TODAY + timedelta(days=23)).communication_ids
        self.assertEqual(preventive.line_ids.invoice_id, invoice)
        self.assertFalse(preventive.line_ids.early_discount_date)
        self.assertNotIn("pay before", preventive._letter_body())
        self.assertEqual(self.discounted_invoice().invoice_payment_term_id, invoice.invoice_payment_term_id,
                         "one twin term per payment term")
        self.business.dunning_no_early_discount = False
        self.assertTrue(self.discounted_invoice().invoice_payment_term_id.early_discount)

    def test_new_customers_take_the_exclusion_from_the_settings(self):
        self.company.dunning_no_early_discount_default = True
        customer = self.env["res.partner"].create({"name": "Nouveau client"})
        self.assertTrue(customer.dunning_no_early_discount)
        contact = self.env["res.partner"].create({"name": "Compta", "parent_id": self.business.id})
        self.assertTrue(self.discounted_invoice(partner=contact).invoice_payment_term_id.early_discount,
                        "the customer's company decides, not the contact")

    def test_discounts_granted_are_reported_per_customer_and_period(self):
        first, second = self.discounted_invoice(), self.discounted_invoice(amount=500.0)
        self.pay_in_time(first, 1176.0, TODAY + timedelta(days=5))
        self.pay_in_time(second, 588.0, TODAY + timedelta(days=10))
        late = self.discounted_invoice(partner=self.consumer)
        self.pay_in_time(late, 1176.0, TODAY + timedelta(days=11))
        self.assertEqual(set((first | second).mapped("payment_state")) - {"in_payment", "paid"}, set())
        self.assertEqual(late.payment_state, "partial", "paid after the window: 24.00 remain due")
        self.assertAlmostEqual(late.amount_residual, 24.0)
        report = self.env["dunning.early.discount.report"]
        rows = report.search([("company_id", "=", self.company.id)])
        self.assertEqual(sorted(rows.mapped("amount")), [10.0, 20.0], "VAT excluded: 2 % of 500 and of 1000")
        self.assertEqual(rows.invoice_id, first | second)
        groups = report._read_group([("company_id", "=", self.company.id)], ["partner_id", "date:month"],
                                    ["amount:sum"])
        self.assertEqual(groups, [(self.business, date(2026, 7, 1), 30.0)])

    def test_foreign_currency_invoice_keeps_its_amounts(self):
        invoice = self.discounted_invoice(currency=self.usd, taxes=self.env["account.tax"])
        self.assertIn("Pay before 07/10/2026: $\xa0980.00 instead of $\xa01,000.00.", self.email_body(invoice))
        mention = next(m for m in invoice._dunning_legal_mentions() if m.startswith("Early payment"))
        self.assertIn("$\xa0980.00 to pay", mention)
        self.assertIn("40.00\xa0€", next(m for m in invoice._dunning_legal_mentions() if "indemnity" in m))
        self.pay_in_time(invoice, 980.0, TODAY + timedelta(days=3))
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        row = self.env["dunning.early.discount.report"].search([("invoice_id", "=", invoice.id)])
        self.assertEqual(row.amount, 16.0, "20 USD at 1.25 USD per EUR, in company currency")


@tagged("post_install", "-at_install")
class TestPaymentMentionsOnThePortal(PayByBankCommon):
    """The customer reads the same payment mentions on the portal as on the PDF."""

    def test_portal_invoice_shows_the_payment_mentions(self):
        invoice = self.invoice(500.0)
        page = self.url_open(invoice.get_portal_url(report_type="html"))
        self.assertEqual(page.status_code, 200)
        self.assertIn("Payment due date:", page.text)
        self.assertIn("No discount for early payment.", page.text)
        self.assertIn("Fixed indemnity for recovery costs owed by business customers", page.text)
