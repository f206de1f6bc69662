from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningCharges(DunningCommon):
    """The recovery indemnity and the late-payment interest, on reminders and on a charges invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.skipping = cls.policy.copy({"name": "Skipping", "allow_level_skip": True})
        (cls.business | cls.consumer).with_company(cls.company).write({"dunning_policy_id": cls.skipping.id})

    def test_formal_notice_claims_indemnity_and_interest(self):
        # Due 30 May 2026, 31 days late on 30 June: ECB rate in force on 1 January 2026 is 2.15 %, + 10 points.
        # 1000 x 12.15 % x 31 / 365 = 10.319 -> 10.32
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        line = self.run_dunning().communication_ids.line_ids
        self.assertEqual(line.invoice_id, invoice)
        self.assertEqual(line.indemnity_amount, 40.0)
        self.assertEqual(line.interest_amount, 10.32)
        self.assertEqual(line.days_late, 31)
        self.assertEqual(line.communication_id.charges_total, 50.32)

    def test_interest_stops_on_what_a_partial_payment_paid(self):
        # 1000 due 30 May; 400 paid 10 June: 1000 x 11 days + 600 x 20 days at 12.15 % / 365 = 7.656 -> 7.66
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        self.pay(invoice, 400.0, on=self.days(-20))
        line = self.run_dunning().communication_ids.line_ids
        self.assertEqual(line.amount_residual, 600.0)
        self.assertEqual(line.interest_amount, 7.66)

    def test_no_indemnity_for_consumers_and_no_interest_before_the_formal_notice(self):
        # D441-5 is owed by businesses only; a consumer owes interest from the formal notice (Code civil 1231-6),
        # and none on the notice's own date.
        self.invoice(self.consumer, 1000.0, self.days(-31))
        line = self.run_dunning().communication_ids.line_ids
        self.assertEqual(line.level_id.delay_days, 30)
        self.assertEqual((line.indemnity_amount, line.interest_amount), (0.0, 0.0))

    def test_indemnity_is_never_claimed_twice_for_an_invoice(self):
        self.invoice(self.business, 1000.0, self.days(-46))
        self.business.with_company(self.company).dunning_policy_id = self.policy
        self.level[30].needs_validation = False
        for day in (-44, -37, -30, -15):
            with freeze_time(self.days(day)):
                run = self.run_dunning(self.days(day))
                run.communication_ids.action_send()
                self.deliver_emails()
        lines = self.env["dunning.line"].search([("partner_id", "=", self.business.id)])
        self.assertEqual(sorted(lines.mapped("level_id.delay_days")), [1, 8, 15, 30])
        self.assertEqual(set(lines.mapped("state")), {"sent"})
        notice = lines.filtered(lambda line: line.level_id == self.level[30])
        self.assertEqual(notice.indemnity_amount, 40.0)
        collection = self.run_dunning().communication_ids.line_ids
        self.assertEqual(collection.level_id, self.level[45])
        self.assertEqual(collection.indemnity_amount, 0.0, "already claimed by the formal notice")
        self.assertEqual(collection.indemnity_claimed_date, self.days(-15))
        # 1000 due 15 May: the notice claimed 16 May to 15 June (31 days), this one 16 to 30 June (15 days):
        # 1000 x 12.15 % x 15 / 365 = 4.993 -> 4.99
        self.assertEqual((notice.interest_date_from, notice.interest_date_to), (self.days(-45), self.days(-15)))
        self.assertEqual((collection.interest_date_from, collection.interest_amount), (self.days(-14), 4.99))
        self.assertEqual(collection.earlier_charges_amount, notice.indemnity_amount + notice.interest_amount)

    def test_unknown_rate_is_reported_and_nothing_is_written_for_the_customer(self):
        self.env["dunning.interest.rate"].search([]).unlink()
        self.invoice(self.business, 1000.0, self.days(-31))
        run = self.run_dunning()
        self.assertFalse(self.env["dunning.communication"].search([("run_id", "=", run.id)]))
        self.assertIn("No late-payment reference rate is known for the half-year starting on 01/01/2026 "
                      "(Boulangerie Test SARL", run.problem_note)
        with self.assertRefused(UserError, "No late-payment reference rate"):
            self.business._dunning_statement()

    def test_contractual_rate(self):
        self.company.write({"dunning_interest_mode": "fixed", "dunning_fixed_interest_rate": 15.0})
        self.invoice(self.business, 1000.0, self.days(-31))
        # 1000 x 15 % x 31 / 365 = 12.739 -> 12.74
        self.assertEqual(self.run_dunning().communication_ids.line_ids.interest_amount, 12.74)

    def test_charges_invoiced_on_a_draft_invoice_once(self):
        self.skipping.level_ids.filtered(lambda level: level.delay_days == 30).fee_amount = 15.0
        communication = self._sent_formal_notice()
        with self.assertRefused(UserError, "not enabled"):
            communication.action_invoice_charges()
        self.company.dunning_invoice_charges = True
        with self.assertRefused(UserError, "accounts"):
            communication.action_invoice_charges()
        income = self.company_data["default_account_revenue"]
        self.company.write({"dunning_fee_account_id": income.id, "dunning_interest_account_id": income.id})
        self.assertTrue(communication.can_invoice_charges)
        action = communication.action_invoice_charges()
        charges = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(charges.state, "draft")
        self.assertEqual(charges.partner_id, self.business)
        self.assertEqual(charges.amount_total, 40.0 + 10.32 + 15.0)
        self.assertFalse(charges.invoice_line_ids.tax_ids, "late charges bear no VAT")
        self.assertFalse(communication.can_invoice_charges)
        with self.assertRefused(UserError, "no charges left"):
            communication.action_invoice_charges()

    def _sent_formal_notice(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        communication = self.run_dunning().communication_ids
        communication.action_send()
        self.deliver_emails()
        self.assertEqual(communication.state, "sent")
        return communication
