from datetime import timedelta
from unittest import SkipTest

from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo a person explores with ``make demo``: customers and a spread of open invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref("base.module_dunning_pis").demo:
            raise SkipTest("the database has no demo data")
        cls.customers = cls.env["res.partner"].browse([
            cls.env.ref(f"dunning_pis.demo_partner_{name}").id
            for name in ("boulangerie", "garage", "transports", "hotel", "cafe", "atelier",
                         "consumer", "nordic", "bauer")
        ])
        # The fifty generated invoices; the split-term invoice and the charges invoice are cases of their own, the
        # year of paid invoices behind them (from six months ago back) the cockpit's.
        cls.recent = ("invoice_date", ">=", fields.Date.context_today(cls.env.user) - timedelta(days=150))
        cls.invoices = cls.env["account.move"].search([
            ("partner_id", "in", cls.customers.ids), ("move_type", "=", "out_invoice"),
            ("dunning_charges_kind", "=", False), ("invoice_payment_term_id", "=", False), cls.recent,
        ])

    def test_fifty_posted_invoices_due_from_30_days_ahead_to_120_behind(self):
        self.assertEqual(len(self.invoices), 50)
        self.assertEqual(set(self.invoices.mapped("state")), {"posted"})
        offsets = [(due - fields.Date.context_today(self.invoices)).days
                   for due in self.invoices.mapped("invoice_date_due")]
        self.assertEqual((min(offsets), max(offsets)), (-120, 30))
        self.assertGreater(len([o for o in offsets if o < 0]), 30, "most demo invoices are overdue")

    def test_some_invoices_partly_paid(self):
        partial = self.invoices.filtered(lambda m: m.payment_state == "partial")
        self.assertGreaterEqual(len(partial), 5)
        for invoice in partial:
            self.assertTrue(0 < invoice.amount_residual < invoice.amount_total)

    def test_customers_of_different_profiles(self):
        self.assertIn(False, self.customers.mapped("is_company"), "a consumer is among them")
        self.assertGreater(len(self.customers.country_id), 1, "customers from several countries")
        self.assertTrue(all(self.customers.mapped("city")), "postal addresses are structured")

    def test_loading_again_creates_nothing(self):
        moves = [("partner_id", "in", self.customers.ids)]
        count = self.env["account.move"].search_count(moves)
        again = self.env["dunning.demo.data"].create_demo_invoices(self.customers.ids)
        self.assertFalse(again)
        self.env["dunning.demo.data"].create_demo_receivable_cases(
            *(self.env.ref(f"dunning_pis.demo_partner_{name}").id for name in ("garage", "bauer", "transports")))
        self.assertEqual(self.env["account.move"].search_count(moves), count)

    def test_the_receivable_cases(self):
        garage, bauer, transports, consumer = (self.env.ref(f"dunning_pis.demo_partner_{name}")
                                               for name in ("garage", "bauer", "transports", "consumer"))
        refund = self.env["account.move"].search([("partner_id", "=", garage.id), ("move_type", "=", "out_refund")])
        self.assertEqual(refund.payment_state, "not_paid", "an open credit note, matched with nothing")
        self.assertEqual(bauer.dunning_overdue_amount, 0.0, "a payment received and not matched covers it all")
        split = self.env["account.move"].search([("partner_id", "=", transports.id),
                                                 ("invoice_payment_term_id", "!=", False), self.recent])
        self.assertEqual(len(split.line_ids.filtered(lambda line: line.display_type == "payment_term")), 2)
        charges = self.env["account.move"].search([("dunning_charges_kind", "=", "charges")])
        self.assertEqual((charges.partner_id, charges.state), (transports, "posted"))
        self.assertEqual(consumer._dunning_regime().value, "consumer")

    def test_two_months_of_dunning_behind(self):
        levels = self.invoices.mapped("dunning_level_id.delay_days")
        self.assertGreaterEqual(len(set(levels)), 4, f"invoices stand at several levels: {set(levels)}")
        sent = self.env["dunning.communication"].search([("partner_id", "in", self.customers.ids),
                                                          ("state", "=", "sent")])
        self.assertGreaterEqual(len(set(sent.mapped("date"))), 5, "reminders from several past runs")
        self.assertTrue(self.invoices.filtered("dunning_disputed"))
        self.assertTrue(self.invoices.filtered("dunning_promise_date"))

    def test_no_demo_reminder_in_error(self):
        communications = self.env["dunning.communication"].search([("partner_id", "in", self.customers.ids)])
        self.assertTrue(communications)
        self.assertFalse(communications.filtered(lambda c: c.state == "error"), communications.mapped("error_message"))

    def test_one_plan_honoured_and_one_waiting_for_the_customer(self):
        plans = self.env["dunning.installment.plan"].search([("partner_id", "in", self.customers.ids)])
        self.assertEqual(sorted(plans.mapped("state")), ["active", "proposed"])
        active = plans.filtered(lambda plan: plan.state == "active")
        self.assertEqual(active.installment_ids.mapped("state")[0], "paid")
        self.assertEqual(active.mandate_id.state, "active")
        today = fields.Date.context_today(self.env.user)
        self.assertFalse(active.invoice_ids.filtered(lambda move: move._dunning_is_open(today)))

    def test_the_due_direct_debits_make_a_valid_file(self):
        batch = self.env["dunning.direct.debit.batch"].create({
            "collection_date": fields.Date.context_today(self.env.user) + timedelta(days=20),
        })
        batch.action_gather()
        # The honoured plan's next direct debit (its schedule started 10 days ago), on the date its accepted
        # schedule announced.
        self.assertEqual(len(batch.installment_ids), 1, "the next direct debit of the honoured plan")
        batch.action_generate_file()
        self.assertEqual(batch.state, "exported")
        self.assertTrue(batch.file_id.raw.startswith(b"<?xml"))

    def test_the_cockpit_has_a_year_behind_it(self):
        company = self.env.ref("base.main_company")
        board = self.env["dunning.dashboard"].with_context(allowed_company_ids=company.ids).search([])
        self.assertTrue(board.figures_date, "the payment figures were computed")
        self.assertTrue(all((board.good_count, board.normal_count, board.bad_count)),
                        f"payers of every profile: {board.good_count}, {board.normal_count}, {board.bad_count}")
        trend = self.env["dunning.dso.month"].search([("company_id", "=", company.id)])
        self.assertEqual(len(trend), 12)
        self.assertGreater(len(set(trend.mapped("dso_days"))), 6, "a DSO that moves over the year")
        self.assertGreater(board.collected_pay_by_bank, 0)
        self.assertGreater(board.collected_transfer, 0)
        self.assertLess(board.days_pay_by_bank, board.days_transfer, "reminded customers pay sooner by bank")
        self.assertGreater(board.forecast_amount, 0)
        self.assertEqual(self.env.ref("dunning_pis.demo_partner_pharmacie").with_company(company).trust, "good")
