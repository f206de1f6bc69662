from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .cockpit_common import CockpitCommon
from .common import TODAY


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCockpitPromisesAndDisputes(CockpitCommon):
    """Promises due today and broken, disputes by reason and age, on 30 June 2026.

    A promise is kept once what is left to pay is no more than what was left when it was made, less the amount
    promised; it is broken once its day has passed without that.
    """

    def promised(self, amount, promise, day, residual=None):
        invoice = self.invoice(self.business, amount, date(2026, 6, 1))
        if residual is not None:
            self.pay(invoice, amount - residual, date(2026, 6, 5))
        invoice._dunning_record_promise(day, promise)
        return invoice

    def broken(self):
        return self.env["account.move"].search([("dunning_promise_broken", "=", True),
                                                ("company_id", "=", self.company.id)])

    def test_a_promise_broken_kept_or_due_today(self):
        with freeze_time(date(2026, 6, 20)):
            # 800 open, 500 promised for 25 June: kept once no more than 300 is left
            unpaid = self.promised(800.0, 500.0, date(2026, 6, 25))
            paid_in_time = self.promised(800.0, 500.0, date(2026, 6, 25))
            paid_short = self.promised(800.0, 500.0, date(2026, 6, 25))
            # 600 open of 1,000, all of it promised for today
            today = self.promised(1000.0, 600.0, TODAY, residual=600.0)
        self.pay(paid_in_time, 500.0, date(2026, 6, 24))
        self.pay(paid_short, 400.0, date(2026, 6, 24))
        self.assertEqual(self.broken(), unpaid | paid_short, "400 paid of 500 promised is short by 100")
        self.assertEqual([move.dunning_promise_broken for move in (unpaid, paid_in_time, paid_short, today)],
                         [True, False, True, False])
        self.assertEqual(today.dunning_promise_residual, 600.0)
        board = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual((board.promise_today_count, board.promise_today_amount, board.promise_broken_count),
                         (1, 600.0, 2))
        listed = self.env["account.move"].search(board.action_open_promises_today()["domain"] + [
            ("dunning_promise_date", "=", TODAY)])
        self.assertEqual(listed, today)
        with freeze_time(date(2026, 7, 1)):
            self.assertIn(today, self.broken(), "the next day, nothing came in: broken")
            self.pay(today, 600.0, date(2026, 7, 1))
            today.invalidate_recordset()
            self.assertNotIn(today, self.broken(), "paid: kept, even late")

    def test_disputes_by_reason_and_age(self):
        def disputed(amount, reason, day):
            invoice = self.invoice(self.business, amount, date(2026, 2, 1))
            invoice._dunning_record_dispute(reason, "Détails", day)
            return invoice

        error = disputed(300.0, "invoice_error", date(2026, 6, 27))  # 3 days: up to a week
        goods = disputed(450.0, "goods_service", date(2026, 6, 10))  # 20 days: 8-30
        goods_old = disputed(200.0, "goods_service", date(2026, 4, 15))  # 76 days: 31-90
        lost = disputed(700.0, "not_received", date(2026, 3, 1))  # 121 days: beyond 90
        settled = disputed(100.0, "forgotten", date(2026, 6, 1))
        self.pay(settled, 100.0, date(2026, 6, 2))
        report = self.env["dunning.dispute.report"].with_context(allowed_company_ids=self.company.ids)
        self.assertEqual(sorted(report._read_group([], ["reason", "age"], ["amount:sum", "__count"])), sorted([
            ("invoice_error", "1_week", 300.0, 1), ("goods_service", "2_month", 450.0, 1),
            ("goods_service", "3_quarter", 200.0, 1), ("not_received", "4_older", 700.0, 1),
        ]), "a paid invoice is no dispute left to settle")
        rows = {row.move_id: row for row in report.search([])}
        self.assertEqual([rows[move].age_days for move in (error, goods, goods_old, lost)], [3, 20, 76, 121])
        self.assertEqual(rows[error].controller_id, self.controller)
        board = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual((board.dispute_count, board.dispute_amount, board.dispute_oldest_days), (4, 1650.0, 121))
