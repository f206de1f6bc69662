"""``make test``: lint, the plain-Python tests, then the addon's Odoo tests on a fresh database.

It ends with one line ``N passed, N failed[, N skipped]`` and exits non-zero on any failure. A lint
tool counts as one check. Every WARNING or ERROR that Odoo logs outside a test's own expectations,
while installing the addon or running its tests, counts as a failure of its own.
"""

import dataclasses
import subprocess
import xml.etree.ElementTree as ET

from . import console, odoo_locator, system_packages, venv
from .cluster import Cluster, find_bindir
from .odoo_run import OdooRunner
from .paths import ADDON, LOGS, ODOO_DATA, REPO

TEST_DB = "dunning_test"
NO_ODOO = "ODOO TESTS NOT RUN: no Odoo 19 found (set ODOO_SRC)"


@dataclasses.dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, passed=0, failed=0, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped

    def line(self):
        text = f"{self.passed} passed, {self.failed} failed"
        return f"{text}, {self.skipped} skipped" if self.skipped else text


def _check(tally, name, command):
    console.step(name)
    result = subprocess.run(command, cwd=REPO, check=False)
    tally.add(passed=int(result.returncode == 0), failed=int(result.returncode != 0))


def lint(tally):
    _check(tally, "ruff", [str(venv.tool("ruff")), "check", "."])
    _check(tally, "pylint-odoo", [str(venv.tool("pylint")), "--rcfile=.pylintrc", ADDON.name])


def plain_tests(tally):
    console.step("plain-Python tests (pytest)")
    LOGS.mkdir(parents=True, exist_ok=True)
    report = LOGS / "pytest.xml"
    report.unlink(missing_ok=True)
    code = subprocess.run([str(venv.tool("pytest")), "-q", f"--junitxml={report}", "tests"],
                          cwd=REPO, check=False).returncode
    if not report.exists():
        tally.add(failed=1)
        return
    suite = ET.parse(report).getroot()  # noqa: S314 -- pytest's report, written just now
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, skipped = int(suite.get("tests")), int(suite.get("skipped"))
    failed = int(suite.get("failures")) + int(suite.get("errors"))
    tally.add(passed=total - failed - skipped, failed=failed, skipped=skipped)
    if code not in (0, 1) or total == 0:
        tally.add(failed=1)


def _count(tally, name, code, summary, logfile):
    if not summary.totals_seen or (name == "tests" and summary.tests_run == 0):
        console.loud(f"Odoo {name}: no test report in {logfile}")
        tally.add(failed=1)
    elif code and not summary.failures:
        console.loud(f"Odoo {name}: exit code {code}; see {logfile}")
        tally.add(failed=1)
    for problem in summary.problems:
        print(f"    logged outside any test's expectations: {problem}")
    tally.add(passed=summary.passed, failed=summary.failures, skipped=summary.skipped)


def odoo_tests(install, tally, tags=None):
    system_packages.ensure()
    with Cluster(find_bindir(venv.python())) as cluster:
        runner = OdooRunner(install, cluster)
        template = runner.ensure_template()
        runner.copy_database(template, TEST_DB)
        console.step(f"installing {ADDON.name} with its tests on a fresh database ({TEST_DB})")
        code, summary, logfile = runner.run(
            [*runner.server_options(), "-d", TEST_DB, "-i", ADDON.name, "--test-enable",
             f"--test-tags={tags or '/' + ADDON.name}", "--stop-after-init"],
            "odoo-tests",
        )
        _count(tally, "tests", code, summary, logfile)
        if tags:
            return
        console.step("uninstall and reinstall (standalone scripts)")
        script = install.package_dir / "tests" / "test_module_operations.py"
        code, summary, logfile = runner.run(
            [], "odoo-standalone",
            command=[install.command[0], str(script), "-d", TEST_DB,
                     f"--addons-path={','.join(install.addons_path)}",
                     f"--data-dir={ODOO_DATA}",
                     "--standalone", ADDON.name],
        )
        _count(tally, "standalone scripts", code, summary, logfile)


def main(tags=None):
    """Everything; with ``tags`` (Odoo's --test-tags syntax), a quicker partial run for development:
    no lint, no pytest, only the Odoo tests selected and no standalone scripts."""
    tally = Tally()
    venv.ensure()
    if not tags:
        lint(tally)
        plain_tests(tally)
    install = odoo_locator.find(venv.python())
    if install is None:
        console.loud(NO_ODOO)
    else:
        console.step(f"Odoo 19 from {install.origin}")
        odoo_tests(install, tally, tags)
    print(tally.line() + (f" (partial run: {tags})" if tags else ""), flush=True)
    return 1 if tally.failed else 0
