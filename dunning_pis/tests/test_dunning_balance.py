from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningBalance(DunningCommon):
    """A reminder claims the customer's balance: credits and money on its way reduce it, each maturity is late
    on its own date, and what Odoo's follow-up leaves out stays out.

    Figures on 30 June 2026, business rate 2.15 % (ECB, in force on 1 January 2026) + 10 points = 12.15 %
    (Code de commerce L441-10); credits are put against the oldest debt due (Code civil 1342-10).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.skipping, cls.skip_level = cls.skipping_policy(cls)
        cls.business.with_company(cls.company).dunning_policy_id = cls.skipping

    def test_a_credit_note_that_covers_the_invoice_stops_the_formal_notice(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        self.credit_note(self.business, 1000.0, self.days(-20))
        self.assertFalse(self.run_dunning().communication_ids, "nothing is owed: no notice, no 40 €, no interest")

    def test_control_a_smaller_credit_note_is_listed_and_reduces_the_claim(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        refund = self.credit_note(self.business, 400.0, self.days(-20))
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.level_id, self.skip_level[30])
        due = communication.line_ids.filtered(lambda line: line.line_type == "due")
        credit = communication.line_ids.filtered(lambda line: line.line_type == "credit")
        self.assertEqual((due.invoice_id, due.amount_residual), (invoice, 1000.0))
        self.assertEqual((credit.invoice_id, credit.amount_residual), (refund, -400.0))
        self.assertEqual(communication.amount_due, 600.0, "what the accountant reads on the receivable account")
        self.assertEqual(due.indemnity_amount, 40.0, "600 are still late")
        # 1000 x 11 days (31 May to 10 June) + 600 x 20 days (11 to 30 June), at 12.15 % / 365 = 7.656 -> 7.66
        self.assertEqual(due.interest_amount, 7.66)
        self.assertEqual(communication.charges_total, 47.66)

    def test_a_payment_received_and_not_yet_matched_stops_the_reminder(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        self.unmatched_payment(self.business, 1000.0, self.days(-5))
        self.assertFalse(self.run_dunning().communication_ids)

    def test_control_a_partial_unmatched_payment_reduces_the_claim(self):
        self.invoice(self.business, 1000.0, self.days(-31))
        self.unmatched_payment(self.business, 250.0, self.days(-5))
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.amount_due, 750.0)
        self.assertEqual(communication.line_ids.filtered(lambda line: line.line_type == "credit").amount_residual,
                         -250.0)

    def test_credits_go_to_the_oldest_debt_and_what_they_cover_is_not_late(self):
        old = self.invoice(self.business, 300.0, self.days(-45))
        recent = self.invoice(self.business, 500.0, self.days(-31))
        self.credit_note(self.business, 300.0, self.days(-40))
        communication = self.run_dunning().communication_ids
        lines = communication.line_ids.filtered(lambda line: line.line_type == "due")
        covered = lines.filtered(lambda line: line.invoice_id == old)
        late = lines.filtered(lambda line: line.invoice_id == recent)
        self.assertEqual(communication.amount_due, 500.0)
        self.assertFalse(covered.escalation, "the old invoice is covered: it climbs no level")
        self.assertEqual((covered.indemnity_amount, covered.interest_amount), (0.0, 0.0))
        self.assertEqual(late.indemnity_amount, 40.0)

    def test_below_the_level_minimum_once_credits_are_taken_off(self):
        self.skip_level[30].min_overdue_amount = 500.0
        self.invoice(self.business, 1000.0, self.days(-31))
        self.credit_note(self.business, 600.0, self.days(-20))
        self.assertFalse(self.run_dunning().communication_ids, "400 claimed is below the 500 minimum")

    def payment_by_bank(self, invoice, status, days_ago=0):
        """A payment by bank of ``invoice`` that the payer's bank reports at ISO 20022 ``status``."""
        provider = self.env.ref("dunning_pis.payment_provider_pay_by_bank").sudo().copy({"company_id": self.company.id})
        transaction = self.env["payment.transaction"].sudo().create({
            "provider_id": provider.id, "payment_method_id": provider.payment_method_ids[:1].id,
            "reference": f"PBB-{status}-{days_ago}", "amount": invoice.amount_residual,
            "currency_id": invoice.currency_id.id, "partner_id": self.business.id,
            "invoice_ids": [Command.set(invoice.ids)],
        })
        with freeze_time(self.days(-days_ago)):
            transaction._set_pending()
        transaction.pay_by_bank_status = status
        return transaction

    def test_a_payment_approved_at_the_bank_stops_further_reminders_on_what_it_covers(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        self.payment_by_bank(invoice, "ACSP")
        self.assertFalse(self.run_dunning().communication_ids, "accepted, settlement in process: on its way")

    def test_control_a_payment_the_payer_never_approved_does_not(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        self.payment_by_bank(invoice, "RCVD")
        self.assertEqual(self.run_dunning().communication_ids.amount_due, 1000.0,
                         "received by the bank, not approved by the payer: not money on its way")

    def test_control_an_approval_a_week_old_and_still_unsettled_no_longer_counts(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        self.payment_by_bank(invoice, "ACSP", days_ago=8)
        self.assertEqual(self.run_dunning().communication_ids.amount_due, 1000.0)

    def test_a_payment_received_after_the_run_cancels_the_reminder_before_it_goes(self):
        self.skip_level[30].needs_validation = False
        self.invoice(self.business, 1000.0, self.days(-31))
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.state, "queued")
        with freeze_time(self.days(1)):
            self.unmatched_payment(self.business, 1000.0, self.days(1))
            self.send(communication)
        self.assertEqual(communication.state, "cancelled")
        self.assertFalse(self.smtp.messages)
        self.assertIn("no longer to remind", communication.message_ids[0].body)

    def test_a_credit_note_reduces_the_invoice_it_reverses(self):
        old = self.invoice(self.business, 300.0, self.days(-45))
        cancelled = self.invoice(self.business, 500.0, self.days(-31))
        refund = self._create_invoice(
            move_type="out_refund", partner_id=self.business, invoice_date=self.days(-20),
            reversed_entry_id=cancelled.id, invoice_payment_term_id=False, post=True,
            invoice_line_ids=[Command.create({"name": "Cancelled", "quantity": 1, "price_unit": 500.0, "tax_ids": []})],
        )
        self.assertEqual(refund.reversed_entry_id, cancelled)
        # Odoo matches a credit note with the invoice it reverses when posted; once unmatched, it is an open credit
        # that still belongs to that invoice.
        (cancelled | refund).line_ids.remove_move_reconcile()
        self.assertEqual((cancelled.amount_residual, refund.amount_residual), (500.0, 500.0), "matched with nothing")
        lines = {line.invoice_id: line for line in self.run_dunning().communication_ids.line_ids}
        self.assertEqual(lines[old].indemnity_amount, 40.0, "the old invoice is still owed")
        self.assertEqual(lines[cancelled].indemnity_amount, 0.0, "the credit note cancels the invoice it reverses")
        self.assertFalse(lines[cancelled].escalation)

    def test_each_maturity_of_a_split_term_is_late_on_its_own_date(self):
        term = self.env["account.payment.term"].create({
            "name": "30 % now, 70 % at 60 days",
            "line_ids": [Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
                         Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 60})],
        })
        invoice = self._create_invoice(
            partner_id=self.business, invoice_date=self.days(-31), invoice_payment_term_id=term,
            invoice_line_ids=[Command.create({"name": "Works", "quantity": 1, "price_unit": 1000.0, "tax_ids": []})],
            post=True,
        )
        self.assertEqual(sorted(invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
                                .mapped("date_maturity")), [self.days(-31), self.days(29)])
        line = self.run_dunning().communication_ids.line_ids
        self.assertEqual(len(line), 1, "the 70 % falls due on 29 July: not reminded yet")
        self.assertEqual((line.due_date, line.amount_residual, line.days_late), (self.days(-31), 300.0, 31))
        self.assertEqual(line.level_id, self.skip_level[30])
        # 300 x 12.15 % x 31 / 365 = 3.0958 -> 3.10, and the 40 € once for the invoice (D441-5)
        self.assertEqual((line.interest_amount, line.indemnity_amount), (3.10, 40.0))

    def test_two_late_maturities_of_one_invoice_owe_one_indemnity(self):
        term = self.env["account.payment.term"].create({
            "name": "Half now, half at 10 days",
            "line_ids": [Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                         Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 10})],
        })
        self._create_invoice(
            partner_id=self.business, invoice_date=self.days(-45), invoice_payment_term_id=term, post=True,
            invoice_line_ids=[Command.create({"name": "Works", "quantity": 1, "price_unit": 1000.0, "tax_ids": []})],
        )
        lines = self.run_dunning().communication_ids.line_ids.sorted("due_date")
        self.assertEqual(lines.mapped("due_date"), [self.days(-45), self.days(-35)])
        self.assertEqual(lines.mapped("indemnity_amount"), [40.0, 0.0], "D441-5: 40 € per invoice, not per maturity")
        self.assertEqual(lines[1].indemnity_claimed_date, TODAY)
        # 500 x 12.15 % x 45 / 365 = 7.490 -> 7.49 and 500 x 12.15 % x 35 / 365 = 5.825 -> 5.83
        self.assertEqual(lines.mapped("interest_amount"), [7.49, 5.83])

    def test_odoo_no_follow_up_flag_excludes_the_invoice(self):
        invoice = self.invoice(self.business, 1000.0, self.days(-31))
        invoice.no_followup = True
        self.assertFalse(self.run_dunning().communication_ids)
        invoice.no_followup = False
        self.assertTrue(self.run_dunning(self.days(0)).communication_ids, "control: included again")

    def test_every_overdue_invoice_is_listed_at_the_level_it_reached(self):
        self.business.with_company(self.company).dunning_policy_id = self.policy
        oldest = self.invoice(self.business, 100.0, self.days(-40))
        waiting = self.invoice(self.business, 200.0, self.days(-7))
        newest = self.invoice(self.business, 300.0, self.days(-1))
        self.invoice(self.business, 400.0, self.days(5))
        with freeze_time(self.days(-2)):
            self.send(self.run_dunning(self.days(-2)).communication_ids)
        communication = self.run_dunning().communication_ids
        lines = {line.invoice_id: line for line in communication.line_ids}
        self.assertEqual(set(lines), {oldest, waiting, newest}, "every overdue invoice, none not yet due")
        self.assertEqual((lines[oldest].level_id, lines[oldest].escalation), (self.level[8], True))
        self.assertEqual((lines[waiting].level_id, lines[waiting].escalation), (self.level[1], False),
                         "7 days late: still at the level it reached, listed")
        self.assertEqual((lines[newest].level_id, lines[newest].escalation), (self.level[1], True))
        self.assertEqual(communication.level_id, self.level[8])
        self.assertEqual(communication.amount_due, 600.0)

    def test_the_message_on_each_invoice_names_its_own_level(self):
        self.business.with_company(self.company).dunning_policy_id = self.policy
        old = self.invoice(self.business, 100.0, self.days(-12))
        with freeze_time(self.days(-11)):
            self.send(self.run_dunning(self.days(-11)).communication_ids)
        with freeze_time(self.days(-4)):
            self.send(self.run_dunning(self.days(-4)).communication_ids)
        new = self.invoice(self.business, 200.0, self.days(-1))
        communication = self.run_dunning().communication_ids
        self.send(communication)
        self.assertEqual(communication.level_id, self.level[1], "the step it takes: the new invoice's first reminder")
        self.assertIn("Reminder “Second reminder” sent", old.message_ids[0].body)
        self.assertIn("Reminder “1 day overdue” sent", new.message_ids[0].body)
        self.assertEqual(new.dunning_level_id, self.level[1], "the Dunning tab shows the same level")

    def test_an_invoice_listed_at_no_level_is_told_so(self):
        self.business.with_company(self.company).dunning_policy_id = self.policy
        covered = self.invoice(self.business, 100.0, self.days(-3))
        self.credit_note(self.business, 100.0, self.days(-2))
        late = self.invoice(self.business, 200.0, self.days(-1))
        communication = self.run_dunning().communication_ids
        self.send(communication)
        self.assertIn("Listed, at no level of its own", covered.message_ids[0].body)
        self.assertIn("Reminder “1 day overdue” sent", late.message_ids[0].body)
        self.assertFalse(covered.dunning_level_id)

    def test_a_new_customer_form_opens(self):
        with Form(self.env["res.partner"]) as partner:
            partner.name = "New customer"
            self.assertEqual(partner.dunning_overdue_amount, 0.0)

    def test_a_level_that_goes_back_says_why(self):
        self.business.with_company(self.company).dunning_policy_id = self.policy
        first = self.invoice(self.business, 100.0, self.days(-12))
        with freeze_time(self.days(-11)):
            self.send(self.run_dunning(self.days(-11)).communication_ids)
        with freeze_time(self.days(-4)):
            self.send(self.run_dunning(self.days(-4)).communication_ids)
        self.assertEqual(self.business.dunning_level_id, self.level[8])
        self.assertFalse(self.business.dunning_level_note, "control: the level did not go back")
        self.pay(first, 100.0)
        self.invoice(self.business, 200.0, self.days(-1))
        self.business.invalidate_recordset(["dunning_level_id", "dunning_level_note"])
        reason = f"Back from “Second reminder” (reminder of 06/26/2026): {first.name} paid, credited or on hold since."
        self.assertFalse(self.business.dunning_level_id, "the only open invoice was never reminded")
        self.assertEqual(self.business.dunning_level_note, reason, "the customer's form says why")
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.level_id, self.level[1])
        self.assertIn(reason, communication.message_ids.mapped("body")[0], "and the reminder at the lower level")
