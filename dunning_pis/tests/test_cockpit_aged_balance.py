from datetime import date, timedelta
from decimal import Decimal

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.service.model import call_kw
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.dunning_ledger_report import without_jit
from .cockpit_common import CockpitCommon
from .common import TODAY


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCockpitAgedBalance(CockpitCommon):
    """The aged balance on 30 June 2026, net of credits and of money on its way, against figures computed by hand.

    The ledger (amounts in EUR; USD at 1.25 to the euro all year, so 1,250 USD is 1,000 EUR):

    Boulangerie (controller Claire):
      INV1 1,000 due 20 June (10 days late), 400 of it paid by bank, approved at the payer's bank (ACSP)
      INV2 2,000 due 16 April (75 days: 14 + 31 + 30), 500 paid on 10 May: 1,500 open
      INV3   800 due 15 July, not due
      CN1    300 credit note of 25 June, reversing nothing
    Import Export (its own policy):
      INV4 1,250 USD = 1,000 EUR due 31 May (30 days)
      INV5   625 USD =   500 EUR due 28 February (122 days: 31 + 30 + 31 + 30)
      PAY    100 received on 28 June, matched with nothing
    Jean Client (a consumer):
      INV6   600 due 16 May (45 days), disputed
      INV7   450 due 10 June (20 days)
      CN2    200 credit note of 15 June reversing INV7
      CN3    400 credit note of 1 June
    and in a second company, Boulangerie owes 700 due 29 June and has a credit note of 100 there: 600 net,
    each company's credits against its own items only.

    Credits go against the claimable items (Code civil 1342-10): a credit note against the invoice it reverses
    first, then the due items, the oldest first; money on its way comes off its own item first.
      Boulangerie: CN1 300 -> INV2 (due, the oldest): INV2 1,200 net; INV1 1,000 - 400 on its way = 600.
      Import Export: PAY 100 -> INV5 (the oldest): 400 net; INV4 1,000.
      Jean: CN2 200 -> INV7, then CN3 400 -> INV7's other 250 (INV6 is disputed: no credit goes to it), and
            150 of CN3 is left: a credit row of -150.
    Buckets: not due 800; 1-30: 600 + 1,000 + 0 = 1,600; 31-60: 600; 61-90: 1,200; > 90: 400; credits -150.
    Total 4,450 = the receivable balance 4,850 (3,300 + 1,500 + 1,050 - 1,000 of credits) less 400 on its way.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.boulangerie, cls.consumer_jean = cls.business, cls.consumer
        cls.import_export = cls.customer("Import Export SAS")
        cls.skipping, _levels = cls.skipping_policy(cls)
        cls.import_export.with_company(cls.company).dunning_policy_id = cls.skipping
        cls.inv1 = cls.invoice(cls.boulangerie, 1000.0, date(2026, 6, 20))
        cls.inv2 = cls.invoice(cls.boulangerie, 2000.0, date(2026, 4, 16))
        cls.pay(cls, cls.inv2, 500.0, date(2026, 5, 10))
        cls.inv3 = cls.invoice(cls.boulangerie, 800.0, date(2026, 7, 15))
        cls.cn1 = cls.credit_note(cls.boulangerie, 300.0, date(2026, 6, 25))
        cls.bank_transaction(cls.inv1, 400.0, "PBB-INV1", status="ACSP")
        cls.inv4 = cls.invoice(cls.import_export, 1250.0, date(2026, 5, 31), currency=cls.usd)
        cls.inv5 = cls.invoice(cls.import_export, 625.0, date(2026, 2, 28), currency=cls.usd)
        cls.payment = cls.unmatched_payment(cls, cls.import_export, 100.0, date(2026, 6, 28))
        cls.inv6 = cls.invoice(cls.consumer_jean, 600.0, date(2026, 5, 16))
        cls.inv6._dunning_record_dispute("goods_service", "Broken on delivery", date(2026, 6, 1))
        cls.inv7 = cls.invoice(cls.consumer_jean, 450.0, date(2026, 6, 10))
        cls.cn2 = cls.reversing_credit_note(cls.inv7, 200.0, date(2026, 6, 15))
        cls.cn3 = cls.credit_note(cls.consumer_jean, 400.0, date(2026, 6, 1))
        cls.company_2 = cls.setup_other_company(name="Second SAS")["company"]
        cls.other_invoice = cls.env["account.move"].with_company(cls.company_2).create({
            "move_type": "out_invoice", "partner_id": cls.boulangerie.id, "invoice_date": date(2026, 5, 30),
            "invoice_date_due": date(2026, 6, 29), "invoice_payment_term_id": False,
            "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 700.0, "tax_ids": []})],
        })
        cls.other_invoice.action_post()
        cls.other_credit = cls.env["account.move"].with_company(cls.company_2).create({
            "move_type": "out_refund", "partner_id": cls.boulangerie.id, "invoice_date": date(2026, 6, 15),
            "invoice_payment_term_id": False,
            "invoice_line_ids": [Command.create({"name": "Credit", "price_unit": 100.0, "tax_ids": []})],
        })
        cls.other_credit.action_post()

    def aged(self, *companies):
        """The report for ``companies``, read afresh: a report's rows are cached by id like records."""
        companies = companies or (self.company,)
        self.env["dunning.aged.balance"].invalidate_model()
        return self.env["dunning.aged.balance"].with_company(companies[0]).with_context(
            allowed_company_ids=[company.id for company in companies])

    def row(self, document, rows=None):
        rows = rows if rows is not None else self.aged().search([])
        found = rows.filtered(lambda row: row.move_id == document)
        self.assertEqual(len(found), 1, f"one row for {document.display_name}")
        return found

    def test_each_item_net_of_its_credits_and_of_money_on_its_way(self):
        rows = self.aged().search([])
        expected = {
            # document: (bucket, days late, open, credits, on its way, net)
            self.inv1: ("1_30", 10, 1000.0, 0.0, -400.0, 600.0),
            self.inv2: ("61_90", 75, 1500.0, -300.0, 0.0, 1200.0),
            self.inv3: ("0_not_due", -15, 800.0, 0.0, 0.0, 800.0),
            self.cn1: ("credit", 0, -300.0, 300.0, 0.0, 0.0),
            self.inv4: ("1_30", 30, 1000.0, 0.0, 0.0, 1000.0),
            self.inv5: ("91_over", 122, 500.0, -100.0, 0.0, 400.0),
            self.payment.move_id: ("credit", 0, -100.0, 100.0, 0.0, 0.0),
            self.inv6: ("31_60", 45, 600.0, 0.0, 0.0, 600.0),
            self.inv7: ("1_30", 20, 450.0, -450.0, 0.0, 0.0),
            self.cn2: ("credit", 0, -200.0, 200.0, 0.0, 0.0),
            self.cn3: ("credit", 0, -400.0, 250.0, 0.0, -150.0),
        }
        self.assertEqual(set(rows.move_id), set(expected), "every open item and credit of the company, no other")
        for document, figures in expected.items():
            row = self.row(document, rows)
            self.assertEqual((row.bucket, row.days_late, row.amount_residual, row.credit_amount, row.transit_amount,
                              row.net_amount), figures, document.display_name)
        self.assertEqual(self.row(self.inv4, rows).amount_currency, 1250.0, "and what is open in its own currency")
        self.assertEqual(self.row(self.inv4, rows).item_currency_id, self.usd)
        self.assertEqual(self.row(self.inv6, rows).status, "disputed")
        self.assertEqual(self.row(self.inv6, rows).dispute_reason, "goods_service")

    def test_the_buckets_add_up_to_the_ledger(self):
        by_bucket = dict(self.aged()._read_group([], ["bucket"], ["net_amount:sum"]))
        self.assertEqual(by_bucket, {"0_not_due": 800.0, "1_30": 1600.0, "31_60": 600.0, "61_90": 1200.0,
                                     "91_over": 400.0, "credit": -150.0})
        totals = self.aged()._read_group([], [], ["amount_residual:sum", "transit_amount:sum", "net_amount:sum"])
        self.assertEqual(totals, [(4850.0, -400.0, 4450.0)], "the receivable balance, less what is on its way")
        per_customer = dict(self.aged()._read_group([], ["partner_id"], ["net_amount:sum"]))
        self.assertEqual(per_customer, {self.boulangerie: 2600.0, self.import_export: 1400.0,
                                        self.consumer_jean: 450.0})
        overdue = self.aged()._read_group([], [], ["overdue_amount:sum"])
        self.assertEqual(overdue, [(3800.0,)], "all but what is not due (800) nor a credit (-150)")

    def test_control_without_credits_nor_money_on_its_way_the_items_are_their_residual(self):
        (self.cn1 | self.cn3).button_draft()
        self.payment.action_draft()
        self.inv1.transaction_ids._set_canceled()
        rows = self.aged().search([])
        self.assertEqual([self.row(move, rows).net_amount for move in (self.inv1, self.inv2, self.inv5, self.inv7)],
                         [1000.0, 1500.0, 500.0, 250.0], "only CN2 is left, against the invoice it reverses")

    def test_the_same_figures_as_dunning(self):
        """The SQL of the report against ``_dunning_positions`` on the same ledger, on three dates: what each
        claimable item is still claimed for, and what each credit has left."""
        compared = 0
        for company in (self.company, self.company_2):
            for on_date in (TODAY, TODAY - timedelta(days=45), TODAY + timedelta(days=20)):
                positions = self.env["account.move.line"]._dunning_positions(company, on_date)
                expected = {}
                for position in positions.values():
                    for item in position.items:
                        on_its_way = position.transit.get(item["id"], Decimal(0))
                        expected[item["id"]] = position.claimed(item) if item["claimable"] else \
                            item["residual"] - on_its_way
                    for credit in position.credits:
                        used = sum((amount for parts in position.allocation.parts.values()
                                    for key, _day, amount in parts if key == credit["id"]), Decimal(0))
                        expected[credit["id"]] = used - credit["residual"]
                rows = self.aged(company).with_context(dunning_date=on_date).search([])
                self.assertEqual({row.id: Decimal(str(row.net_amount)) for row in rows}, expected,
                                 f"{company.name} on {on_date}")
                compared += len(expected)
        self.assertEqual(compared, 11 + 2 + 5 + 0 + 11 + 2, "every item and credit of both companies on the dates")

    def test_filters_by_controller_level_policy_and_company(self):
        rows = self.aged().search([("controller_id", "=", self.controller.id)])
        self.assertEqual(set(rows.partner_id), {self.boulangerie})
        self.assertEqual(set(self.aged().search([("policy_id", "=", self.skipping.id)]).partner_id),
                         {self.import_export})
        self.assertEqual(set(self.aged().search([("policy_id", "=", self.policy.id)]).partner_id),
                         {self.boulangerie, self.consumer_jean}, "the company's default policy")
        self.run_dunning()
        rows = self.aged().search([("status", "!=", "credit")])
        reached = self.env["account.move.line"]._dunning_reached_levels(rows.ids)
        self.assertTrue(reached, "the run took items to levels")
        self.assertEqual({row.id: row.level_id.id for row in rows if row.level_id}, reached,
                         "the level each item reached, as dunning reads it")
        level = self.env["dunning.level"].browse(next(iter(reached.values())))
        self.assertEqual(set(self.aged().search([("level_id", "=", level.id)]).ids),
                         {item for item, reached_level in reached.items() if reached_level == level.id})
        both = self.aged(self.company, self.company_2).search([])
        self.assertEqual(self.row(self.other_invoice, both).net_amount, 600.0, "its own company's credit only")
        self.assertEqual(dict(self.aged(self.company, self.company_2)._read_group(
            [("partner_id", "=", self.boulangerie.id)], ["company_id"], ["net_amount:sum"])),
            {self.company: 2600.0, self.company_2: 600.0})
        self.assertNotIn(self.other_invoice, self.aged().search([]).move_id, "only the companies selected")
        self.assertNotIn(self.other_invoice, self.aged().with_user(self.controller).search([]).move_id,
                         "Claire works for the first company only")

    def test_a_customer_policy_comes_from_its_payer_profile_unless_it_has_its_own(self):
        strict = self.policy.copy({"name": "Strict"})
        self.company.dunning_profile_bad_policy_id = strict
        for customer in (self.boulangerie, self.import_export):
            customer.with_company(self.company).trust = "bad"
        self.assertEqual(set(self.aged().search([("policy_id", "=", strict.id)]).partner_id), {self.boulangerie},
                         "Import Export keeps its own policy")
        self.assertEqual(self.boulangerie._dunning_policy(self.company), strict, "the policy dunning uses")
        self.assertEqual(self.import_export._dunning_policy(self.company), self.skipping)
        self.assertEqual(self.consumer_jean._dunning_policy(self.company), self.policy, "control: no profile")

    def test_export_to_a_spreadsheet(self):
        rows = self.aged().search([], order="partner_id, due_date")
        data = rows.export_data(["partner_id", "move_id", "bucket", "net_amount"])["datas"]
        self.assertIn(["Import Export SAS", self.inv5.name, "> 90 days", 400.0], data)
        self.assertEqual(len(data), 11)

    def test_the_dashboard_shows_the_ages_of_the_report(self):
        """The dashboard's cards sum the aged items in the statement that ages them (once for the ages and the
        forecast): the buckets above; 3,800 overdue (4,450 less 800 not due and the credit row of -150) owed by
        the three customers; the second company's 700 less its own credit of 100 on that company's card only."""
        board = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual((board.aged_not_due, board.aged_1_30, board.aged_31_60, board.aged_61_90, board.aged_over_90),
                         (800.0, 1600.0, 600.0, 1200.0, 400.0))
        self.assertEqual((board.open_amount, board.overdue_amount, board.overdue_customer_count), (4450.0, 3800.0, 3))
        other = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company_2.ids).search([])
        self.assertEqual((other.aged_1_30, other.open_amount, other.overdue_amount, other.overdue_customer_count),
                         (600.0, 600.0, 600.0, 1), "control: the other company's card, its own items and credits")

    def test_a_rule_added_to_the_report_applies_to_the_cards(self):
        """A rule an integrator adds to the aged balance (here: Claire reads Boulangerie's items only) applies to
        the dashboard's cards as to the report: Boulangerie's ages above, not due 800 (INV3), 1-30 600 (INV1),
        61-90 1,200 (INV2); 2,600 open, 1,800 of it overdue, by one customer."""
        control = self.controller_cards()
        self.assertEqual((control.open_amount, control.overdue_amount, control.overdue_customer_count),
                         (4450.0, 3800.0, 3), "control: under the shipped rules only, the whole ledger")
        self.restrict_controllers("dunning.aged.balance", self.boulangerie)
        board = self.controller_cards()
        self.assertEqual((board.aged_not_due, board.aged_1_30, board.aged_31_60, board.aged_61_90, board.aged_over_90),
                         (800.0, 600.0, 0.0, 1200.0, 0.0))
        self.assertEqual((board.open_amount, board.overdue_amount, board.overdue_customer_count), (2600.0, 1800.0, 1))
        rows = self.aged().with_user(self.controller).search([])
        self.assertEqual(set(rows.partner_id), {self.boulangerie}, "the report's own rows, as Claire reads them")

    def test_the_shipped_rule_edited_applies_to_the_cards(self):
        """The shipped company rule, edited by an integrator to Boulangerie's items, narrows the cards as well:
        2,600 open, 1,800 overdue, by one customer."""
        rule = self.env.ref("dunning_pis.rule_dunning_aged_balance_company")
        rule.domain_force = f"[('company_id', 'in', company_ids), ('partner_id', '=', {self.boulangerie.id})]"
        board = self.controller_cards()
        self.assertEqual((board.open_amount, board.overdue_amount, board.overdue_customer_count), (2600.0, 1800.0, 1))

    def jit(self):
        self.env.cr.execute("SELECT current_setting('jit')")
        return self.env.cr.fetchone()[0]

    def test_the_reports_are_planned_without_jit_and_put_it_back(self):
        """PostgreSQL compiles a statement planned above ``jit_above_cost``: over a whole ledger that took longer
        than the report (bench/cockpit.py: the aged balance 3.1 s instead of 0.8 s). The reports switch it off for
        their own statements only."""
        self.env.cr.execute("SET LOCAL jit = on")
        with without_jit(self.env.cr):
            self.assertEqual(self.jit(), "off")
        self.assertEqual(self.jit(), "on", "put back after the block")
        self.aged()._read_group([], ["bucket"], ["net_amount:sum"])
        self.aged().search_fetch([], ["net_amount"])
        self.env["dunning.cash.forecast"].search_count([])
        self.assertEqual(self.jit(), "on", "put back after each read of a report")
        self.assertEqual(call_kw(self.aged(), "search_count", [[("bucket", "=", "1_30")]], {}), 3,
                         "counted as the web client asks (its pager)")
        with self.assertRaises(psycopg2.errors.DivisionByZero), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint(), without_jit(self.env.cr):
            self.env.cr.execute("SELECT 1 / 0")
        self.assertEqual(self.jit(), "on", "a failing statement leaves it to the rollback of its savepoint")
