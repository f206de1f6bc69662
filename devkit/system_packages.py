"""Programs Odoo calls that do not come from PyPI: Chromium (browser tours), wkhtmltopdf (PDF reports).

Installed from Debian's packages when missing and when we may (root with apt-get); otherwise said
loudly, since tours are then skipped by Odoo and PDF letters cannot be printed in the demo.
"""

import os
import shutil
import subprocess

from . import console

PACKAGES = {"chromium": "chromium", "wkhtmltopdf": "wkhtmltopdf"}


def missing():
    return [package for program, package in PACKAGES.items() if not shutil.which(program)]


def ensure():
    packages = missing()
    if not packages:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        console.step(f"installing {', '.join(packages)} from Debian's packages")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
        if subprocess.run(install, env=env, check=False, stdout=subprocess.DEVNULL).returncode:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, stdout=subprocess.DEVNULL)
            subprocess.run(install, env=env, check=False, stdout=subprocess.DEVNULL)
    still_missing = missing()
    if still_missing:
        console.loud(
            f"NOT INSTALLED: {', '.join(still_missing)}. Install them (Debian: apt-get install "
            f"{' '.join(still_missing)}):\nwithout chromium the browser tours are skipped, "
            "without wkhtmltopdf letters print as HTML only."
        )
