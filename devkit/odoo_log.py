"""Reading an Odoo log: test counts, skipped tests, and the warnings and errors that must fail a run.

Odoo reports test failures through its own loggers; every other WARNING, ERROR or CRITICAL line is
something that went wrong outside a test's expectations (an install warning, a view error, a log
a test did not capture) and counts as one failure of its own.
"""

import dataclasses
import re

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[\w.]+): (?P<message>.*)$"
)
TOTALS = re.compile(r"^(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests when loading database")
MODULE_TOTALS = re.compile(r"^Module \w+: \d+ failures, \d+ errors of \d+ tests$")
SKIPPED = re.compile(r"^skipped \S+")
STANDALONE_DONE = re.compile(r"^(?P<count>\d+) standalone scripts executed")
STANDALONE_FAILED = re.compile(r"^Standalone script \S+ failed")
PROBLEM_LEVELS = {"WARNING", "ERROR", "CRITICAL"}


def _is_test_logger(logger):
    return logger.startswith("odoo.tests") or ".tests." in f"{logger}." or logger == "odoo.modules.loading.tests"


@dataclasses.dataclass
class OdooLogSummary:
    """What one Odoo process reported; ``totals_seen`` tells whether it got to the end."""

    tests_run: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    standalone_run: int = 0
    standalone_failed: int = 0
    totals_seen: bool = False
    problems: list = dataclasses.field(default_factory=list)

    @property
    def passed(self):
        return (self.tests_run - self.failed - self.errors - self.skipped
                + self.standalone_run - self.standalone_failed)

    @property
    def failures(self):
        return self.failed + self.errors + self.standalone_failed + len(self.problems)

    def feed(self, raw_line):
        """Account for one line of output; return True when it is worth showing on the console."""
        match = LINE.match(raw_line.rstrip("\n"))
        if not match:
            return False
        level, logger, message = match["level"], match["logger"], match["message"]
        totals, done = TOTALS.match(message), STANDALONE_DONE.match(message)
        if totals:
            self.totals_seen = True
            self.tests_run, self.failed, self.errors = int(totals["run"]), int(totals["failed"]), int(totals["errors"])
        elif done:
            self.totals_seen = True
            self.standalone_run = int(done["count"])
        elif STANDALONE_FAILED.match(message):
            self.standalone_failed += 1
        elif level == "INFO" and SKIPPED.match(message) and _is_test_logger(logger):
            self.skipped += 1
        elif level not in PROBLEM_LEVELS:
            return False
        elif not (_is_test_logger(logger) or MODULE_TOTALS.match(message)):
            self.problems.append(raw_line.rstrip("\n"))
        return True
