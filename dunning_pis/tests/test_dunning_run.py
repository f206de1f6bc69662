from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningRun(DunningCommon):
    """Runs: what they find, group and hold, and what they never do twice."""

    def test_one_communication_per_customer_listing_each_invoice_at_its_level(self):
        early = self.invoice(self.business, 100.0, self.days(-2))
        late = self.invoice(self.business, 300.0, self.days(-40))
        other = self.invoice(self.consumer, 50.0, self.days(-1))
        run = self.run_dunning()
        self.assertEqual(len(run.communication_ids), 2)
        business = run.communication_ids.filtered(lambda c: c.partner_id == self.business)
        self.assertEqual(business.level_id, self.level[1], "levels are climbed one at a time")
        self.assertEqual(set(business.line_ids.invoice_id.ids), {early.id, late.id})
        self.assertEqual(business.amount_due, 400.0)
        self.assertEqual(business.contact_id, self.business)
        self.assertEqual(business.user_id, self.controller)
        self.assertEqual(business.state, "queued")
        consumer = run.communication_ids - business
        self.assertEqual(consumer.line_ids.invoice_id, other)

    def test_preventive_reminder_before_the_due_date(self):
        soon = self.invoice(self.business, 100.0, self.days(5))
        self.invoice(self.business, 100.0, self.days(20))
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.line_ids.invoice_id, soon)
        self.assertEqual(communication.level_id, self.level[-7])

    def test_preview_shows_amounts_and_writes_nothing(self):
        self.invoice(self.business, 100.0, self.days(-2))
        self.invoice(self.consumer, 80.0, self.days(-3))
        run = self.env["dunning.run"].create({"date": TODAY, "company_id": self.company.id})
        action = run.action_preview()
        preview = self.env["dunning.run.preview"].browse(action["res_id"])
        self.assertEqual(preview.communication_count, 2)
        self.assertEqual(preview.amount_due, 180.0)
        self.assertEqual(set(preview.line_ids.mapped("level_id")), {self.level[1]})
        self.assertFalse(self.env["dunning.communication"].search([("run_id", "=", run.id)]))
        self.assertEqual(run.state, "draft")
        self.assertFalse(self.company.dunning_last_run_date, "a preview takes no lock and moves no date")

    def test_same_day_twice_sends_nothing_twice(self):
        self.invoice(self.business, 100.0, self.days(-2))
        first = self.run_dunning()
        second = self.run_dunning()
        self.assertEqual(len(first.communication_ids), 1)
        self.assertFalse(second.communication_ids)
        self.assertEqual(second.state, "done")

    def test_next_level_once_sent_and_the_minimum_gap_is_over(self):
        invoice = self.invoice(self.business, 100.0, self.days(-8))
        with freeze_time(self.days(-7)):
            run = self.run_dunning(self.days(-7))
            run.action_send()
            self.deliver_emails()
        self.assertEqual(invoice.dunning_level_id, self.level[1])
        with freeze_time(self.days(-6)):
            self.assertFalse(self.run_dunning(self.days(-6)).communication_ids, "J+8 not reached yet")
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.level_id, self.level[8])
        self.send(communication)
        another = self.invoice(self.business, 100.0, self.days(-1))
        self.assertFalse(self.run_dunning().communication_ids, "nothing within the minimum gap")
        with freeze_time(self.days(2)):
            later = self.run_dunning(self.days(2)).communication_ids
        self.assertIn(another, later.line_ids.invoice_id)

    def test_run_before_the_last_run_or_in_the_future_is_refused(self):
        self.invoice(self.business, 100.0, self.days(-20))
        self.run_dunning()
        earlier = self.env["dunning.run"].create({"date": self.days(-1), "company_id": self.company.id})
        with self.assertRefused(ValidationError, "before the last run"):
            earlier.action_run()
        self.assertEqual(earlier.state, "draft")
        self.assertFalse(earlier.communication_ids)
        future = self.env["dunning.run"].create({"date": self.days(1), "company_id": self.company.id})
        with self.assertRefused(ValidationError, "in the future"):
            future.action_preview()
        self.assertEqual(self.company.dunning_last_run_date, TODAY)

    def test_done_run_cannot_run_again_nor_be_deleted(self):
        run = self.run_dunning()
        with self.assertRefused(UserError, "already done"):
            run.action_run()
        with self.assertRefused(UserError, "Only draft dunning runs"):
            run.unlink()

    def test_levels_needing_validation_wait_for_it(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        self.level[1].needs_validation = False
        policy = self.policy.copy({"name": "Skipping", "allow_level_skip": True})
        self.business.with_company(self.company).dunning_policy_id = policy
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.level_id.delay_days, 30)
        self.assertEqual(communication.state, "to_validate")
        self.assertEqual(communication.line_ids.invoice_id, invoice)
        communication.action_validate()
        self.assertEqual(communication.state, "queued")
        with self.assertRefused(UserError, "waiting for validation"):
            communication.action_validate()

    def test_dispute_pauses_until_cleared(self):
        invoice = self.invoice(self.business, 100.0, self.days(-5))
        action = invoice.action_dunning_dispute()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        with self.assertRefused(UserError, "why"):
            wizard.action_confirm()
        self.assertFalse(invoice.dunning_disputed)
        wizard.reason = "Goods returned"
        wizard.action_confirm()
        self.assertTrue(invoice.dunning_disputed)
        self.assertFalse(self.run_dunning().communication_ids)
        invoice.action_dunning_clear_dispute()
        with freeze_time(self.days(1)):
            self.assertEqual(self.run_dunning(self.days(1)).communication_ids.line_ids.invoice_id, invoice)

    def test_promise_pauses_until_its_date_then_resumes(self):
        invoice = self.invoice(self.business, 100.0, self.days(-5))
        action = invoice.action_dunning_promise()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        wizard.date = self.days(-1)
        with self.assertRefused(UserError, "today or a later date"):
            wizard.action_confirm()
        wizard.date = self.days(3)
        wizard.action_confirm()
        self.assertEqual(invoice.dunning_promise_amount, 100.0)
        self.assertFalse(self.run_dunning().communication_ids)
        with freeze_time(self.days(3)):
            self.assertFalse(self.run_dunning(self.days(3)).communication_ids, "not on the promised day")
        with freeze_time(self.days(4)):
            self.assertEqual(self.run_dunning(self.days(4)).communication_ids.line_ids.invoice_id, invoice)

    def test_paid_invoices_leave_and_partial_payments_update_amounts(self):
        paid = self.invoice(self.business, 100.0, self.days(-5))
        partly = self.invoice(self.business, 300.0, self.days(-6))
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.invoice_count, 2)
        self.pay(paid, 100.0)
        self.pay(partly, 120.0)
        communication.action_send()
        self.assertEqual(communication.line_ids.invoice_id, partly)
        self.assertEqual(communication.line_ids.amount_residual, 180.0)
        self.assertEqual(communication.amount_due, 180.0)
        self.pay(partly, 180.0)
        with freeze_time(self.days(10)):
            self.assertFalse(self.run_dunning(self.days(10)).communication_ids)

    def test_everything_paid_before_sending_cancels_the_reminder(self):
        invoice = self.invoice(self.business, 100.0, self.days(-5))
        communication = self.run_dunning().communication_ids
        self.pay(invoice, 100.0)
        communication.action_send()
        self.assertEqual(communication.state, "cancelled")
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "dunning.communication"),
                                                      ("res_id", "=", communication.id)]))

    def test_customers_not_to_dun_or_in_collection_are_left_alone(self):
        self.invoice(self.business, 100.0, self.days(-5))
        self.invoice(self.consumer, 100.0, self.days(-5))
        self.business.write({"dunning_blocked": True, "dunning_block_reason": "Key account"})
        self.consumer.write({"dunning_in_collection": True})
        self.assertFalse(self.run_dunning().communication_ids)

    def test_run_limited_to_customers_and_policies(self):
        self.invoice(self.business, 100.0, self.days(-5))
        self.invoice(self.consumer, 100.0, self.days(-5))
        run = self.run_dunning(partner_ids=[(6, 0, self.consumer.ids)])
        self.assertEqual(run.communication_ids.partner_id, self.consumer)
        other_policy = self.policy.copy({"name": "Other"})
        self.assertFalse(self.run_dunning(policy_ids=[(6, 0, other_policy.ids)]).communication_ids)

    def test_minimum_amount_of_a_level(self):
        self.level[1].min_overdue_amount = 150.0
        self.invoice(self.business, 100.0, self.days(-5))
        self.assertFalse(self.run_dunning().communication_ids)
        self.invoice(self.business, 60.0, self.days(-4))
        self.assertEqual(self.run_dunning().communication_ids.invoice_count, 2)

    def test_daily_cron_goes_on_past_a_company_it_cannot_dun(self):
        self.env["res.company"].search([("id", "!=", self.company.id)]).dunning_auto_run = False
        other = self.setup_other_company(name="Second SAS")["company"]
        other.dunning_last_run_date = self.days(10)
        self.invoice(self.business, 100.0, self.days(-5))
        with self.assertLogs("odoo.addons.dunning_pis.models.dunning_run", "WARNING") as logs:
            self._trigger_daily_cron()
        self.assertIn("before the last run", logs.output[0])
        self.assertTrue(self.env["dunning.communication"].search([("partner_id", "=", self.business.id)]))

    def _trigger_daily_cron(self):
        """The cron job runs in cursors of its own, here kept inside the test's transaction."""
        with self.enter_registry_test_mode():
            self.env.ref("dunning_pis.ir_cron_dunning_daily").method_direct_trigger()

    def test_daily_cron_runs_and_sends(self):
        self.env["res.company"].search([("id", "!=", self.company.id)]).dunning_auto_run = False
        self.invoice(self.business, 100.0, self.days(-5))
        self._trigger_daily_cron()
        run = self.env["dunning.run"].search([("company_id", "=", self.company.id), ("trigger", "=", "cron")])
        self.assertEqual(run.state, "done")
        self.assertEqual(run.communication_ids.state, "sending")
        self.deliver_emails()
        self.assertEqual(run.communication_ids.state, "sent")
        self._trigger_daily_cron()
        self.assertEqual(self.env["dunning.communication"].search_count([("partner_id", "=", self.business.id)]), 1)

    def test_next_reminder_date_on_the_invoice(self):
        invoice = self.invoice(self.business, 100.0, self.days(10))
        self.assertEqual(invoice.dunning_next_date, self.days(3), "seven days before the due date")
        invoice.dunning_promise_date = self.days(5)
        self.assertEqual(invoice.dunning_next_date, self.days(6), "the day after the promised date")
        late = self.invoice(self.business, 100.0, self.days(-20))
        self.assertEqual(late.dunning_next_date, TODAY, "a reminder that is already due goes today")
