from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestDunningTour(HttpCase):
    """In a real browser: a manager edits a level, previews a run, validates and sends."""

    def test_manager_edits_a_level_previews_validates_and_sends(self):
        company = self.env.ref("base.main_company")
        partner = self.env["res.partner"].create({
            "name": "Tour Customer SARL", "is_company": True, "email": "tour@example.com", "city": "Lyon",
        })
        today = fields.Date.context_today(self.env.user)
        invoice = self.env["account.move"].with_company(company).create({
            "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": fields.Date.subtract(today, days=33),
            "invoice_date_due": fields.Date.subtract(today, days=3),
            "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 480.0, "tax_ids": []})],
        })
        invoice.action_post()
        self.start_tour("/odoo/action-dunning_pis.action_dunning_policy", "dunning_pis_manager_tour", login="admin")
        level = self.env.ref("dunning_pis.level_after_1")
        self.assertTrue(level.needs_validation)
        self.assertEqual(level.fee_amount, 12.0)
        communication = self.env["dunning.communication"].search([("partner_id", "=", partner.id)])
        self.assertEqual(communication.state, "sending")
        self.assertEqual(communication.fee_amount, 12.0)
        self.assertEqual(communication.line_ids.invoice_id, invoice)
        self.assertTrue(self.env["mail.mail"].search([("model", "=", "dunning.communication"),
                                                     ("res_id", "=", communication.id)]))
