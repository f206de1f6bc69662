"""Where the development state lives: everything under git-ignored folders of the repository."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDON = REPO / "dunning_pis"
VENV = REPO / ".venv"
STATE = REPO / ".dev"
PG_ROOT = STATE / "pg"
ODOO_DATA = STATE / "odoo-data"
LOGS = STATE / "logs"
