import base64
import io
import re
import string
from datetime import timedelta
from pathlib import Path

import pypdf

from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_installment_plan import NS, TestInstallmentPlan

DATA = Path(__file__).resolve().parent / "data"


@tagged("post_install", "-at_install")
class TestInstallmentPlanDebits(TestInstallmentPlan):
    """Direct debits that never take what is not owed: the amount due when the file is made, a valid mandate,
    a pre-notification (EPC016-06 SDD Core rulebook, section 4.6.4, PT-04.02), money on its way that is not
    a default, and returns booked as reversals, imported from the bank's pain.002 and camt.054 files."""

    allow_inherited_tests_method = False

    def active_plan(self, amount, first_date=None, iban="FR76 3000 4000 0312 3456 7890 143"):
        plan = self.planned_debits(amount, first_date or self.soon)
        self.accept(plan, iban=iban)
        return plan

    def told(self, plan, text):
        """Whether the customer was emailed ``text`` about ``plan``."""
        messages = plan.message_ids.filtered(lambda message: self.customer in message.partner_ids)
        return any(text in str(message.body) for message in messages)

    def pay_by_transfer(self, invoices, amount):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids,
        ).create({"amount": amount, "payment_date": self.today, "group_payment": True})._create_payments()

    def file_of(self, batch):
        document = self.assertValidPain008(batch)
        return {node.findtext("d:PmtId/d:EndToEndId", namespaces=NS): node
                for node in document.xpath("//d:DrctDbtTxInf", namespaces=NS)}, document

    # 1. What is due, when the file is made ------------------------------------------------------------

    def test_a_partly_paid_installment_is_debited_for_what_is_left_and_a_paid_one_leaves(self):
        partly, paid, untouched = (self.active_plan(600.0) for _n in range(3))
        batch = self.debit_batch(self.soon)
        debits = [plan.installment_ids[0] for plan in (partly, paid, untouched)]
        self.assertEqual(batch.installment_ids.mapped("gathered_amount"), [300.0, 300.0, 300.0])
        self.pay_by_transfer(partly.invoice_ids, 120.0)
        self.pay_by_transfer(paid.invoice_ids, 300.0)
        self.assertEqual([debit.amount_due for debit in debits], [180.0, 0.0, 300.0],
                         "the batch shows what is due now beside what was gathered")
        batch.action_generate_file()
        self.assertEqual(batch.installment_ids, debits[0] | debits[2], "the paid installment left the batch")
        transactions, document = self.file_of(batch)
        self.assertEqual({ref: node.findtext("d:InstdAmt", namespaces=NS) for ref, node in transactions.items()},
                         {debits[0].end_to_end_id: "180.00", debits[2].end_to_end_id: "300.00"})
        self.assertEqual(document.findtext("d:CstmrDrctDbtInitn/d:GrpHdr/d:NbOfTxs", namespaces=NS), "2")
        self.assertEqual(document.findtext("d:CstmrDrctDbtInitn/d:GrpHdr/d:CtrlSum", namespaces=NS), "480.00")
        self.assertEqual((batch.amount, batch.count, debits[0].debit_amount), (480.0, 2, 180.0))
        changes = "\n".join(batch.message_ids.mapped("body"))
        self.assertIn("300.00", changes)
        self.assertIn("180.00", changes)
        self.assertIn("Paid in full since it was gathered", changes)
        self.assertTrue(self.told(partly, "180.00"), "the customer is told the new amount before it is debited")
        batch.action_collected()
        payments = batch.installment_ids.debit_payment_id
        self.assertEqual(sorted(payments.mapped("amount")), [180.0, 300.0], "file, batch and payments agree")
        self.assertEqual(partly.invoice_ids.amount_residual, 300.0)
        self.assertEqual(untouched.invoice_ids.amount_residual, 300.0)

    def test_the_remittance_names_the_invoices_paid(self):
        older = self.invoice(200.0, due=self.today - timedelta(days=60))
        newer = self.invoice(400.0, due=self.today - timedelta(days=30))
        plan = self.offer_plan(older | newer, count=2, first_method="sepa_direct_debit", first_date=self.soon)
        plan.action_propose()
        self.accept(plan)
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        (transaction,) = self.file_of(batch)[0].values()
        self.assertEqual(transaction.findtext("d:RmtInf/d:Ustrd", namespaces=NS),
                         f"Invoices {older.name}, {newer.name}".replace("/", "/"))

    # 2. Only under a valid mandate ---------------------------------------------------------------------

    def test_a_revoked_mandate_collects_nothing_and_the_customer_is_asked_for_a_new_one(self):
        plan = self.active_plan(600.0)
        old = plan.mandate_id
        old.action_revoke()
        self.assertTrue(plan.mandate_requested_on)
        self.assertTrue(self.told(plan, plan.get_portal_url()), "the email links to the portal page to sign again")
        self.assertIn(f"New SEPA mandate needed for {plan.name}", plan.activity_ids.mapped("summary"))
        batch = self.debit_batch(self.soon)
        self.assertIn(f"Mandate {old.name} was revoked", batch.installment_ids.debit_issue)
        notice = batch.action_generate_file()
        self.assertIn(f"mandate {old.name}, Boulangerie Test SARL, plan {plan.name}", notice["params"]["message"])
        self.assertEqual((batch.state, batch.file_id.id, batch.installment_ids.ids), ("draft", False, []))

        page = self.portal_page(plan)
        self.assertIn("installment_plan_new_mandate", page.text)
        self.portal_page(plan, new_mandate="1", signer="Marie Boulanger", iban="DE89 3704 0044 0532 0130 00",
                         place="Lyon", consent="1")
        plan.invalidate_recordset()
        self.assertNotEqual(plan.mandate_id, old)
        self.assertEqual((plan.mandate_id.iban, plan.mandate_requested_on), ("DE89370400440532013000", False))
        batch.action_gather()
        batch.action_generate_file()
        (transaction,) = self.file_of(batch)[0].values()
        self.assertEqual(transaction.findtext("d:DrctDbtTx/d:MndtRltdInf/d:MndtId", namespaces=NS),
                         plan.mandate_id.name)
        self.assertEqual(transaction.getparent().findtext("d:PmtTpInf/d:SeqTp", namespaces=NS), "FRST")

    # 3. Pre-notification (rulebook 4.6.4, PT-04.02) ----------------------------------------------------

    def test_no_debit_without_a_notice_14_calendar_days_before(self):
        late = self.active_plan(600.0, first_date=self.today + timedelta(days=13))
        batch = self.debit_batch(self.today + timedelta(days=13))
        self.assertEqual(batch.installment_ids, late.installment_ids[0])
        self.assertIn("less than 14 days before", batch.installment_ids.debit_issue)
        notice = batch.action_generate_file()
        self.assertEqual((batch.state, batch.file_id.id, batch.installment_ids.ids), ("draft", False, []))
        message = notice["params"]["message"]
        self.assertIn(f"plan {late.name}: The customer was told on", message)
        self.assertIn("less than 14 days before", message)
        debit = late.installment_ids[0]
        self.assertEqual((debit.notice_date, debit.notice_sent_on, debit.notice_amount),
                         (self.today + timedelta(days=14), self.today, 300.0),
                         "a new notice announces the first date it can")
        self.assertIn("A new notice was sent for", message)
        self.assertTrue(self.told(late, "have changed"), "and it is sent to the customer")
        # Control: collected on the day the new notice announced, the debit goes.
        in_time = self.debit_batch(self.today + timedelta(days=14))
        in_time.action_generate_file()
        self.assertEqual((in_time.state, in_time.installment_ids), ("exported", debit))

    def test_an_agreed_shorter_period_is_honoured(self):
        self.company.dunning_sepa_prenotification_days = 5
        plan = self.active_plan(600.0, first_date=self.today + timedelta(days=5))
        batch = self.debit_batch(self.today + timedelta(days=5))
        batch.action_generate_file()
        self.assertEqual((batch.state, batch.installment_ids), ("exported", plan.installment_ids[0]))

    def test_a_changed_amount_sends_a_new_schedule(self):
        plan = self.active_plan(600.0, first_date=self.soon + timedelta(days=10))
        self.assertFalse(self.told(plan, "have changed"))
        self.pay_by_transfer(plan.invoice_ids, 100.0)
        plan._cron_watch()
        first = plan.installment_ids[0]
        self.assertEqual((first.notice_amount, first.notice_date, first.notice_sent_on),
                         (200.0, self.soon + timedelta(days=10), self.today))
        self.assertTrue(self.told(plan, "200.00"))
        count = len(plan.message_ids)
        plan._cron_watch()
        self.assertEqual(len(plan.message_ids), count, "nothing changed: no new notice")

    # 4. Money on its way -------------------------------------------------------------------------------

    def test_a_debit_on_its_way_does_not_break_the_plan(self):
        on_its_way = self.active_plan(600.0)
        not_collected = self.active_plan(600.0)
        batch = self.debit_batch(self.soon)
        batch.installment_ids.filtered(lambda line: line.plan_id == not_collected).debit_batch_id = False
        batch.action_generate_file()
        debit = on_its_way.installment_ids[0]
        self.assertEqual((debit.debit_state, debit.state, debit.debit_amount), ("exported", "in_payment", 300.0))
        self.assertEqual(on_its_way._next_installment(), on_its_way.installment_ids[1],
                         "pay by bank does not ask for the debit on its way")
        grace_date = self.soon + timedelta(days=self.company.dunning_plan_break_days + 1)
        (on_its_way | not_collected)._watch(grace_date)
        self.assertEqual((on_its_way.state, not_collected.state), ("active", "broken"))
        batch.action_collected()
        self.assertEqual((debit.debit_state, debit.state), ("collected", "paid"))

    def test_a_debit_on_its_way_is_counted_by_dunning_once_the_plan_is_gone(self):
        plan = self.active_plan(600.0)
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        plan.action_cancel()
        run = self.env["dunning.run"].create({"company_id": self.company.id})
        run.action_run()
        communication = run.communication_ids
        on_its_way = communication.line_ids.filtered(lambda line: line.line_type == "transit")
        self.assertEqual(on_its_way.amount_residual, -300.0, "the debit in the file is money on its way")
        self.assertEqual(communication.amount_due, 300.0)

    def test_control_without_a_file_dunning_claims_it_all(self):
        plan = self.active_plan(600.0)
        plan.action_cancel()
        run = self.env["dunning.run"].create({"company_id": self.company.id})
        run.action_run()
        self.assertFalse(run.communication_ids.line_ids.filtered(lambda line: line.line_type == "transit"))
        self.assertEqual(run.communication_ids.amount_due, 600.0)

    # 5. Returns the accountant can live with -----------------------------------------------------------

    def collected(self, plan):
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        batch.action_collected()
        return batch, plan.installment_ids[0]

    def test_a_return_after_the_lock_date_is_a_reversal_on_the_return_date(self):
        plan = self.active_plan(600.0)
        _batch, debit = self.collected(plan)
        payment = debit.debit_payment_id
        self.company.fiscalyear_lock_date = self.soon
        returned_on = self.soon + timedelta(days=9)
        self.env["dunning.direct.debit.reject"].create({"installment_id": debit.id, "reason": "AM04",
                                                        "date": returned_on}).action_reject()
        (returned,) = debit.return_ids
        self.assertEqual((returned.reversal_move_id.date, returned.accounting_date, returned.payment_id),
                         (returned_on, returned_on, payment))
        self.assertEqual(returned.reversal_move_id.reversed_entry_id, payment.move_id)
        self.assertEqual(payment.move_id.state, "posted", "the original entry is kept")
        self.assertEqual(returned.reason, "AM04 Amount of funds available to cover specified message amount is "
                                          "insufficient.")
        self.assertEqual((plan.invoice_ids.amount_residual, debit.state, debit.debit_state),
                         (600.0, "open", "rejected"), "the installment is due again")

    def test_a_return_dated_in_a_locked_period_is_booked_on_the_first_open_day(self):
        plan = self.active_plan(600.0)
        _batch, debit = self.collected(plan)
        self.company.fiscalyear_lock_date = self.soon + timedelta(days=20)
        self.env["dunning.direct.debit.reject"].create({"installment_id": debit.id, "reason": "MD06",
                                                        "date": self.soon + timedelta(days=5)}).action_reject()
        self.assertEqual(debit.return_ids.reversal_move_id.date, self.soon + timedelta(days=21))
        self.assertEqual(debit.return_ids.date, self.soon + timedelta(days=5))

    def report(self, name, debits, **values):
        defaults = {
            "report_id": "20261202001", "created_at": f"{self.soon}T08:00:00", "message_id": "X", "count": "2",
            "collection_date": str(self.soon), "creditor_iban": "FR7630006000011234567890189",
            "reason_1": "AM04", "reason_2": "MD01", "sequence_1": "FRST", "booked_on": str(self.soon + timedelta(3)),
            "settled_on": str(self.soon), "returned_on": str(self.soon + timedelta(days=4)),
            "total": f"{sum(debit.debit_amount for debit in debits):.2f}",
        }
        for number in (1, 2):
            defaults.update({f"e2e_{number}": "NONE", f"amount_{number}": "1.00", f"mandate_{number}": "M",
                             f"debtor_{number}": "X", f"iban_{number}": "FR7630004000031234567890143"})
        for number, debit in enumerate(debits, start=1):
            defaults.update({f"e2e_{number}": debit.end_to_end_id, f"amount_{number}": f"{debit.debit_amount:.2f}",
                             f"mandate_{number}": debit.plan_id.mandate_id.name, f"debtor_{number}": "Marie Boulanger",
                             f"iban_{number}": debit.plan_id.mandate_id.iban})
        content = string.Template((DATA / name).read_text()).substitute({**defaults, **values}).encode()
        return self.env["dunning.direct.debit.report.import"].create({
            "report_file": base64.b64encode(content), "report_name": name,
        })

    def test_an_imported_pain002_rejects_debits_by_end_to_end_id(self):
        first, second = self.active_plan(600.0), self.active_plan(400.0, iban="DE89 3704 0044 0532 0130 00")
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        debits = first.installment_ids[0] | second.installment_ids[0]
        wizard = self.report("pain002_rejects.xml", debits, message_id=batch.name.replace("/", "-"))
        wizard.action_import()
        self.assertIn("2 debits returned", wizard.summary)
        self.assertEqual(debits.mapped("debit_state"), ["rejected", "rejected"])
        self.assertEqual(debits.return_ids.mapped("source"), ["pain.002", "pain.002"])
        self.assertFalse(debits.return_ids.reversal_move_id, "rejected before settlement: nothing to reverse")
        self.assertEqual(second.mandate_id.state, "failed", "MD01: no mandate")
        self.assertTrue(second.mandate_requested_on)
        self.assertEqual(first.mandate_id.state, "active", "AM04 says nothing of the mandate")
        again = self.report("pain002_rejects.xml", debits, message_id=batch.name.replace("/", "-"))
        again.action_import()
        self.assertIn("0 debits returned", again.summary)
        self.assertEqual(len(debits.return_ids), 2, "the same file twice books nothing twice")

    def test_an_imported_camt054_settles_and_returns_debits(self):
        first, second = self.active_plan(600.0), self.active_plan(400.0, iban="DE89 3704 0044 0532 0130 00")
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        debits = first.installment_ids[0] | second.installment_ids[0]
        self.report("camt054_settled_and_returned_v08.xml", debits, reason_2="AM04").action_import()
        self.assertEqual(first.installment_ids[0].debit_state, "collected")
        self.assertEqual(first.installment_ids[0].debit_payment_id.date, self.soon, "booked on the settlement date")
        self.assertEqual(second.installment_ids[0].debit_state, "rejected")
        self.assertEqual(batch.state, "collected")

    def test_an_imported_camt054_v02_reverses_collected_debits(self):
        first, second = self.active_plan(600.0), self.active_plan(400.0, iban="DE89 3704 0044 0532 0130 00")
        batch, _debit = self.collected(first)
        debits = first.installment_ids[0] | second.installment_ids[0]
        self.report("camt054_returns_v02.xml", debits).action_import()
        self.assertEqual(debits.mapped("debit_state"), ["rejected", "rejected"])
        self.assertEqual(debits.return_ids.reversal_move_id.mapped("date"), [self.soon + timedelta(3)] * 2)
        self.assertEqual(first.invoice_ids.amount_residual, 600.0)

    def test_a_bad_bank_file_is_refused_and_nothing_is_booked(self):
        plan = self.active_plan(600.0)
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        debit = plan.installment_ids[0]
        other = self.env["dunning.installment"].browse()
        with self.assertRaisesRegex(UserError, "does not match its ISO 20022 schema"):
            self.report("pain002_rejects.xml", debit | other, e2e_2="X", amount_2="1.00", mandate_2="M",
                        iban_2="X", reason_1="TOOLONGCODE").action_import()
        with self.assertRaisesRegex(UserError, "returns debit PRLV-UNKNOWN-1, which was never sent"):
            self.report("pain002_rejects.xml", debit, e2e_2="PRLV-UNKNOWN-1", amount_2="1.00", mandate_2="M",
                        iban_2="FR7630004000031234567890143").action_import()
        with self.assertRaisesRegex(UserError, f"gives 1.00.€ for debit {debit.end_to_end_id} of 300.00.€, mandate "
                                               f"{plan.mandate_id.name}, Boulangerie Test SARL, plan {plan.name}"):
            self.report("pain002_rejects.xml", debit, e2e_2=debit.end_to_end_id, amount_2="1.00").action_import()
        self.assertEqual((debit.debit_state, debit.return_ids.ids), ("exported", []))

    # 6. The mandate as the rulebook wants it ------------------------------------------------------------

    def test_the_signed_mandate_is_kept_as_a_pdf_with_what_the_rulebook_asks(self):
        plan = self.planned_debits(600.0, self.soon)
        page = self.portal_page(plan)
        for text in ("1 place Bellecour", "FR72ZZZ123456", "Recurrent payment", "within 8 weeks"):
            self.assertIn(text, page.text)
        self.portal_page(plan, signer="Marie Boulanger", iban="FR76 3000 4000 0312 3456 7890 143", place="Lyon",
                         consent="1")
        plan.invalidate_recordset()
        mandate = plan.mandate_id
        self.assertEqual((mandate.signature_place, mandate.document_id.mimetype), ("Lyon", "application/pdf"))
        self.assertEqual(len(pypdf.PdfReader(io.BytesIO(mandate.document_id.raw)).pages), 1)
        # wkhtmltopdf embeds the fonts without a text layer pypdf can read back: read the document the PDF
        # is printed from.
        html, _kind = self.env["ir.actions.report"]._render_qweb_html("dunning_pis.report_sepa_mandate", mandate.ids)
        text = " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())
        for expected in (mandate.name, self.company.name, "1 place Bellecour", "69002 Lyon", "FR72ZZZ123456",
                         "Recurrent payment", "A refund must be claimed within 8 weeks", "Marie Boulanger",
                         "FR76 3000 4000 0312 3456 7890 143", "at Lyon"):
            self.assertIn(expected, text)
