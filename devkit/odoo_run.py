"""Running Odoo 19 against the embedded cluster, its output kept in ``.dev/logs`` and summarised."""

import ast
import contextlib
import hashlib
import os
import shutil
import subprocess

from . import console, odoo_locator, system_packages, venv
from .cluster import Cluster, find_bindir, free_port
from .odoo_log import OdooLogSummary
from .paths import ADDON, LOGS, ODOO_DATA, REPO, STATE

# Bumped whenever the recipe of the base database below changes, so that cached templates rebuild.
TEMPLATE_RECIPE = "2"
# The French chart of accounts for the main company: account's demo data gives it the generic one.
FRENCH_COMPANY = """
company = env.ref("base.main_company")
if company.chart_template != "fr":
    env["account.chart.template"].try_loading("fr", company, install_demo=True)
env.cr.commit()
"""


@contextlib.contextmanager
def embedded_odoo(missing):
    """An OdooRunner for the Odoo 19 found and the embedded cluster, started for the block; stops with
    ``missing`` when there is no Odoo 19."""
    venv.ensure()
    install = odoo_locator.find(venv.python())
    if install is None:
        raise console.Fatal(missing)
    with Cluster(find_bindir(venv.python())) as cluster:
        yield OdooRunner(install, cluster)


def addon_dependencies():
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text())
    return sorted(manifest["depends"])


def filestore(database):
    return ODOO_DATA / "filestore" / database


class OdooRunner:
    """One Odoo installation bound to one running cluster."""

    def __init__(self, install, cluster):
        self.install = install
        self.cluster = cluster

    def environ(self):
        # The repository's root on the path: Odoo's tests start the sandboxes (never the addon itself).
        pythonpath = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
        return system_packages.environ({**os.environ, **self.cluster.environ(), "PYTHONUNBUFFERED": "1",
                                        "PYTHONPATH": pythonpath})

    def common_options(self):
        return [
            f"--addons-path={','.join(self.install.addons_path)}",
            f"--data-dir={ODOO_DATA}",
        ]

    def config_file(self):
        """The options as a configuration file, for the Odoo commands that take no others."""
        path = STATE / "odoo.conf"
        path.write_text(
            f"[options]\naddons_path = {','.join(self.install.addons_path)}\ndata_dir = {ODOO_DATA}\n"
        )
        return path

    def server_options(self):
        return [
            *self.common_options(),
            "--http-interface=127.0.0.1",
            f"--http-port={free_port()}",
            f"--gevent-port={free_port()}",
            "--max-cron-threads=0",
        ]

    def run(self, args, log_name, show=True, command=None):
        """Run Odoo with ``args``; return its exit code and the summary of what it logged."""
        LOGS.mkdir(parents=True, exist_ok=True)
        logfile = LOGS / f"{log_name}.log"
        summary = OdooLogSummary()
        command = command or self.install.odoo(*args)
        with open(logfile, "w", encoding="utf-8") as log, subprocess.Popen(
            command, env=self.environ(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, encoding="utf-8", errors="replace",
        ) as process:
            for line in process.stdout:
                log.write(line)
                if summary.feed(line) and show:
                    print(f"    {line.rstrip()}", flush=True)
        return process.returncode, summary, logfile

    def shell(self, database, script, log_name):
        """Run ``script`` in ``odoo shell`` on ``database``; return what it printed."""
        LOGS.mkdir(parents=True, exist_ok=True)
        logfile = LOGS / f"{log_name}.log"
        with open(logfile, "w", encoding="utf-8") as log:
            result = subprocess.run(
                self.install.odoo("shell", *self.common_options(), "--no-http", "-d", database),
                input=script, text=True, env=self.environ(), stdout=subprocess.PIPE, stderr=log, check=False,
            )
        if result.returncode:
            raise console.Fatal(f"odoo shell on {database} failed; see {logfile}")
        return result.stdout

    def copy_database(self, template, name):
        self.cluster.copy_database(template, name)
        shutil.rmtree(filestore(name), ignore_errors=True)
        if filestore(template).exists():
            shutil.copytree(filestore(template), filestore(name))

    def install_addon(self, database, log_name, show=True):
        """``database``: a fresh copy of the base template with the addon installed, and nothing logged amiss."""
        self.copy_database(self.ensure_template(), database)
        code, summary, logfile = self.run(
            [*self.server_options(), "-d", database, "-i", ADDON.name, "--stop-after-init"], log_name, show=show,
        )
        if code or summary.problems:
            raise console.Fatal(f"installing {ADDON.name} in {database} failed; see {logfile}")

    def drop_database(self, name):
        self.cluster.drop_database(name)
        shutil.rmtree(filestore(name), ignore_errors=True)

    def template_name(self):
        """The cached base database for this Odoo, this addon's dependencies and these pins."""
        key = hashlib.sha256()
        for part in (TEMPLATE_RECIPE, str(self.install.package_dir), (ADDON.parent / "requirements.txt").read_text(),
                     *addon_dependencies()):
            key.update(part.encode())
        return f"dunning_base_{key.hexdigest()[:12]}"

    def ensure_template(self):
        """A database with a French company, demo data and the addon's dependencies installed.

        Built under a temporary name and renamed when complete, so an interrupted build is never
        mistaken for a finished one. Older templates are dropped.
        """
        name = self.template_name()
        if self.cluster.database_exists(name):
            return name
        console.step(f"building the base database {name} (once per Odoo tree and dependency set)")
        building = f"{name}_building"
        self.drop_database(building)
        code, _summary, logfile = self.run(
            ["db", *self.common_options(), "init", building, "--with-demo", "--country", "FR"],
            "base-db-init", show=False,
        )
        if code:
            raise console.Fatal(f"creating the base database failed; see {logfile}")
        modules = ",".join([*addon_dependencies(), "l10n_fr_account"])
        code, summary, logfile = self.run(
            [*self.server_options(), "-d", building, "-i", modules, "--load-language=fr_FR",
             "--stop-after-init"],
            "base-db-install", show=False,
        )
        if code:
            raise console.Fatal(f"installing {modules} in the base database failed; see {logfile}")
        self.shell(building, FRENCH_COMPANY, "base-db-french-company")
        for stale in self.cluster.psql(
            "SELECT datname FROM pg_database WHERE datname LIKE 'dunning\\_base\\_%'"
        ).split():
            if stale != building:
                self.drop_database(stale)
        self.cluster.rename_database(building, name)
        if filestore(building).exists():
            filestore(building).rename(filestore(name))
        return name
