"""Merge a .pot template into a .po catalogue (run in the virtualenv, where polib is installed).

Existing translations are kept, new terms arrive untranslated and terms gone from the code are dropped.
"""

import sys
from pathlib import Path

import polib


def merge(pot_path, po_path):
    """Bring ``po_path`` in line with the template; return the number of untranslated entries."""
    template = polib.pofile(str(pot_path))
    catalogue = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
    known = {(entry.msgctxt, entry.msgid): entry for entry in catalogue}
    merged = polib.POFile(wrapwidth=78)
    merged.metadata = {**template.metadata, **catalogue.metadata, "Language": po_path.stem}
    for entry in template:
        previous = known.get((entry.msgctxt, entry.msgid))
        entry.msgstr = previous.msgstr if previous else ""
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        merged.append(entry)
    merged.save(str(po_path))
    return len(merged.untranslated_entries())


if __name__ == "__main__":
    pot, po = Path(sys.argv[1]), Path(sys.argv[2])
    sys.stdout.write(f"==> {po.name}: {merge(pot, po)} untranslated entries\n")
