from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningCustomers(DunningCommon):
    """Who is a consumer, who is in collective proceedings, and what each company decides for itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.skipping, cls.skip_level = cls.skipping_policy(cls)
        (cls.business | cls.consumer).with_company(cls.company).dunning_policy_id = cls.skipping

    def test_a_consumer_is_an_individual_unless_the_company_says_otherwise(self):
        self.assertEqual(self.consumer.with_company(self.company)._dunning_regime().value, "consumer")
        self.assertEqual(self.business._dunning_regime().value, "business")
        sole_trader = self.env["res.partner"].create({"name": "Paul Artisan", "vat": "FR23334175221"})
        self.assertEqual(sole_trader._dunning_regime().value, "business", "a VAT number: a business")
        registered = self.env["res.partner"].create({"name": "Luc Plombier", "company_registry": "83284872600014"})
        self.assertEqual(registered._dunning_regime().value, "business", "a registry number: a business")
        self.consumer.with_company(self.company).dunning_debtor_type = "business"
        self.assertEqual(self.consumer.with_company(self.company)._dunning_regime().value, "business")
        other = self.setup_other_company(name="Autre Société")["company"]
        self.assertEqual(self.consumer.with_company(other)._dunning_regime().value, "consumer",
                         "the override is the company's own")

    def test_no_reminder_and_no_interest_from_the_opening_judgment(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        self.business.write({"dunning_proceedings": "receivership", "dunning_proceedings_date": date(2026, 6, 10),
                             "dunning_bodacc_date": date(2026, 6, 20)})
        self.assertFalse(self.run_dunning().communication_ids, "L622-21: no reminder after the opening judgment")
        row = next(row for row in self.business._dunning_statement() if row["invoice"] == invoice)
        # L622-28: interest stops at the opening judgment: 31 May to 9 June, 10 days:
        # 1000 x 12.15 % x 10 / 365 = 3.329 -> 3.33
        self.assertEqual(row["interest_total"], 3.33)
        activity = self.business.activity_ids.filtered(lambda activity: activity.user_id == self.controller)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline, date(2026, 8, 20), "two months after the BODACC publication")
        self.assertIn("L622-24", str(activity.note))

    def test_control_proceedings_opened_later_do_not_stop_today(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        self.business.write({"dunning_proceedings": "safeguard", "dunning_proceedings_date": date(2026, 7, 10)})
        line = self.run_dunning().communication_ids.line_ids
        self.assertEqual(line.interest_amount, 10.32, "1000 x 12.15 % x 31 / 365: no judgment yet")

    def test_proceedings_need_their_opening_date(self):
        with self.assertRefused(ValidationError, "date of the opening judgment"):
            self.business.write({"dunning_proceedings": "liquidation"})

    def test_each_company_decides_for_itself(self):
        other = self.setup_other_company(name="Autre Société")
        company_b = other["company"]
        company_b.dunning_default_policy_id = self.skipping
        self.business.with_company(self.company).write({"dunning_blocked": True, "dunning_block_reason": "Key account",
                                                        "dunning_tone": "courteous"})
        self.business.with_company(company_b).dunning_tone = "firm"
        self.invoice(self.business, 1000.0, self.days(-31))
        self.env["account.move"].with_company(company_b).create({
            "move_type": "out_invoice", "partner_id": self.business.id, "invoice_date": self.days(-61),
            "invoice_date_due": self.days(-31), "invoice_payment_term_id": False, "company_id": company_b.id,
            "invoice_line_ids": [Command.create({"name": "Services", "quantity": 1, "price_unit": 500.0,
                                                 "tax_ids": []})],
        }).action_post()
        self.assertFalse(self.run_dunning().communication_ids, "company A does not dun this customer")
        run_b = self.env["dunning.run"].with_company(company_b).create({"date": TODAY, "company_id": company_b.id})
        run_b.action_run()
        self.assertEqual(run_b.communication_ids.amount_due, 500.0, "company B does")
        self.assertEqual(run_b.communication_ids.tone, "firm", "with its own tone")
        self.assertFalse(self.business.with_company(company_b).dunning_blocked)

    def test_a_run_reports_a_customer_it_cannot_remind_and_reminds_the_others(self):
        consumer = self.consumer.with_company(self.company)
        self.invoice(self.consumer, 1000.0, date(2026, 5, 1))
        self.invoice(self.business, 1000.0, date(2026, 5, 1))
        with freeze_time(date(2026, 5, 31)):
            self.send(self.run_dunning(date(2026, 5, 31)).communication_ids)
        # The legal interest rate of the second half-year 2026 is not in the table: the consumer's interest
        # from the notice cannot be computed on 15 July.
        self.env["dunning.interest.rate"].search([("rate_type", "=", "legal"),
                                                  ("date_start", ">=", "2026-07-01")]).unlink()
        with freeze_time(date(2026, 7, 15)):
            run = self.run_dunning(date(2026, 7, 15))
        self.assertEqual(run.communication_ids.partner_id, self.business, "the others are reminded")
        self.assertIn("No legal interest rate is known for the half-year starting on 07/01/2026", run.problem_note)
        self.assertIn(consumer.name, run.problem_note)
        self.assertIn("left out of this run", run.message_ids[0].body)

    def test_a_reminder_waiting_when_the_proceedings_open_is_not_sent(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        communication = self.run_dunning().communication_ids
        self.business.write({"dunning_proceedings": "receivership", "dunning_proceedings_date": TODAY})
        self.send(communication)
        self.assertEqual(communication.state, "cancelled")
        self.assertFalse([message for message in self.smtp.messages if self.business.email in message["to"]],
                         "L622-21: nothing goes out to the customer")
        self.assertIn("collective proceedings since 06/30/2026", communication.message_ids[0].body)

    def test_one_declaration_task_updated_as_the_dates_come(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        self.business.write({"dunning_proceedings": "safeguard", "dunning_proceedings_date": date(2026, 6, 10)})
        self.business.write({"dunning_bodacc_date": date(2026, 6, 20)})
        tasks = self.business.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref("dunning_pis.mail_activity_claim_declaration"))
        self.assertEqual(len(tasks), 1)
        self.assertEqual(tasks.date_deadline, date(2026, 8, 20))
        self.assertIn("before 08/20/2026", tasks.summary)

    def test_no_indemnity_on_what_falls_due_after_the_opening_judgment_and_no_charges_invoice(self):
        # L441-10 II: no indemnity when the proceedings forbid paying the claim at its due date
        self.company.write({
            "dunning_invoice_charges": True,
            "dunning_fee_account_id": self.company_data["default_account_revenue"].id,
            "dunning_interest_account_id": self.company_data["default_account_revenue"].id,
        })
        before = self.invoice(self.business, 1000.0, self.days(-31))
        after = self.invoice(self.business, 500.0, self.days(-5))
        communication = self.run_dunning().communication_ids
        self.send(communication)
        self.assertEqual(after.dunning_line_ids.indemnity_amount, 40.0, "claimed before the judgment was known")
        self.business.write({"dunning_proceedings": "liquidation", "dunning_proceedings_date": self.days(-10)})
        rows = {row["invoice"]: row for row in self.business._dunning_statement()}
        self.assertEqual(rows[after]["indemnity_total"], 0.0, "falls due after the judgment: no longer owed")
        self.assertEqual(rows[before]["indemnity_total"], 40.0, "control: due before the judgment, declared")
        with self.assertRefused(UserError, "declared to the creditors' representative"):
            communication.action_invoice_charges()

    def test_a_consumer_is_never_sent_the_business_wording(self):
        custom = self.skipping.copy({"name": "Without consumer templates"})
        custom.level_ids.template_consumer_id = False
        self.consumer.with_company(self.company).dunning_policy_id = custom
        self.invoice(self.consumer, 1000.0, self.days(-31))
        run = self.run_dunning()
        self.assertFalse(run.communication_ids)
        self.assertIn("has no template for consumers", run.problem_note)
