"""``make i18n``: export the addon's terms to ``i18n/dunning_pis.pot`` and merge them into ``fr.po``.

The French catalogue keeps every existing translation; new terms arrive untranslated (the test suite
then fails until they are translated) and terms gone from the code are dropped.
"""

import subprocess

from . import console, venv
from .odoo_run import embedded_odoo
from .paths import ADDON, REPO

I18N_DB = "dunning_i18n"
POT = ADDON / "i18n" / f"{ADDON.name}.pot"
LANGUAGES = ("fr",)


def main():
    with embedded_odoo("no Odoo 19 found (set ODOO_SRC): terms are exported from an installed addon") as runner:
        runner.install_addon(I18N_DB, "i18n-install")
        code, _summary, logfile = runner.run(
            ["i18n", "export", "-c", str(runner.config_file()), "-d", I18N_DB, ADDON.name], "i18n-export",
        )
        if code:
            raise console.Fatal(f"exporting the terms failed; see {logfile}")
        runner.drop_database(I18N_DB)
    for language in LANGUAGES:
        subprocess.run([str(venv.python()), "-m", "devkit.po_merge", str(POT), str(ADDON / "i18n" / f"{language}.po")],
                       cwd=REPO, check=True)
    return 0
