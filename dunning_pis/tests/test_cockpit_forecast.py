from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .cockpit_common import CockpitCommon
from .common import TODAY


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCockpitForecast(CockpitCommon):
    """The cash-in forecast of the 13 weeks from Monday 29 June 2026 (30 June is a Tuesday), computed by hand.

    Habitude (H) paid its last invoice 12 days late (due 1 April, paid 13 April): its items are expected 12 days
    after their due date.
      H1 1,000 due 10 July: expected 22 July, week of 20 July. H2 500 due 25 June: 7 July, week of 6 July.
      H3 700 due 1 June: 13 June is past, H is later than its habit: overdue, counted this week, apart.
    Nouveau (N) has no history: N1 500 due 15 July, less its unmatched payment of 100: 400, week of 13 July.
    Promesse (P): P1 800 due 10 June, 500 promised for 8 July: 500 in the week of 6 July, the other 300 overdue.
    Litige (L): L1 600 disputed: not expected.
    Échéancier (E): E1 900 due 1 June under a plan of three 300: the first by transfer on 1 July (this week),
      the second by direct debit on 31 July, in a file already (week of 27 July), the third on 30 August
      (week of 24 August). E1 itself is not expected: its installments are.
    Virement (V): V1 1,000 due 20 June, paid by bank and approved at the payer's bank: tomorrow, 1 July.

    Weeks: 29 June: 300 installment + 1,000 by bank (and 1,000 overdue apart); 6 July: 500 + 500 promised;
    13 July: 400; 20 July: 1,000; 27 July: 300 debit; 24 August: 300. 4,300 expected on a date in all.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_direct_debits()
        names = {"H": "Habitude SARL", "N": "Nouveau SAS", "P": "Promesse SARL", "L": "Litige SARL",
                 "E": "Échéancier SARL", "V": "Virement SARL"}
        cls.c = {key: cls.customer(name) for key, name in names.items()}
        history = cls.invoice(cls.c["H"], 400.0, date(2026, 4, 1))
        cls.pay(cls, history, 400.0, date(2026, 4, 13))
        cls.h1 = cls.invoice(cls.c["H"], 1000.0, date(2026, 7, 10))
        cls.h2 = cls.invoice(cls.c["H"], 500.0, date(2026, 6, 25))
        cls.h3 = cls.invoice(cls.c["H"], 700.0, date(2026, 6, 1))
        cls.n1 = cls.invoice(cls.c["N"], 500.0, date(2026, 7, 15))
        cls.unmatched_payment(cls, cls.c["N"], 100.0, date(2026, 6, 20))
        cls.p1 = cls.invoice(cls.c["P"], 800.0, date(2026, 6, 10))
        cls.p1._dunning_record_promise(date(2026, 7, 8), 500.0)
        cls.l1 = cls.invoice(cls.c["L"], 600.0, date(2026, 6, 5))
        cls.l1._dunning_record_dispute("invoice_error")
        cls.e1 = cls.invoice(cls.c["E"], 900.0, date(2026, 6, 1))
        cls.plan = cls.active_plan(cls.e1, date(2026, 7, 1))
        cls.batch = cls.debit_file(date(2026, 7, 31))
        cls.v1 = cls.invoice(cls.c["V"], 1000.0, date(2026, 6, 20))
        cls.bank_transaction(cls.v1, 1000.0, "PBB-V1", status="ACSP")
        cls.env["dunning.payment.behaviour"]._refresh(cls.company, TODAY)

    def forecast(self):
        forecast = self.env["dunning.cash.forecast"].with_context(allowed_company_ids=self.company.ids)
        forecast.invalidate_model()
        return forecast

    def test_the_plan_is_as_told(self):
        self.assertEqual(self.plan.installment_ids.mapped("due_date"),
                         [date(2026, 7, 1), date(2026, 7, 31), date(2026, 8, 30)])
        self.assertEqual(self.plan.installment_ids.mapped("debit_state"), ["none", "exported", "none"])
        behaviour = self.env["dunning.payment.behaviour"].search([("partner_id", "=", self.c["H"].id)])
        self.assertEqual(behaviour.avg_days_late, 12.0)

    def test_expected_receipts_by_week_and_source(self):
        weeks = self.forecast()._read_group([], ["week:day", "source"], ["amount:sum"])
        self.assertEqual(sorted(weeks), sorted([
            (date(2026, 6, 29), "overdue", 1000.0), (date(2026, 6, 29), "installment", 300.0),
            (date(2026, 6, 29), "pay_by_bank", 1000.0),
            (date(2026, 7, 6), "due", 500.0), (date(2026, 7, 6), "promise", 500.0),
            (date(2026, 7, 13), "due", 400.0), (date(2026, 7, 20), "due", 1000.0),
            (date(2026, 7, 27), "debit", 300.0), (date(2026, 8, 24), "installment", 300.0),
        ]))

    def test_each_receipt_on_its_day(self):
        rows = self.forecast().search([])
        by_document = {(row.move_id, row.source): (row.date, row.amount) for row in rows}
        self.assertEqual(by_document[self.h1, "due"], (date(2026, 7, 22), 1000.0), "10 July + 12 days")
        self.assertEqual(by_document[self.h2, "due"], (date(2026, 7, 7), 500.0))
        self.assertEqual(by_document[self.h3, "overdue"], (TODAY, 700.0))
        self.assertEqual(by_document[self.n1, "due"], (date(2026, 7, 15), 400.0), "net of its credit")
        self.assertEqual(by_document[self.p1, "promise"], (date(2026, 7, 8), 500.0))
        self.assertEqual(by_document[self.p1, "overdue"], (TODAY, 300.0))
        self.assertEqual(by_document[self.v1, "pay_by_bank"], (date(2026, 7, 1), 1000.0))
        self.assertNotIn(self.l1, rows.move_id, "a disputed invoice is not expected")
        self.assertEqual(rows.filtered(lambda row: row.move_id == self.e1).mapped("source"),
                         ["installment", "debit", "installment"], "the plan's installments, not the invoice")

    def test_control_beyond_thirteen_weeks_nothing_is_shown(self):
        def invoiced_today(due):
            return self._create_invoice(
                partner_id=self.c["N"], invoice_date=TODAY, invoice_date_due=due, invoice_payment_term_id=False,
                invoice_line_ids=[Command.create({"name": "Services", "price_unit": 250.0, "tax_ids": []})],
                post=True,
            )

        far, near = invoiced_today(date(2026, 9, 28)), invoiced_today(date(2026, 9, 27))
        moves = self.forecast().search([]).move_id
        self.assertNotIn(far, moves, "Monday 28 September is week 14")
        self.assertIn(near, moves, "Sunday 27 September is in week 13")

    def test_a_promise_kept_leaves_the_forecast_and_one_broken_is_overdue(self):
        self.pay(self.p1, 500.0, TODAY)
        self.assertEqual([(row.source, row.amount) for row in self.forecast().search([("move_id", "=", self.p1.id)])],
                         [("promise", 300.0)], "what is left of it is still promised")
        with freeze_time(date(2026, 7, 9)):
            rows = self.forecast().search([("move_id", "=", self.p1.id)])
            self.assertEqual([(row.source, row.amount) for row in rows], [("overdue", 300.0)])

    def test_a_rule_added_to_the_forecast_applies_to_the_cards(self):
        """A rule an integrator adds to the forecast (here: Claire sees Habitude's receipts only) applies to the
        dashboard's cards: H1 1,000 and H2 500 expected, none this week, H3 700 overdue. The aged balance, under
        no other rule, keeps its figures."""
        control = self.controller_cards()
        self.assertEqual((control.forecast_amount, control.forecast_week_amount, control.forecast_overdue_amount),
                         (4300.0, 1300.0, 1000.0), "control: under the shipped rules only, every receipt")
        aged = (control.open_amount, control.overdue_amount, control.overdue_customer_count)
        self.restrict_controllers("dunning.cash.forecast", self.c["H"])
        board = self.controller_cards()
        self.assertEqual((board.forecast_amount, board.forecast_week_amount, board.forecast_overdue_amount),
                         (1500.0, 0.0, 700.0))
        self.assertEqual((board.open_amount, board.overdue_amount, board.overdue_customer_count), aged,
                         "the aged balance read through the ORM gives the statement's figures")

    def test_the_dashboard_shows_the_weeks(self):
        board = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual((board.forecast_amount, board.forecast_week_amount, board.forecast_overdue_amount),
                         (4300.0, 1300.0, 1000.0))
        self.assertEqual(board.action_open_forecast()["res_model"], "dunning.cash.forecast")
