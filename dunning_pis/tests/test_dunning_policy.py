from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TODAY, DunningCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestDunningPolicy(DunningCommon):
    """What a dunning manager configures, and the bad configurations refused with a clear message."""

    def _policy_count(self):
        return self.env["dunning.policy"].with_context(active_test=False).search_count([])

    def test_default_french_policy(self):
        levels = self.policy._ordered_levels()
        self.assertEqual(levels.mapped("delay_days"), [-7, -1, 1, 8, 15, 30, 45])
        notice, collection = self.level[30], self.level[45]
        self.assertTrue(self.level[15].channel_phone and not self.level[15].channel_email)
        self.assertTrue(notice.channel_letter and notice.registered_letter and notice.needs_validation)
        self.assertTrue(notice.charge_indemnity and notice.charge_interest)
        self.assertTrue(collection.channel_collection)
        for level in levels:
            for tone in ("courteous", "standard", "firm"):
                self.assertTrue(level._template_for(tone), f"{level.name} has a {tone} template")
                self.assertEqual(level._template_for(tone), level[f"template_{tone}_id"])
        self.assertEqual(self.company.dunning_default_policy_id, self.policy)

    def test_policy_without_levels_is_refused(self):
        before = self._policy_count()
        with self.assertRefused(ValidationError, "needs at least one level"):
            self.env["dunning.policy"].create({"name": "Empty"})
        self.assertEqual(self._policy_count(), before)

    def test_levels_out_of_order_are_refused(self):
        with self.assertRefused(ValidationError, "in the order of their delays"):
            self.env["dunning.policy"].create({"name": "Backwards", "level_ids": [
                Command.create({"name": "Late", "sequence": 1, "delay_days": 10}),
                Command.create({"name": "Early", "sequence": 2, "delay_days": 5}),
            ]})
        with self.assertRefused(ValidationError, "in the order of their delays"):
            self.level[8].delay_days = 1

    def test_charges_before_the_due_date_are_refused(self):
        with self.assertRefused(ValidationError, "comes before the due date"):
            self.level[-7].charge_interest = True
        with self.assertRefused(ValidationError, "comes before the due date"):
            self.level[-1].channel_letter = True
        with self.assertRefused(ValidationError, "comes before the due date"):
            self.level[-1].fee_amount = 5.0
        self.assertFalse(self.level[-1].fee_amount)

    def test_level_needs_a_channel(self):
        with self.assertRefused(ValidationError, "at least one channel"):
            self.level[1].write({"channel_email": False})
        self.assertTrue(self.level[1].channel_email)

    def test_negative_gap_is_refused(self):
        with self.assertRefused(ValidationError, "cannot be negative"):
            self.policy.min_gap_days = -1

    def test_last_level_of_a_policy_cannot_go(self):
        policy = self.env["dunning.policy"].create({"name": "Single", "level_ids": [
            Command.create({"name": "Only one", "delay_days": 5}),
        ]})
        with self.assertRefused(ValidationError, "needs at least one level"):
            policy.level_ids.unlink()
        self.assertEqual(len(policy.level_ids), 1)

    def test_level_with_history_cannot_be_deleted(self):
        self.invoice(self.business, 100.0, self.days(-3))
        self.run_dunning()
        with self.assertRefused(ValidationError, "already sent at this level"):
            self.level[1].unlink()

    def test_customer_settings_and_company_defaults(self):
        firm = self.env["dunning.policy"].create({"name": "Firm", "level_ids": [
            Command.create({"name": "Now", "delay_days": 1, "tone": "firm"}),
        ]})
        self.assertEqual(self.consumer._dunning_policy(self.company), self.policy)
        self.consumer.with_company(self.company).dunning_policy_id = firm
        self.assertEqual(self.consumer._dunning_policy(self.company), firm)
        contact = self.env["res.partner"].create({
            "name": "Sophie Compta", "parent_id": self.business.id, "type": "invoice", "email": "sophie@example.com",
        })
        self.assertEqual(self.business._dunning_recipient(), contact, "the invoice address by default")
        other = self.env["res.partner"].create({"name": "Paul", "parent_id": self.business.id, "email": "p@x.com"})
        self.business.dunning_contact_id = other
        self.assertEqual(self.business._dunning_recipient(), other)
        self.business.write({"dunning_blocked": True, "dunning_block_reason": "Key account"})
        self.assertTrue(contact.dunning_blocked, "the flag follows the company's contacts")

    def test_reminders_render_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "dunning_pis")])._update_translations(["fr_FR"])
        self.business.lang = "fr_FR"
        invoice = self.invoice(self.business, 250.0, self.days(-10))
        communication = self.run_dunning().communication_ids
        body = communication._template()._render_field("body_html", communication.ids, compute_lang=True)[
            communication.id]
        self.assertIn("Bonjour", body)
        self.assertIn("Madame, Monsieur,", communication._letter_body(), "a letter is addressed as letters are")
        self.assertIn(invoice.name, body)
        self.assertIn("250,00", body)
        self.assertIn("Cela vous a peut-être échappé", body)
        self.assertIn("notre facture vous aurait-elle échappé", communication.subject)
