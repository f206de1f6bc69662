import re
from datetime import timedelta
from pathlib import Path

import sepaxml
from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import portal_today
from .pay_by_bank_common import PDF_REQUEST_TIMEOUT, PayByBankCommon

NS = {"d": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
IBAN = "FR76 3000 4000 0312 3456 7890 143"


@tagged("post_install", "-at_install")
class TestInstallmentPlan(PayByBankCommon):
    """The life of an échéancier: offered, accepted and signed on the portal, first installment paid by
    bank, the next ones collected by SEPA direct debit, and what happens when a debit bounces."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.dunning_sepa_creditor_identifier = "FR72ZZZ123456"
        cls.customer.write({"street": "12 rue de la République", "zip": "69002", "city": "Lyon",
                            "country_id": cls.env.ref("base.fr").id})
        # The company's people work in Paris: the backend's day is then the customer's pages' at any hour.
        cls.env.user.tz = "Europe/Paris"
        cls.today = fields.Date.context_today(cls.env.user)
        # The first date a direct debit can be collected when the schedule is accepted today: the SEPA
        # rulebook's 14 days of pre-notification.
        cls.soon = cls.today + timedelta(days=14)
        cls.company.partner_id.write({"street": "1 place Bellecour", "zip": "69002", "city": "Lyon"})
        cls.company_data["default_journal_bank"].bank_account_id = cls.company.partner_id.bank_ids[:1]

    def offer_plan(self, invoices, **wizard_values):
        wizard = self.env["dunning.installment.plan.wizard"].with_context(
            active_model="account.move", active_ids=invoices.ids,
        ).create({"count": 3, "interval": 30, "interval_unit": "days", **wizard_values})
        return self.env["dunning.installment.plan"].browse(wizard.action_create_plan()["res_id"])

    def portal_page(self, plan, **post):
        url = plan.get_portal_url()
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        if not post:
            return page
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(url, data={"csrf_token": csrf, **post}, timeout=PDF_REQUEST_TIMEOUT)

    def accept(self, plan, iban=IBAN):
        page = self.portal_page(plan, signer="Marie Boulanger", iban=iban, bic="", consent="1")
        plan.invalidate_recordset()
        return page

    def debit_batch(self, collection_date):
        batch = self.env["dunning.direct.debit.batch"].create({
            "collection_date": collection_date, "journal_id": self.company_data["default_journal_bank"].id,
        })
        batch.action_gather()
        return batch

    def test_plan_from_proposal_to_completion(self):
        invoice = self.invoice(900.0, due=self.today - timedelta(days=40))
        plan = self.offer_plan(invoice)
        self.assertEqual(plan.installment_ids.mapped("amount"), [300.0, 300.0, 300.0])
        self.assertEqual(plan.installment_ids.mapped("due_date"),
                         [self.today, self.today + timedelta(days=30), self.today + timedelta(days=60)])
        self.assertEqual(plan.installment_ids.mapped("method"),
                         ["pay_by_bank", "sepa_direct_debit", "sepa_direct_debit"])

        plan.action_propose()
        self.assertEqual(plan.state, "proposed")
        proposal = plan.message_ids.filtered(lambda message: self.customer in message.partner_ids)
        self.assertIn(plan.get_portal_url(), str(proposal.body))

        refused = self.accept(plan, iban="FR76 3000 4000 0312 3456 7890 144")
        self.assertIn("is not a valid IBAN", refused.text)
        self.assertEqual((plan.state, plan.mandate_id.id), ("proposed", False), "nothing accepted, nothing signed")

        signed_on = portal_today(self, invoice)
        accepted = self.accept(plan)
        self.assertIn("installment_plan_accepted", accepted.text)
        self.assertEqual((plan.state, plan.accepted_by), ("active", "Marie Boulanger"))
        mandate = plan.mandate_id
        self.assertEqual((mandate.state, mandate.iban, mandate.signature_date, mandate.sequence_type),
                         ("active", "FR7630004000031234567890143", signed_on, "FRST"))
        self.assertFalse(invoice._dunning_is_open(self.today), "dunning leaves a planned invoice alone")
        self.assertEqual(invoice._pay_by_bank_amount(), 300.0, "pay by bank asks for the installment")

        # The first installment, by bank, from the plan page.
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', accepted.text).group(1)
        answer = self.url_open(f"/my/installment_plans/{plan.id}/pay_by_bank",
                               data={"csrf_token": csrf, "access_token": plan.access_token}, allow_redirects=False)
        self.assertEqual(answer.status_code, 303)
        self.approve(answer.headers["Location"])
        self.env.invalidate_all()
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 600.0))
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid", "open", "open"])

        # The second, by SEPA direct debit: the first under the mandate.
        first = self.debit_batch(self.today + timedelta(days=30))
        self.assertEqual(first.installment_ids, plan.installment_ids[1])
        first.action_generate_file()
        document = self.assertValidPain008(first)
        self.assertEqual(document.xpath("//d:PmtTpInf/d:SeqTp/text()", namespaces=NS), ["FRST"])
        self.assertEqual(document.xpath("//d:MndtRltdInf/d:MndtId/text()", namespaces=NS), [mandate.name])
        self.assertEqual(document.xpath("//d:MndtRltdInf/d:DtOfSgntr/text()", namespaces=NS),
                         [str(self.today)])
        self.assertEqual(document.xpath("//d:CdtrSchmeId/d:Id/d:PrvtId/d:Othr/d:Id/text()", namespaces=NS),
                         ["FR72ZZZ123456"])
        self.assertEqual(document.xpath("//d:DrctDbtTxInf/d:InstdAmt/text()", namespaces=NS), ["300.00"])
        first.action_collected()
        self.assertEqual(invoice.amount_residual, 300.0)
        self.assertEqual(mandate.sequence_type, "RCUR")

        # The last one recurs, and settles everything.
        last = self.debit_batch(self.today + timedelta(days=60))
        last.action_generate_file()
        self.assertEqual(self.assertValidPain008(last).xpath("//d:SeqTp/text()", namespaces=NS), ["RCUR"])
        last.action_collected()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(plan.state, "completed")

    def test_paying_the_rest_by_bank_completes_the_plan_at_once(self):
        invoice = self.invoice(500.0, due=self.today - timedelta(days=20))
        plan = self.offer_plan(invoice, count=1)
        self.assertEqual(plan.installment_ids.mapped("method"), ["pay_by_bank"])
        plan.action_propose()
        accepted = self.portal_page(plan, signer="Marie Boulanger", consent="1")
        self.assertNotIn('name="iban"', accepted.text, "no mandate without direct debits")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', accepted.text).group(1)
        answer = self.url_open(f"/my/installment_plans/{plan.id}/pay_by_bank",
                               data={"csrf_token": csrf, "access_token": plan.access_token}, allow_redirects=False)
        self.approve(answer.headers["Location"])
        self.env.invalidate_all()
        self.assertEqual((plan.state, plan.mandate_id.id), ("completed", False))

    def test_rejected_debits_reopen_the_installment_then_break_the_plan(self):
        invoice = self.invoice(600.0, due=self.today - timedelta(days=40))
        plan = self.offer_plan(invoice, count=2, first_method="sepa_direct_debit", first_date=self.soon)
        plan.action_propose()
        self.accept(plan)
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        batch.action_collected()
        self.assertEqual(invoice.amount_residual, 300.0)
        debit = plan.installment_ids[0]
        self.assertEqual(debit.display_name, f"{plan.name}, installment 1 of {self.soon.strftime('%m/%d/%Y')}")
        self.env["dunning.direct.debit.reject"].create({"installment_id": debit.id, "reason": "AM04",
                                                        "date": self.soon + timedelta(days=3)}).action_reject()
        self.assertEqual(invoice.amount_residual, 600.0, "the returned debit is no longer a payment")
        self.assertEqual((debit.state, debit.debit_state), ("open", "rejected"))
        self.assertIn("AM04", debit.rejection_reason)
        self.assertEqual(plan.state, "active", "one rejection is not yet a broken plan")

        # Presented again on another date: that needs a new notice, 14 days ahead.
        plan._refresh_prenotifications()
        again = self.debit_batch(self.soon)
        self.assertEqual(again.installment_ids, debit, "the rejected installment is collected again")
        again.collection_date = debit.notice_date
        notice = again.action_generate_file()
        self.assertEqual(again.state, "exported", notice)
        self.assertEqual(self.assertValidPain008(again).xpath("//d:SeqTp/text()", namespaces=NS), ["FRST"],
                         "nothing was ever collected under the mandate")
        again.action_collected()
        self.env["dunning.direct.debit.reject"].create({"installment_id": debit.id, "reason": "AM04",
                                                        "date": again.collection_date}).action_reject()
        self.assertEqual(plan.state, "broken")
        self.assertTrue(invoice._dunning_is_open(self.today), "dunning takes the invoice back")
        self.assertTrue(plan.activity_ids, "the credit controller is asked to act")

    def planned_debits(self, amount, first_date):
        plan = self.offer_plan(self.invoice(amount, due=self.today - timedelta(days=40)), count=2,
                               first_method="sepa_direct_debit", first_date=first_date)
        plan.action_propose()
        return plan

    def test_a_later_plan_collects_under_the_customers_mandate(self):
        first = self.planned_debits(600.0, self.soon)
        self.accept(first)
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        batch.action_collected()
        mandate = first.mandate_id

        second = self.planned_debits(400.0, self.soon + timedelta(days=30))
        page = self.accept(second)
        self.assertEqual(second.mandate_id, mandate, "same customer, same account: no second mandate to sign")
        self.assertIn(mandate.name, page.text)
        self.assertTrue(second.message_ids.filtered(lambda m: f"the mandate {mandate.name} signed on" in str(m.body)))
        self.assertEqual(mandate.plan_ids, first | second)
        both = self.debit_batch(self.soon + timedelta(days=30))
        self.assertEqual(both.installment_ids, first.installment_ids[1] | second.installment_ids[0])
        both.action_generate_file()
        debits = self.assertValidPain008(both).xpath("//d:DrctDbtTxInf", namespaces=NS)
        self.assertEqual([debit.getparent().findtext("d:PmtTpInf/d:SeqTp", namespaces=NS) for debit in debits],
                         ["RCUR", "RCUR"],
                         "the mandate was collected already: the new plan's debits recur")

        other_account = self.planned_debits(300.0, self.soon)
        self.accept(other_account, iban="DE89 3704 0044 0532 0130 00")
        self.assertNotEqual(other_account.mandate_id, mandate)
        self.assertEqual((other_account.mandate_id.iban, other_account.mandate_id.sequence_type),
                         ("DE89370400440532013000", "FRST"))

    def test_a_lapsed_or_revoked_mandate_is_not_reused(self):
        first = self.planned_debits(600.0, self.today + timedelta(days=5))
        self.accept(first)
        lapsed = first.mandate_id
        lapsed.signature_date = self.today - relativedelta(months=36)
        second = self.planned_debits(400.0, self.today + timedelta(days=5))
        self.accept(second)
        self.assertNotEqual(second.mandate_id, lapsed, "36 months without a debit: the mandate lapsed")
        second.mandate_id.action_revoke()
        third = self.planned_debits(300.0, self.today + timedelta(days=5))
        self.accept(third)
        self.assertNotIn(third.mandate_id, lapsed | second.mandate_id)
        self.assertEqual(third.mandate_id.state, "active")

    def test_no_debit_under_a_lapsed_mandate(self):
        plan = self.planned_debits(600.0, self.soon)
        self.accept(plan)
        mandate = plan.mandate_id
        mandate.signature_date = self.soon - relativedelta(months=36)
        batch = self.debit_batch(self.soon)
        debit = plan.installment_ids[0]
        self.assertEqual(batch.installment_ids, debit)
        self.assertIn(f"Mandate {mandate.name} has lapsed", debit.debit_issue)
        notice = batch.action_generate_file()
        self.assertIn(f"mandate {mandate.name}, Boulangerie Test SARL, plan {plan.name}: Mandate {mandate.name} "
                      "has lapsed", notice["params"]["message"])
        self.assertEqual((batch.state, batch.file_id.id, debit.debit_state, debit.debit_batch_id.id),
                         ("draft", False, "none", False), "no file, the debit left the batch")
        self.assertTrue(plan.mandate_requested_on, "the customer is asked for a new mandate")
        mandate.signature_date = self.soon - relativedelta(months=35)
        plan.mandate_requested_on = False
        batch.action_gather()
        batch.action_generate_file()
        self.assertEqual(batch.state, "exported")

    def test_a_debit_settles_the_oldest_invoice_first(self):
        newer = self.invoice(400.0, due=self.today - timedelta(days=30))
        older = self.invoice(200.0, due=self.today - timedelta(days=60))
        plan = self.offer_plan(newer | older, count=2, first_method="sepa_direct_debit", first_date=self.soon)
        plan.action_propose()
        self.accept(plan)
        batch = self.debit_batch(self.soon)
        batch.action_generate_file()
        batch.action_collected()
        self.assertIn(older.payment_state, ("paid", "in_payment"))
        self.assertEqual(newer.amount_residual, 300.0)
        self.assertEqual(plan.installment_ids.mapped("state"), ["paid", "open"])

    def test_bad_input_is_refused_and_changes_nothing(self):
        invoice = self.invoice(100.0, due=self.today - timedelta(days=10))
        plan = self.offer_plan(invoice)
        self.assertEqual(plan.installment_ids.mapped("amount"), [33.33, 33.33, 33.34])
        plan.installment_ids[2].amount = 33.33
        with self.assertRaisesRegex(UserError, "add up to 99.99.€ but the plan is for 100.00.€"):
            plan.action_propose()
        self.assertEqual(plan.state, "draft")
        plan.installment_ids[2].amount = 33.34
        self.company.dunning_sepa_creditor_identifier = False
        with self.assertRaisesRegex(UserError, "no SEPA creditor identifier"):
            plan.action_propose()
        self.assertEqual(plan.state, "draft")
        with self.assertRaisesRegex(ValidationError, "not a valid SEPA creditor identifier"):
            self.company.dunning_sepa_creditor_identifier = "FR00ZZZ123456"
        with self.assertRaisesRegex(ValidationError, "not a valid IBAN"):
            self.env["dunning.sepa.mandate"].create({"partner_id": self.customer.id, "debtor_name": "X",
                                                     "iban": "FR76 1234"})
        with self.assertRaisesRegex(ValidationError, "without its date of signature"):
            self.env["dunning.sepa.mandate"].create({"partner_id": self.customer.id, "debtor_name": "X",
                                                     "iban": IBAN, "state": "active"})
        usd = self.setup_other_currency("USD")
        dollars = self.offer_plan(self.invoice(90.0, currency=usd, due=self.today - timedelta(days=5)))
        self.company.dunning_sepa_creditor_identifier = "FR72ZZZ123456"
        with self.assertRaisesRegex(UserError, "euros only"):
            dollars.action_propose()
        with self.assertRaisesRegex(UserError, "already belong to plan"):
            self.offer_plan(invoice)
        plan.action_cancel()
        replacement = self.offer_plan(invoice)
        replacement.action_propose()
        plan.action_draft()
        with self.assertRaisesRegex(UserError, "already belong to plan"):
            plan.action_propose()
        self.assertEqual(plan.state, "draft")
        with self.assertRaisesRegex(UserError, "too small for so many"):
            self.offer_plan(self.invoice(0.02, due=self.today), count=3)

    def test_unstructured_address_stops_the_file_before_the_bank_refuses_it(self):
        invoice = self.invoice(200.0, due=self.today - timedelta(days=40))
        plan = self.offer_plan(invoice, count=2, first_method="sepa_direct_debit", first_date=self.soon)
        plan.action_propose()
        self.accept(plan)
        self.customer.write({"city": False})
        batch = self.debit_batch(self.soon)
        with self.assertRaisesRegex(UserError, "unstructured addresses since 15 November 2026.*Boulangerie"):
            batch.action_generate_file()
        self.assertEqual((batch.state, batch.file_id.id), ("draft", False))

    def test_portal_users_see_only_their_own_plans(self):
        invoice = self.invoice(300.0, due=self.today - timedelta(days=40))
        plan = self.offer_plan(invoice)
        plan.action_propose()
        other = self.env["res.partner"].create({"name": "Autre client", "email": "autre@example.com"})
        for login, partner in (("plan_owner", self.customer), ("plan_other", other)):
            self.env["res.users"].create({
                "name": partner.name, "login": login, "password": f"{login}_pw", "partner_id": partner.id,
                "group_ids": [(6, 0, [self.env.ref("base.group_portal").id])],
            })
        self.authenticate("plan_other", "plan_other_pw")
        self.assertNotIn(plan.name, self.url_open("/my/installment_plans").text)
        self.assertNotIn("installment_plan_accept", self.url_open(f"/my/installment_plans/{plan.id}").text)
        self.assertEqual(self.make_jsonrpc_request("/my/counters", {"counters": ["installment_plan_count"]}),
                         {"installment_plan_count": 0})
        self.authenticate("plan_owner", "plan_owner_pw")
        self.assertEqual(self.make_jsonrpc_request("/my/counters", {"counters": ["installment_plan_count"]}),
                         {"installment_plan_count": 1})
        self.assertIn(plan.name, self.url_open("/my/installment_plans").text)
        self.assertIn("installment_plan_accept", self.url_open(f"/my/installment_plans/{plan.id}").text)

    def assertValidPain008(self, batch):
        """The batch's file, checked against the official schema (as shipped by sepaxml)."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        xsd = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd"
        schema = etree.XMLSchema(etree.parse(xsd, parser))  # noqa: S320 -- no entities, no network
        document = etree.fromstring(batch.file_id.raw, parser)  # noqa: S320
        self.assertTrue(schema.validate(document), schema.error_log)
        self.assertEqual(document.nsmap[None], NS["d"])
        return document


@tagged("post_install", "-at_install")
class TestInstallmentPlanTour(TestInstallmentPlan):
    """In Chromium: the customer accepts the plan and signs the mandate on the portal page of the email."""

    allow_inherited_tests_method = False

    def test_customer_accepts_the_plan_and_signs_the_mandate(self):
        invoice = self.invoice(900.0, due=self.today - timedelta(days=40))
        plan = self.offer_plan(invoice)
        plan.action_propose()
        self.start_tour(plan.get_portal_url(), "dunning_pis_installment_plan_portal")
        plan.invalidate_recordset()
        self.assertEqual((plan.state, plan.accepted_by), ("active", "Marie Boulanger"))
        self.assertEqual((plan.mandate_id.iban, plan.mandate_id.signed_on_portal),
                         ("FR7630004000031234567890143", True))
