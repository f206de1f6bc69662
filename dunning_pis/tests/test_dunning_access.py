from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningAccess(DunningCommon):
    """Who may do what, each company on its own, and amounts right in every currency."""

    def test_credit_controller_runs_and_sends_but_does_not_configure(self):
        self.invoice(self.business, 100.0, self.days(-5))
        run = self.env["dunning.run"].with_user(self.controller).create({"date": TODAY, "company_id": self.company.id})
        run.action_run()
        self.assertEqual(len(run.communication_ids), 1)
        run.communication_ids.action_send()
        with self.assertRaises(AccessError):
            self.policy.with_user(self.controller).min_gap_days = 5
        with self.assertRaises(AccessError):
            self.level[1].with_user(self.controller).fee_amount = 5.0
        with self.assertRaises(AccessError):
            run.communication_ids.with_user(self.controller).unlink()

    def test_invoicing_user_reads_levels_but_not_reminders(self):
        clerk = new_test_user(self.env, login="clerk", groups="account.group_account_invoice",
                              company_id=self.company.id)
        invoice = self.invoice(self.business, 100.0, self.days(-5))
        self.run_dunning()
        self.assertFalse(invoice.with_user(clerk).dunning_level_id)
        self.assertTrue(invoice.with_user(clerk).dunning_next_date)
        with self.assertRaises(AccessError):
            self.env["dunning.communication"].with_user(clerk).search([])
        with self.assertRaises(AccessError):
            self.env["dunning.run"].with_user(clerk).create({"date": TODAY})

    def test_each_company_duns_its_own_invoices(self):
        other = self.setup_other_company(name="Second SAS")["company"]
        foreign = self._create_invoice(
            partner_id=self.business, company_id=other, invoice_date=self.days(-35), invoice_date_due=self.days(-5),
            invoice_payment_term_id=False, post=True,
            invoice_line_ids=[Command.create({"name": "Services", "price_unit": 70.0, "tax_ids": []})],
        )
        own = self.invoice(self.business, 100.0, self.days(-5))
        run = self.run_dunning()
        self.assertEqual(run.communication_ids.line_ids.invoice_id, own)
        other_run = self.env["dunning.run"].with_company(other).create({"date": TODAY, "company_id": other.id})
        other_run.action_run()
        self.assertEqual(other_run.communication_ids.line_ids.invoice_id, foreign)
        self.assertEqual(other.dunning_last_run_date, TODAY)
        outsider = new_test_user(self.env, login="outsider", groups="dunning_pis.group_dunning_manager",
                                 company_id=other.id, company_ids=[Command.set(other.ids)])
        seen = self.env["dunning.communication"].with_user(outsider).search([("id", "in", run.communication_ids.ids)])
        self.assertFalse(seen)

    def test_foreign_currency_invoice(self):
        usd = self.setup_other_currency("USD", rates=[("2026-01-01", 1.25)])
        invoice = self.invoice(self.business, 500.0, self.days(-5), currency=usd)
        communication = self.run_dunning().communication_ids
        self.assertEqual(communication.line_ids.currency_id, usd)
        self.assertEqual(communication.line_ids.amount_residual, 500.0)
        self.assertEqual(communication.amount_due, 400.0, "in company currency")
        self.assertIn("$", communication._letter_body())
        self.assertEqual(communication.totals_by_currency(), [(usd, 500.0, 0.0, 0.0, 500.0)])
        self.assertEqual(invoice.currency_id, usd)
