"""Every term of the addon has a French translation that keeps its placeholders."""

import re
from pathlib import Path

import polib

I18N = Path(__file__).resolve().parent.parent / "dunning_pis" / "i18n"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\w*\}")
TEMPLATE = polib.pofile(str(I18N / "dunning_pis.pot"))
FRENCH = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(I18N / "fr.po"))}


def test_every_term_is_translated():
    untranslated = [
        e.msgid for e in TEMPLATE
        if not (french := FRENCH.get((e.msgctxt, e.msgid))) or not french.msgstr.strip() or "fuzzy" in french.flags
    ]
    assert not untranslated, f"{len(untranslated)} terms without French (make i18n, then translate): {untranslated[:5]}"


def test_translations_keep_their_placeholders():
    broken = [
        e.msgid for e in TEMPLATE
        if (french := FRENCH.get((e.msgctxt, e.msgid)))
        and sorted(PLACEHOLDER.findall(french.msgstr)) != sorted(PLACEHOLDER.findall(e.msgid))
    ]
    assert not broken, f"placeholders differ in: {broken[:5]}"
