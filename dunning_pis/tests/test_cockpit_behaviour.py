import json
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .cockpit_common import CockpitCommon
from .common import TODAY


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestCockpitBehaviour(CockpitCommon):
    """DSO by countback, payment behaviour and payer profiles on 30 June 2026, computed by hand.

    USD is at 1.25 to the euro until 31 May 2026 and at 1.6 from 1 June. The ledger of the company (EUR):

    Durand (D): INV-A 1,000 invoiced 10 April, due 10 May, reminded on 11 May (sent) and on 18 May (queued,
                never sent), paid 20 May: 10 days late. INV-B 600 invoiced 15 May, due 14 June, 300 paid on
                14 June, 300 open. INV-C 900 invoiced 5 June, due 5 July.
    Ernest (E): 625 USD (500 EUR) invoiced 1 March, due 31 March, paid 30 March; 400 invoiced 1 June, due 1 July.
    Fabre (F):  800 invoiced 1 February, due 3 March, paid 2 May: 60 days late (28 + 30 + 2).
                300 invoiced 20 April, due 20 May, open: 41 days late on 30 June (11 + 30).
    Guérin (G): 1,250 USD invoiced 1 May at 1.25 (1,000 EUR), due 31 May, paid 1,250 USD on 10 June at 1.6
                (781.25 EUR): the 218.75 exchange difference is no payment.

    Countback DSO: the balance is matched with the sales of the current month, then of each month before:
      D on 30 June: balance 1,000 + 600 + 900 - 1,000 - 300 = 1,200; June sales 900 use 30 days, the 300 left
        are 300 / 600 of May's 31 days: 30 + 15.5 = 45.5 days.
      E: 400 against June's 400: 400 / 400 x 30 = 30.0. F: 300, nothing sold in June nor May (30 + 31 days),
        April's 300: 61 + 30 = 91.0. G: nothing owed: 0.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.currency.rate"].create({"name": "2026-06-01", "rate": 1.6, "currency_id": cls.usd.id,
                                             "company_id": cls.company.id})
        cls.durand, cls.ernest = cls.customer("Durand Négoce SARL"), cls.customer("Ernest Conseil SAS")
        cls.fabre, cls.guerin = cls.customer("Fabre BTP SAS"), cls.customer("Guérin Import SARL")
        cls.durand.with_company(cls.company).dunning_controller_id = cls.controller
        cls.inv_a = cls.invoice(cls.durand, 1000.0, date(2026, 5, 10))
        cls.reminder = cls.remind(date(2026, 5, 11), cls.durand)
        with freeze_time(date(2026, 5, 18)):
            cls.unsent = cls.run_dunning(cls, date(2026, 5, 18), partner_ids=[Command.set(cls.durand.ids)])
        cls.pay(cls, cls.inv_a, 1000.0, date(2026, 5, 20))
        cls.inv_b = cls.invoice(cls.durand, 600.0, date(2026, 6, 14))
        cls.pay(cls, cls.inv_b, 300.0, date(2026, 6, 14))
        cls.inv_c = cls.invoice(cls.durand, 900.0, date(2026, 7, 5))
        cls.inv_e1 = cls.invoice(cls.ernest, 625.0, date(2026, 3, 31), currency=cls.usd)
        cls.pay(cls, cls.inv_e1, 625.0, date(2026, 3, 30))
        cls.inv_e2 = cls.invoice(cls.ernest, 400.0, date(2026, 7, 1))
        cls.inv_f1 = cls.invoice(cls.fabre, 800.0, date(2026, 3, 3))
        cls.pay(cls, cls.inv_f1, 800.0, date(2026, 5, 2))
        cls.inv_f2 = cls.invoice(cls.fabre, 300.0, date(2026, 5, 20))
        cls.inv_g = cls.invoice(cls.guerin, 1250.0, date(2026, 5, 31), currency=cls.usd)
        cls.pay(cls, cls.inv_g, 1250.0, date(2026, 6, 10))

    def refresh(self, *companies):
        Behaviour = self.env["dunning.payment.behaviour"]
        Behaviour._refresh(self.env["res.company"].concat(*(companies or (self.company,))), TODAY)
        return {row.partner_id: row for row in Behaviour.search([("company_id", "in", [c.id for c in companies]
                                                                  or self.company.ids)])}

    def test_the_ledger_is_as_told(self):
        self.assertEqual(self.reminder.state, "sent")
        self.assertEqual(self.unsent.communication_ids.state, "queued", "never sent")
        self.assertEqual(self.inv_e1.amount_total_signed, 500.0)
        self.assertEqual(self.inv_g.amount_total_signed, 1000.0)
        self.assertEqual(self.inv_g.payment_state, "paid")
        exchange = self.env["account.partial.reconcile"].search([("exchange_move_id", "!=", False),
                                                                 ("debit_move_id.move_id", "=", self.inv_g.id)])
        self.assertEqual(exchange.exchange_move_id.amount_total_signed, 218.75, "1,000 - 1,250 / 1.6")

    def test_dso_by_countback(self):
        rows = self.refresh()
        self.assertEqual({customer: (row.receivable_amount, round(row.dso_days, 2)) for customer, row in rows.items()},
                         {self.durand: (1200.0, 45.5), self.ernest: (400.0, 30.0), self.fabre: (300.0, 91.0),
                          self.guerin: (0.0, 0.0)})
        self.assertFalse(any(row.dso_capped for row in rows.values()))

    def test_dso_matches_the_balance_with_a_month_s_sales_summed(self):
        """Henri on 30 June: 300 invoiced 2 June and 500 on 20 June; 400 invoiced 5 May (paid 25 June) and 200 on
        25 May. Balance 300 + 500 + 200 = 1,000. June's sales, 800, use its 30 days; the 200 left are 200 / 600 of
        May's sales (400 + 200, the paid invoice was sold too) over its 31 days: 30 + 10.33 = 40.33 days. Taken
        invoice by invoice, May would give 30 days (200 against the last one) or less."""
        henri = self.customer("Henri Distribution SAS")
        self.invoice(henri, 300.0, date(2026, 7, 2))
        self.invoice(henri, 500.0, date(2026, 7, 20))
        paid = self.invoice(henri, 400.0, date(2026, 6, 4))
        self.invoice(henri, 200.0, date(2026, 6, 24))
        self.pay(paid, 400.0, date(2026, 6, 25))
        rows = self.refresh()
        self.assertEqual((rows[henri].receivable_amount, round(rows[henri].dso_days, 2)), (1000.0, 40.33))
        self.assertEqual(round(rows[self.ernest].dso_days, 2), 30.0, "control: one invoice in the month")

    def test_dso_used_up_within_the_last_six_months_or_before(self):
        """The countback reads the last six months (January to June 2026) first, and the months before only for a
        customer whose sales in them do not cover the balance. On 30 June:
          Jeanne: 400 invoiced 1 January, open, and 300 invoiced 1 November 2025, paid: February to June
            (28 + 31 + 30 + 31 + 30 = 150 days), then 400 / 400 of January's 31 days: 181.0.
          Karim: the same 400 invoiced a day earlier, 31 December 2025: January to June (181 days), then
            400 / 400 of December's 31: 212.0.
          Louis: 1,000 invoiced 15 October 2025, 500 of it paid; 200 invoiced 10 March 2026. Balance 700.
            April to June (91 days), March's 200 (31 days), November to February (30 + 31 + 31 + 28 = 120), then
            the 500 left are 500 / 1,000 of October's 31 days: 91 + 31 + 120 + 15.5 = 257.5."""
        jeanne, karim = self.customer("Jeanne Fleurs SARL"), self.customer("Karim Transports SAS")
        louis = self.customer("Louis Menuiserie SARL")
        self.invoice(jeanne, 400.0, date(2026, 1, 31))
        self.pay(self.invoice(jeanne, 300.0, date(2025, 12, 1)), 300.0, date(2025, 12, 1))
        self.invoice(karim, 400.0, date(2026, 1, 30))
        october = self.invoice(louis, 1000.0, date(2025, 11, 14))
        self.pay(october, 500.0, date(2026, 6, 1))
        self.invoice(louis, 200.0, date(2026, 4, 9))
        rows = self.refresh()
        self.assertEqual({customer: (rows[customer].receivable_amount, round(rows[customer].dso_days, 2),
                                     rows[customer].dso_capped) for customer in (jeanne, karim, louis)},
                         {jeanne: (400.0, 181.0, False), karim: (400.0, 212.0, False), louis: (700.0, 257.5, False)})

    def test_who_has_figures_and_a_profile(self):
        """On 30 June. Marc never paid and owes 300 due 20 May, 41 days late: his row has his DSO (nothing sold in
        June nor May, 61 days, then April's 300 over its 30 days: 91.0), no payment, 300 overdue 41 days, and the
        profile of a customer who owes past due beyond 30 days (bad). Control: Nadia's 500 due 20 May is disputed
        and her credit note of 500 is matched with nothing: she owes nothing on the ledger and paid nothing, so she
        has no row, though the disputed invoice stays past due in the aged balance (no credit goes to it)."""
        marc, nadia = self.customer("Marc Peinture SARL"), self.customer("Nadia Textiles SAS")
        self.invoice(marc, 300.0, date(2026, 5, 20))
        disputed = self.invoice(nadia, 500.0, date(2026, 5, 20))
        self.reversing_credit_note(disputed, 500.0, date(2026, 6, 10))
        disputed._dunning_record_dispute("invoice_error", "Wrong quantity", date(2026, 6, 1))
        rows = self.refresh()
        marc_row = rows[marc]
        self.assertEqual((marc_row.receivable_amount, round(marc_row.dso_days, 2), marc_row.paid_amount,
                          marc_row.paid_invoice_count, marc_row.overdue_amount, round(marc_row.overdue_days, 2),
                          marc_row.profile, marc_row.profile_reason),
                         (300.0, 91.0, 0.0, 0, 300.0, 41.0, "bad", "owes_late"))
        self.assertNotIn(nadia, rows)
        aged = self.env["dunning.aged.balance"].with_context(dunning_date=TODAY).search(
            [("partner_id", "=", nadia.id), ("move_id", "=", disputed.id)])
        self.assertEqual((aged.status, aged.overdue_amount), ("disputed", 500.0), "control: past due in the report")

    def test_the_refresh_tells_the_planner_how_many_customers_it_stored(self):
        """Statistics left at an earlier, smaller table made PostgreSQL join every aged item with every figure row
        in the forecast: on a copy of the bench database analyzed after a refresh was rolled back, the dashboard
        took 55 s instead of 2 after the next refresh."""
        self.env.cr.execute("ANALYZE dunning_payment_behaviour")
        for number in range(30):
            self.invoice(self.customer(f"Client {number}"), 100.0, date(2026, 6, 20))
        self.refresh()
        self.env.cr.execute("SELECT COUNT(*) FROM dunning_payment_behaviour")
        stored = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT reltuples FROM pg_class WHERE oid = 'dunning_payment_behaviour'::regclass")
        self.assertEqual(self.env.cr.fetchone()[0], stored)
        self.assertGreaterEqual(stored, 34, "the four customers of the ledger and the thirty new ones")

    def test_control_a_balance_older_than_two_years_of_sales_is_capped(self):
        old = self.customer("Ancien Client SA")
        self.invoice(old, 100.0, date(2024, 1, 31))
        row = self.refresh()[old]
        # nothing sold from July 2024 to June 2026: the 24 months of the countback, 1 July 2024 to 30 June 2026
        self.assertEqual((row.receivable_amount, row.dso_days, row.dso_capped), (100.0, 730.0, True))

    def test_the_company_dso_over_twelve_months(self):
        """The company's balance and sales month by month (G's invoice is May's, its balance nil from 10 June):
            30 June: 1,200 + 400 + 300 + 0 = 1,900; June sales 1,300 (D 900, E 400) use 30 days, the 600 left
                     are 600 / 1,600 of May's 31 days (D 600, G 1,000): 30 + 11.625 = 41.625
            31 May:  600 + 0 + 300 + 1,000 = 1,900; May's 1,600 use 31 days, the 300 left are 300 / 1,300 of
                     April's 30 days (D 1,000, F 300): 31 + 6.923 = 37.923
            30 April: 1,000 + 0 + 1,100 = 2,100; April's 1,300 (30 days), March's 500 (E, 31 days), then
                     300 / 800 of February's 28 days (F): 30 + 31 + 10.5 = 71.5
            31 March: F's 800; March's 500 (31 days), then 300 / 800 of February's 28: 31 + 10.5 = 41.5
            28 February: 800 / 800 x 28 = 28.0; before: nothing owed."""
        self.refresh()
        trend = self.env["dunning.dso.month"].search([("company_id", "=", self.company.id)], order="date")
        self.assertEqual(trend.mapped("date"), [
            date(2025, 7, 31), date(2025, 8, 31), date(2025, 9, 30), date(2025, 10, 31), date(2025, 11, 30),
            date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
            date(2026, 5, 31), TODAY,
        ])
        self.assertEqual([round(month.dso_days, 3) for month in trend],
                         [0.0] * 7 + [28.0, 41.5, 71.5, 37.923, 41.625])
        self.assertEqual(trend[-1].receivable_amount, 1900.0)

    def test_payment_behaviour(self):
        """Over what was paid from 1 July 2025 to 30 June 2026, weighted by amount:
            D: 1,000 at 10 days and 300 on the day: 10,000 / 1,300 = 7.69 days late, 300 / 1,300 = 23.08 % on time;
               one invoice paid in full (INV-A) after one reminder sent (the one left unsent does not count).
               Still owed past due: INV-B's 300, 16 days late.
            E: 500, a day early (0 days late), 100 % on time. F: 800 at 60 days, 0 % on time; owes 300 at 41 days.
            G: 781.25 received at 10 days late: the exchange difference of 218.75 is no payment."""
        rows = self.refresh()
        figures = {customer: (row.paid_amount, round(row.avg_days_late, 2), round(row.on_time_share, 2),
                              row.paid_invoice_count, row.reminders_per_invoice, row.overdue_amount,
                              round(row.overdue_days, 2))
                   for customer, row in rows.items()}
        self.assertEqual(figures, {
            self.durand: (1300.0, 7.69, 23.08, 1, 1.0, 300.0, 16.0),
            self.ernest: (500.0, 0.0, 100.0, 1, 0.0, 0.0, 0.0),
            self.fabre: (800.0, 60.0, 0.0, 1, 0.0, 300.0, 41.0),
            self.guerin: (781.25, 10.0, 0.0, 1, 0.0, 0.0, 0.0),
        })

    def test_control_payments_older_than_twelve_months_are_left_out(self):
        with freeze_time("2027-05-03"):
            self.env["dunning.payment.behaviour"]._refresh(self.company, date(2027, 5, 3))
        rows = {row.partner_id: row for row in self.env["dunning.payment.behaviour"].search([])}
        self.assertEqual(rows[self.fabre].paid_amount, 0.0, "F's payment of 2 May 2026 is a year and a day before")
        self.assertEqual(rows[self.fabre].overdue_days, 348.0, "its 300 are 348 days late (365 - 17)")
        self.assertEqual(rows[self.durand].paid_amount, 1300.0, "control: D's of 20 May and 14 June 2026 still count")

    def test_profiles_set_the_customers_trust_unless_set_by_hand(self):
        """With the shipped thresholds (good: at most 5 days late and 80 % on time; bad: more than 30 days late,
        paid or owed): D 7.69 days late is normal, E good, F bad (60 days), G normal (10 days)."""
        rows = self.refresh()
        self.assertEqual({customer: row.profile for customer, row in rows.items()},
                         {self.durand: "normal", self.ernest: "good", self.fabre: "bad", self.guerin: "normal"})
        self.assertEqual(rows[self.durand].profile_explanation,
                         "Paid 7.7 days late on average, more than the 5.0 of a good payer.")
        self.assertEqual(rows[self.fabre].profile_explanation,
                         "Paid 60.0 days late on average over twelve months, beyond 30.0.")
        self.assertEqual(rows[self.guerin].profile_reason, "paid_a_bit_late")
        self.assertEqual(rows[self.ernest].profile_explanation,
                         "Pays on time: 0.0 days late on average, 100.0 % of its amounts by the due date.")
        in_company = self.env["res.partner"].with_company(self.company)
        self.assertEqual([in_company.browse(customer.id).trust for customer in (self.durand, self.ernest, self.fabre)],
                         ["normal", "good", "bad"], "Odoo's own degree of trust")
        durand = in_company.browse(self.durand.id)
        durand.trust = "bad"
        self.assertTrue(durand.dunning_trust_manual, "set by hand")
        self.refresh()
        self.assertEqual(durand.trust, "bad", "the figures no longer change it")
        durand.dunning_trust_manual = False
        self.refresh()
        self.assertEqual(durand.trust, "normal")

    def test_control_a_company_may_keep_profiles_to_itself(self):
        self.company.dunning_profile_auto = False
        before = self.fabre.with_company(self.company).trust
        rows = self.refresh()
        self.assertEqual(rows[self.fabre].profile, "bad", "the figures still say so")
        self.assertEqual(self.fabre.with_company(self.company).trust, before, "but the trust is left alone")
        self.assertNotEqual(before, "bad")

    def test_the_company_s_thresholds(self):
        self.company.dunning_profile_good_days = 10.0
        self.company.dunning_profile_good_on_time = 0.0
        rows = self.refresh()
        self.assertEqual(rows[self.guerin].profile, "good", "10 days late is good enough for this company")
        self.assertEqual(rows[self.durand].profile, "normal", "it still owes 300 16 days late")

    def test_the_profile_chooses_policy_and_tone_in_the_preview_and_the_run(self):
        strict = self.skipping_policy()[0]
        strict.name = "Strict"
        self.company.write({"dunning_profile_bad_policy_id": strict.id, "dunning_profile_bad_tone": "firm",
                            "dunning_profile_good_tone": "courteous"})
        self.refresh()
        self.unsent.communication_ids.action_cancel()
        run = self.env["dunning.run"].create({"company_id": self.company.id, "date": TODAY})
        preview = self.env["dunning.run.preview"].browse(run.action_preview()["res_id"])
        lines = {line.partner_id: line for line in preview.line_ids}
        self.assertEqual((lines[self.fabre].payer_profile, lines[self.fabre].tone), ("bad", "firm"))
        self.assertEqual(lines[self.durand].payer_profile, "normal")
        self.assertEqual(lines[self.durand].tone, lines[self.durand].level_id.tone, "no tone for normal payers")
        self.assertEqual(lines[self.fabre].level_id.policy_id, strict, "the bad payers' policy")
        run.action_run()
        fabre = run.communication_ids.filtered(lambda communication: communication.partner_id == self.fabre)
        self.assertEqual((fabre.policy_id, fabre.tone), (strict, "firm"))
        self.assertEqual(fabre.level_id.delay_days, 30, "41 days late: the strict policy skips to its notice")

    def test_control_the_customer_s_own_policy_and_tone_win(self):
        self.company.write({"dunning_profile_bad_policy_id": self.skipping_policy()[0].id,
                            "dunning_profile_bad_tone": "firm"})
        self.fabre.with_company(self.company).write({"dunning_policy_id": self.policy.id,
                                                     "dunning_tone": "courteous"})
        self.refresh()
        communication = self.run_dunning(partner_ids=[Command.set(self.fabre.ids)]).communication_ids
        self.assertEqual((communication.policy_id, communication.tone), (self.policy, "courteous"))

    def test_a_run_refreshes_the_figures_in_the_background(self):
        cron = self.env.ref("dunning_pis.ir_cron_dunning_cockpit_refresh")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.run_dunning()
        self.assertEqual(len(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers), 1)

    def test_each_company_its_own_figures(self):
        other = self.setup_other_company(name="Second SAS")["company"]
        invoice = self.env["account.move"].with_company(other).create({
            "move_type": "out_invoice", "partner_id": self.durand.id, "invoice_date": date(2026, 6, 10),
            "invoice_date_due": date(2026, 7, 10), "invoice_payment_term_id": False,
            "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 500.0, "tax_ids": []})],
        })
        invoice.action_post()
        rows = self.refresh(self.company, other)
        there = self.env["dunning.payment.behaviour"].search([("company_id", "=", other.id),
                                                              ("partner_id", "=", self.durand.id)])
        # 500 against June's 500 over 30 days; nothing paid nor overdue there: no profile
        self.assertEqual((there.receivable_amount, there.dso_days, there.paid_amount, there.profile),
                         (500.0, 30.0, 0.0, False))
        self.assertEqual((rows[self.durand].receivable_amount, rows[self.durand].dso_days), (1200.0, 45.5),
                         "the first company's figures are its own")

    def test_the_customer_form_shows_the_figures_and_the_trend(self):
        self.refresh()
        durand = self.durand.with_company(self.company)
        self.assertEqual((durand.dunning_dso_days, durand.dunning_avg_days_late, durand.dunning_on_time_share,
                          durand.dunning_reminders_per_invoice, durand.dunning_behaviour_profile),
                         (45.5, 7.7, 23.1, 1.0, "normal"), "shown to a tenth")
        # D on 31 May: 600 against May's 600 (31 days); on 30 April 1,000 against April's 1,000 (30 days)
        points = json.loads(durand.dunning_dso_graph)[0]["values"]
        self.assertEqual([point["y"] for point in points], [0.0] * 9 + [30.0, 31.0, 45.5])

    def test_the_dashboard(self):
        self.refresh()
        board = self.env["dunning.dashboard"].with_context(allowed_company_ids=self.company.ids).search([])
        self.assertEqual(board.company_id, self.company)
        # the company's DSO of today; one good payer (E), two normal (D, G), one bad (F)
        self.assertEqual((board.dso_days, board.good_count, board.normal_count, board.bad_count),
                         (41.6, 1, 2, 1), "41.625 days, to a tenth")
        # every payment was registered on the bank journal: transfers of 1,300 + 500 + 800 + 781.25; only INV-A
        # had a reminder first, 9 days before it was paid (11 to 20 May)
        self.assertEqual((board.collected_transfer, board.days_transfer, board.collected_pay_by_bank),
                         (3381.25, 9.0, 0.0))
        # D's 300 and F's 300 are past due; 1,900 is owed in all
        self.assertEqual((board.overdue_amount, board.overdue_customer_count, board.open_amount), (600.0, 2, 1900.0))
        self.assertEqual(board.action_open_good()["domain"], [("company_id", "=", self.company.id),
                                                               ("profile", "=", "good")])

