from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .cockpit_common import CockpitCommon
from .common import TODAY


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCockpitCollections(CockpitCommon):
    """What came in by channel, and the days from the first reminder to the payment, computed by hand.

    One customer, Canal SARL, in 2026:
      I1 1,000 due 10 May, first reminded on 12 May, paid by bank on 20 May (pay-by-bank transaction): 8 days.
      I2 500 due 15 May, first reminded on 18 May (I1 is listed again then, its first reminder stays 12 May),
         paid by transfer on the bank journal on 5 June: 18 days.
      I3 300 due 1 June, paid in cash on 2 June, never reminded.
      I4 600 due 1 April, reminded on 2 April, then under a plan of two direct debits of 300 from 20 May: the
         first collected on 20 May (48 days after the reminder); the second not yet.
      I5 400 due 1 June, cancelled by a credit note: no money came in.
    By channel: pay by bank 1,000 (May, 8 days), transfer 500 (June, 18 days), direct debit 300 (May, 48 days),
    other 300 (June, no reminder). Pay by bank brought 1,000 of the 2,100 collected: 47.6 %.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_direct_debits()
        cls.canal = cls.customer("Canal SARL")
        cls.i4 = cls.invoice(cls.canal, 600.0, date(2026, 4, 1))
        cls.remind(date(2026, 4, 2), cls.canal)
        with freeze_time(date(2026, 5, 1)):
            cls.plan = cls.active_plan(cls.i4, date(2026, 5, 20), count=2, first_method="sepa_direct_debit")
        cls.i1 = cls.invoice(cls.canal, 1000.0, date(2026, 5, 10))
        with freeze_time(date(2026, 5, 6)):
            cls.batch = cls.debit_file(date(2026, 5, 20))
        cls.i2 = cls.invoice(cls.canal, 500.0, date(2026, 5, 15))
        cls.remind(date(2026, 5, 12), cls.canal)
        cls.remind(date(2026, 5, 18), cls.canal)
        with freeze_time(date(2026, 5, 20)):
            cls.bank_transaction(cls.i1, 1000.0, "PBB-I1")
            cls.batch.action_collected()
        cls.pay(cls, cls.i2, 500.0, date(2026, 6, 5))
        cls.i3 = cls.invoice(cls.canal, 300.0, date(2026, 6, 1))
        cls.env["account.payment.register"].with_context(active_model="account.move", active_ids=cls.i3.ids).create({
            "amount": 300.0, "payment_date": date(2026, 6, 2),
            "journal_id": cls.company_data["default_journal_cash"].id,
        })._create_payments()
        cls.i5 = cls.invoice(cls.canal, 400.0, date(2026, 6, 1))
        cls.i5._reverse_moves(cancel=True)

    def report(self):
        report = self.env["dunning.collection.report"].with_context(allowed_company_ids=self.company.ids)
        report.invalidate_model()
        return report

    def test_the_ledger_is_as_told(self):
        self.assertEqual(self.i1.transaction_ids.payment_id.payment_transaction_id.provider_id, self.pay_by_bank)
        self.assertEqual(self.plan.installment_ids.mapped("debit_state"), ["collected", "none"])
        self.assertEqual([invoice.payment_state in ("paid", "in_payment") for invoice in (self.i1, self.i2, self.i3)],
                         [True] * 3)
        self.assertEqual(self.i5.payment_state, "reversed")
        self.assertEqual(self.i4.amount_residual, 300.0)

    def test_collected_by_channel_and_month(self):
        groups = self.report()._read_group([], ["date:month", "channel"], ["amount:sum", "days_after_reminder:avg"])
        self.assertEqual(sorted(groups), sorted([
            (date(2026, 5, 1), "pay_by_bank", 1000.0, 8.0),
            (date(2026, 5, 1), "direct_debit", 300.0, 48.0),
            (date(2026, 6, 1), "transfer", 500.0, 18.0),
            (date(2026, 6, 1), "other", 300.0, False),
        ]))

    def test_each_payment_with_its_first_reminder(self):
        rows = {row.move_id: row for row in self.report().search([])}
        self.assertNotIn(self.i5, rows, "a credit note brings no money")
        self.assertEqual({move: (rows[move].first_reminder_date, rows[move].days_after_reminder)
                          for move in (self.i1, self.i2, self.i4)},
                         {self.i1: (date(2026, 5, 12), 8), self.i2: (date(2026, 5, 18), 18),
                          self.i4: (date(2026, 4, 2), 48)})
        self.assertFalse(rows[self.i3].reminded)
        self.assertEqual((rows[self.i1].days_late, rows[self.i3].days_late), (10, 1))

    def test_the_dashboard_compares_the_channels(self):
        board = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual((board.collected_pay_by_bank, board.collected_transfer, board.collected_direct_debit,
                          board.collected_other), (1000.0, 500.0, 300.0, 300.0))
        self.assertEqual((board.days_pay_by_bank, board.days_transfer, board.days_direct_debit, board.days_other),
                         (8.0, 18.0, 48.0, 0.0))
        self.assertEqual(board.pay_by_bank_share, 47.6, "1,000 / 2,100, to a tenth")

    def test_control_a_year_later_the_dashboard_leaves_them_out(self):
        with freeze_time(date(2027, 7, 1)):
            board = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company.ids).search([])
            self.assertEqual(board.collected_pay_by_bank, 0.0, "the last twelve months start on 1 August 2026")
        self.assertEqual(len(self.report().search([])), 4, "the report keeps them")
