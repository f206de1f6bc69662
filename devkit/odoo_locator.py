"""Finding Odoo 19: ``ODOO_SRC``, the location remembered on this machine, or an importable package.

A tree given through ``ODOO_SRC`` is remembered outside the repository (``~/.config/dunning_pis``),
so that a fresh clone on the same machine, CI included, finds it without being told again.
"""

import dataclasses
import os
import re
import subprocess
from pathlib import Path

from . import console
from .paths import REPO

MAJOR = 19


def remembered_file():
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "dunning_pis" / "odoo_src"


@dataclasses.dataclass(frozen=True)
class OdooInstall:
    """How to run one Odoo 19: the command prefix, its addons path and its package folder."""

    origin: str
    command: tuple
    addons_path: tuple
    package_dir: Path

    def odoo(self, *args):
        return [*self.command, *args]


def source_tree_major(path):
    """The major version of the Odoo source tree at ``path``, or None if it is not one."""
    release = path / "odoo" / "release.py"
    if not ((path / "odoo-bin").is_file() and release.is_file() and (path / "addons").is_dir()):
        return None
    match = re.search(r"^version_info\s*=\s*\((\d+)", release.read_text(), re.MULTILINE)
    return int(match.group(1)) if match else None


def _from_source_tree(python, path, origin):
    return OdooInstall(
        origin=f"{origin}: {path}",
        command=(str(python), str(path / "odoo-bin")),
        addons_path=(str(path / "addons"), str(path / "odoo" / "addons"), str(REPO)),
        package_dir=path / "odoo",
    )


def _check_tree(path, origin):
    major = source_tree_major(path)
    if major == MAJOR:
        return True
    what = "no Odoo source tree" if major is None else f"Odoo {major}, not {MAJOR}"
    console.loud(f"{origin} points at {path}: {what}; it is ignored.")
    return False


def _importable(python):
    probe = (
        "import os, odoo.release as r; "
        "print(r.version_info[0]); print(os.path.dirname(r.__file__))"
    )
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return None
    major, package_dir = result.stdout.split()
    if int(major) != MAJOR:
        console.loud(f"The importable odoo package is Odoo {major}, not {MAJOR}; it is ignored.")
        return None
    return OdooInstall(
        origin=f"importable package: {package_dir}",
        command=(str(python), "-m", "odoo"),
        addons_path=(str(REPO),),
        package_dir=Path(package_dir),
    )


def find(python):
    """The Odoo 19 to use with the virtualenv's ``python``, or None when there is none."""
    env_value = os.environ.get("ODOO_SRC")
    if env_value:
        path = Path(env_value).expanduser().resolve()
        if _check_tree(path, "ODOO_SRC"):
            remember = remembered_file()
            remember.parent.mkdir(parents=True, exist_ok=True)
            remember.write_text(f"{path}\n")
            return _from_source_tree(python, path, "ODOO_SRC")
    remember = remembered_file()
    if remember.exists():
        path = Path(remember.read_text().strip())
        if _check_tree(path, f"The location remembered in {remember}"):
            return _from_source_tree(python, path, f"remembered in {remember}")
    return _importable(python)
