from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, DunningCommon

DUE = date(2026, 5, 1)
NOTICE = date(2026, 5, 31)  # J+30
COLLECTION = date(2026, 6, 15)  # J+45


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningRegimes(DunningCommon):
    """A business and a consumer owe the same 1000 €, due 1 May 2026, side by side; figures by hand.

    Business (Code de commerce L441-10, D441-5): interest from the day after the due date at the ECB rate in
    force on 1 January 2026 (2.15 %) + 10 points = 12.15 %, and 40 € once per invoice.
    Consumer (Code civil 1231-6, 1344-1): interest at the legal rate of the first half-year 2026, 2.62 % "for all
    other cases" (arrêté of 15 December 2025), from the formal notice only; no indemnity, no fee (recovery costs
    stay with the creditor: Code des procédures civiles d'exécution L111-8).
    Each period is claimed once: the J+45 reminder claims the days after those the J+30 notice claimed.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.skipping, cls.skip_level = cls.skipping_policy(cls)
        cls.skip_level[30].fee_amount = 15.0
        (cls.business | cls.consumer).with_company(cls.company).dunning_policy_id = cls.skipping
        cls.company.write({
            "dunning_invoice_charges": True,
            "dunning_fee_account_id": cls.company_data["default_account_revenue"].id,
            "dunning_interest_account_id": cls.company_data["default_account_revenue"].id,
        })

    def notices(self, send=True):
        """The formal notices of 31 May, sent that day unless ``send`` is False (then waiting for validation)."""
        self.business_invoice = self.invoice(self.business, 1000.0, DUE)
        self.consumer_invoice = self.invoice(self.consumer, 1000.0, DUE)
        with freeze_time(NOTICE):
            run = self.run_dunning(NOTICE)
            if send:
                self.send(run.communication_ids)
        return (run.communication_ids.filtered(lambda c: c.partner_id == self.business),
                run.communication_ids.filtered(lambda c: c.partner_id == self.consumer))

    def test_the_formal_notice_of_each(self):
        business, consumer = self.notices(send=False)
        self.assertEqual((business.level_id, consumer.level_id), (self.skip_level[30], self.skip_level[30]))
        self.assertEqual((business.regime, consumer.regime), ("business", "consumer"))
        # business: 2 to 31 May, 30 days: 1000 x 12.15 % x 30 / 365 = 9.986 -> 9.99; and 40 €
        self.assertEqual((business.line_ids.interest_amount, business.line_ids.indemnity_amount), (9.99, 40.0))
        self.assertEqual((business.line_ids.interest_date_from, business.line_ids.interest_date_to),
                         (date(2026, 5, 2), NOTICE))
        self.assertEqual((business.fee_amount, business.charges_total), (15.0, 64.99))
        # consumer: nothing runs before the notice, nor on its own date; no indemnity, no fee
        self.assertEqual((consumer.line_ids.interest_amount, consumer.line_ids.indemnity_amount), (0.0, 0.0))
        self.assertEqual((consumer.fee_amount, consumer.charges_total), (0.0, 0.0))

    def test_the_wording_of_each(self):
        business, consumer = self.notices(send=False)
        business_body = str(business._template()._render_field("body_html", business.ids)[business.id])
        consumer_body = str(consumer._template()._render_field("body_html", consumer.ids)[consumer.id])
        self.assertIn("L441-10", business_body)
        self.assertNotIn("L441", consumer_body)
        self.assertNotIn("Commercial Code", consumer_body)
        self.assertNotIn("indemnity", consumer_body)
        self.assertIn("articles 1231-6 and 1344-1 of the French Civil Code", consumer_body)
        self.assertIn("within 8 days of receiving this letter", consumer_body, "the level's days to pay")
        self.assertEqual(consumer.subject, "company_1_data: formal notice to pay", "the consumer template's subject")
        self.assertEqual(business.subject, "company_1_data: formal notice to pay within 8 days")
        collection = self.env.ref("dunning_pis.email_template_after_45_consumer")
        self.assertNotIn("expense", str(collection.body_html), "no costs threatened to a consumer")
        for xmlid in ("email_template_after_30_firm", "email_template_after_45_firm"):
            self.assertNotIn("at your expense", str(self.env.ref(f"dunning_pis.{xmlid}").body_html),
                             "recovery costs without an enforceable title stay with the creditor (CPCE L111-8)")

    def test_a_notice_not_sent_claims_nothing_and_holds_the_next_reminder(self):
        self.notices(send=False)
        with freeze_time(COLLECTION):
            run = self.run_dunning(COLLECTION)
        self.assertFalse(run.communication_ids, "each customer's notice still waits: no second reminder over it")

    def test_after_the_notice_each_claims_only_the_new_days(self):
        business, consumer = self.notices()
        with freeze_time(COLLECTION):
            run = self.run_dunning(COLLECTION)
        later_business = run.communication_ids.filtered(lambda c: c.partner_id == self.business)
        later_consumer = run.communication_ids.filtered(lambda c: c.partner_id == self.consumer)
        self.assertEqual(later_business.level_id, self.skip_level[45])
        line = later_business.line_ids
        # 1 to 15 June, 15 days: 1000 x 12.15 % x 15 / 365 = 4.993 -> 4.99
        self.assertEqual((line.interest_date_from, line.interest_date_to, line.interest_amount),
                         (date(2026, 6, 1), COLLECTION, 4.99))
        self.assertEqual((line.indemnity_amount, line.indemnity_claimed_date), (0.0, NOTICE), "claimed on 31 May")
        self.assertEqual(line.earlier_charges_amount, 49.99, "the notice's 40 € and 9.99 € are still owed")
        # consumer: 1 to 15 June at 2.62 %: 1000 x 2.62 % x 15 / 365 = 1.0767 -> 1.08
        line = later_consumer.line_ids
        self.assertEqual((line.interest_date_from, line.interest_amount, line.indemnity_amount),
                         (date(2026, 6, 1), 1.08, 0.0))
        self.assertIn("legal interest rate", later_consumer._interest_basis())
        self.assertIn("2.62", later_consumer._interest_basis())
        self.assertIn("ECB rate 2.15 % + 10.00 points", later_business._interest_basis())

    def test_invoicing_the_charges_never_bills_a_day_twice(self):
        business, _consumer = self.notices()
        self.send(business)
        business.action_invoice_charges()
        with freeze_time(COLLECTION):
            later = self.run_dunning(COLLECTION).communication_ids.filtered(lambda c: c.partner_id == self.business)
            self.assertEqual(later.line_ids.earlier_charges_amount, 0.0, "invoiced: the charges invoice is due now")
            self.send(later)
            later.action_invoice_charges()
        charges = self.env["account.move"].search([("dunning_charges_kind", "=", "charges"),
                                                   ("partner_id", "=", self.business.id)])
        interest = charges.invoice_line_ids.filtered(lambda line: "interest" in line.name)
        indemnity = charges.invoice_line_ids.filtered(lambda line: "indemnity" in line.name)
        # 45 days in all, 2 May to 15 June: 1000 x 12.15 % x 45 / 365 = 14.979 -> 14.98 = 9.99 + 4.99
        self.assertEqual(sorted(interest.mapped("price_unit")), [4.99, 9.99])
        self.assertEqual(indemnity.mapped("price_unit"), [40.0], "once per invoice (D441-5)")
        self.assertFalse(charges.invoice_line_ids.tax_ids, "damages, not a supply: no VAT")

    def test_a_charges_invoice_counts_but_bears_no_indemnity_interest_nor_discount(self):
        business, _consumer = self.notices()
        self.send(business)
        business.action_invoice_charges()
        charges = self.env["account.move"].search([("dunning_charges_kind", "=", "charges"),
                                                   ("partner_id", "=", self.business.id)])
        charges.write({"invoice_date": NOTICE, "invoice_date_due": NOTICE})
        charges.action_post()
        with freeze_time(COLLECTION):
            later = self.run_dunning(COLLECTION).communication_ids.filtered(lambda c: c.partner_id == self.business)
        charges_line = later.line_ids.filtered(lambda line: line.invoice_id == charges)
        self.assertEqual(charges_line.amount_residual, 64.99, "it counts in what the customer owes")
        self.assertEqual((charges_line.indemnity_amount, charges_line.interest_amount), (0.0, 0.0),
                         "no 40 € nor interest on interest (Code civil 1343-2)")
        self.assertFalse(charges_line.early_discount_date)
        invoice_line = later.line_ids.filtered(lambda line: line.invoice_id == self.business_invoice)
        self.assertEqual(invoice_line.interest_amount, 4.99, "control: the invoice itself still bears interest")

    def test_a_plan_fee_falls_due_with_the_first_installment_and_is_not_dunned_like_an_invoice(self):
        invoice = self.invoice(self.business, 1000.0, DUE)
        wizard = self.env["dunning.installment.plan.wizard"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"count": 2, "first_date": date(2026, 7, 15), "fee_amount": 20.0,
                  "first_method": "manual", "other_method": "manual"})
        plan = self.env["dunning.installment.plan"].browse(wizard.action_create_plan()["res_id"])
        plan.action_propose()
        plan._accept("Jean Dupont")
        self.assertEqual(plan.fee_invoice_id.dunning_charges_kind, "plan_fee")
        self.assertEqual(plan.fee_invoice_id.invoice_date_due, date(2026, 7, 15))
