import importlib.util

from odoo.modules.module import get_module_path
from odoo.tests import tagged

from .common import TODAY, DunningCommon


@tagged("post_install", "-at_install")
class TestDisputeReasonMigration(DunningCommon):
    """A database of 19.0.1.1.0 kept the reason of a dispute as free text: the update to 19.0.1.2.0 keeps that
    text as the dispute's details and files it under "other"; a reason already one of the list stays."""

    def migrate(self):
        path = f"{get_module_path('dunning_pis')}/migrations/19.0.1.2.0/pre-migrate.py"
        spec = importlib.util.spec_from_file_location("dunning_pis_pre_migrate_19_0_1_2_0", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, "19.0.1.1.0")
        self.env.invalidate_all()

    def test_free_text_becomes_other_with_its_text_kept(self):
        old, listed, calm = (self.invoice(self.business, 100.0, TODAY) for _n in range(3))
        self.env.flush_all()
        self.env.cr.execute("UPDATE account_move SET dunning_disputed = TRUE, dunning_dispute_note = NULL, "
                            "dunning_dispute_reason = 'Marchandise abîmée, avoir demandé' WHERE id = %s", [old.id])
        listed._dunning_record_dispute("not_received", "Jamais reçu")
        self.env.flush_all()
        self.migrate()
        self.assertEqual((old.dunning_dispute_reason, old.dunning_dispute_note),
                         ("other", "Marchandise abîmée, avoir demandé"))
        self.assertEqual((listed.dunning_dispute_reason, listed.dunning_dispute_note), ("not_received", "Jamais reçu"))
        self.assertFalse(calm.dunning_dispute_reason)
        self.migrate()
        self.assertEqual(old.dunning_dispute_note, "Marchandise abîmée, avoir demandé", "run twice, the same")
