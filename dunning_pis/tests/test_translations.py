import io

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """The committed catalogue holds every term a user can meet, so none escapes translation."""

    def test_template_matches_the_installed_addon(self):
        buffer = io.BytesIO()
        trans_export(None, ["dunning_pis"], buffer, "po", self.env)
        current = {(e.msgctxt, e.msgid) for e in polib.pofile(buffer.getvalue().decode())}
        template = f"{get_module_path('dunning_pis')}/i18n/dunning_pis.pot"
        committed = {(e.msgctxt, e.msgid) for e in polib.pofile(template)}
        missing, gone = current - committed, committed - current
        self.assertFalse(missing, f"{len(missing)} terms missing from i18n/dunning_pis.pot (run make i18n), "
                                  f"such as {sorted(missing, key=str)[:3]}")
        self.assertFalse(gone, f"{len(gone)} terms of i18n/dunning_pis.pot are gone from the code (run make i18n), "
                               f"such as {sorted(gone, key=str)[:3]}")

    def test_french_is_loaded_from_the_catalogue(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "dunning_pis")])._update_translations(["fr_FR"])
        menu = self.env.ref("dunning_pis.menu_dunning_root").with_context(lang="fr_FR")
        self.assertEqual(menu.name, "Relances")
