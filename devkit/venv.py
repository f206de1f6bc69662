"""The project's virtualenv: created once, reinstalled only when a requirements file changes."""

import hashlib
import subprocess
import sys

from . import console
from .paths import REPO, VENV

REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
SUPPORTED = ((3, 10), (3, 13))


def python():
    return VENV / "bin" / "python"


def tool(name):
    return VENV / "bin" / name


def _requirements_digest():
    digest = hashlib.sha256()
    for name in REQUIREMENTS:
        digest.update((REPO / name).read_bytes())
    return digest.hexdigest()


def ensure():
    """Create ``.venv`` and install the pinned requirements; return its interpreter."""
    low, high = SUPPORTED
    if not low <= sys.version_info[:2] <= high:
        raise console.Fatal(
            f"Python {low[0]}.{low[1]} to {high[0]}.{high[1]} is needed (Odoo 19), "
            f"this is {sys.version.split()[0]}: run make with PYTHON=/path/to/python3.11"
        )
    if not python().exists():
        console.step(f"creating the virtualenv {VENV.relative_to(REPO)}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    stamp = VENV / ".requirements.sha256"
    digest = _requirements_digest()
    if not stamp.exists() or stamp.read_text() != digest:
        console.step("installing the pinned requirements into the virtualenv")
        command = [str(python()), "-m", "pip", "install", "--quiet"]
        for name in REQUIREMENTS:
            command += ["-r", str(REPO / name)]
        subprocess.run(command, check=True)
        stamp.write_text(digest)
    return python()
