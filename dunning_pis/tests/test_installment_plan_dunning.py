from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestInstallmentPlanDunning(DunningCommon):
    """Nobody chases a customer who honours their plan; when it breaks, dunning resumes where it stopped."""

    def days(self, n):
        return TODAY + timedelta(days=n)

    def active_plan(self, invoices, **values):
        wizard = self.env["dunning.installment.plan.wizard"].with_context(
            active_model="account.move", active_ids=invoices.ids,
        ).create({"count": 3, "interval": 30, "interval_unit": "days", "first_method": "manual",
                  "other_method": "manual", **values})
        plan = self.env["dunning.installment.plan"].browse(wizard.action_create_plan()["res_id"])
        plan.user_id = self.controller
        plan.action_propose()
        plan._accept("Jean Boulanger")
        return plan

    def send_reminders(self, run_date):
        communications = self.run_dunning(run_date).communication_ids
        communications.action_send()
        self.deliver_emails()
        return communications

    def pay(self, invoices, amount, on_date):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids,
        ).create({"payment_date": on_date, "amount": amount, "group_payment": True})._create_payments()

    def test_dunning_pauses_under_the_plan_and_resumes_at_its_level_when_it_breaks(self):
        invoice = self.invoice(self.business, 900.0, self.days(-2))
        reached = self.send_reminders(TODAY).level_id
        self.assertEqual((reached, invoice.dunning_level_id), (self.level[1], self.level[1]))
        plan = self.active_plan(invoice, first_date=TODAY)
        self.assertEqual(invoice.dunning_active_plan_id, plan)
        with freeze_time(self.days(5)):
            self.assertFalse(self.run_dunning(self.days(5)).communication_ids, "the plan is honoured so far")
            plan._cron_watch()
            self.assertEqual(plan.state, "active", "5 grace days after the first installment's date")
        with freeze_time(self.days(6)):
            plan._cron_watch()
            self.assertEqual(plan.state, "broken")
            self.assertIn(self.business, plan.message_ids.partner_ids, "the customer is told")
            self.assertEqual(plan.activity_ids.user_id, self.controller)
            resumed = self.run_dunning(self.days(6)).communication_ids
        self.assertEqual(resumed.line_ids.invoice_id, invoice)
        self.assertEqual(resumed.level_id, self.level[8], "the level after the one reached before the plan")

    def test_payments_settle_installments_oldest_first_and_early_payment_completes(self):
        older = self.invoice(self.business, 400.0, self.days(-30))
        newer = self.invoice(self.business, 500.0, self.days(-10))
        plan = self.active_plan(older | newer, first_date=TODAY)
        self.assertEqual(plan._open_invoices(), older | newer)
        self.assertEqual(plan.installment_ids.mapped("amount"), [300.0, 300.0, 300.0])
        self.pay(older | newer, 450.0, TODAY)
        self.assertEqual(plan.installment_ids.mapped("paid_amount"), [300.0, 150.0, 0.0])
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid", "open", "open"])
        self.assertIn(older.payment_state, ("paid", "in_payment"), "the oldest invoice is settled first")
        self.assertEqual(newer.amount_residual, 450.0)
        self.pay(newer, 450.0, self.days(1))
        plan._cron_watch()
        self.assertEqual(plan.state, "completed", "paying the whole rest early completes the plan")

    def test_plan_fee_is_invoiced_on_acceptance_and_planned(self):
        self.company.dunning_fee_account_id = self.company_data["default_account_revenue"]
        invoice = self.invoice(self.business, 600.0, self.days(-20))
        plan = self.active_plan(invoice, first_date=TODAY, fee_amount=15.0)
        self.assertEqual(sum(plan.installment_ids.mapped("amount")), 615.0)
        self.assertEqual((plan.fee_invoice_id.state, plan.fee_invoice_id.amount_total), ("posted", 15.0))
        self.assertEqual((plan.total_amount, plan.remaining_amount, plan.paid_amount), (615.0, 615.0, 0.0))

    def test_plan_offered_from_the_customer_covers_their_open_invoices(self):
        first = self.invoice(self.business, 300.0, self.days(-40))
        second = self.invoice(self.business, 200.0, self.days(-5))
        self.invoice(self.consumer, 100.0, self.days(-5))
        paid = self.invoice(self.business, 50.0, self.days(-60))
        self.pay(paid, 50.0, TODAY)
        wizard = self.env["dunning.installment.plan.wizard"].with_context(
            active_model="res.partner", active_ids=self.business.ids,
        ).create({})
        self.assertEqual(wizard.invoice_ids, first | second)
        self.assertEqual((wizard.partner_id, wizard.open_amount), (self.business, 500.0))
