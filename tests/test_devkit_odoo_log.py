"""``make test`` must count Odoo's tests right and fail on warnings logged outside them."""

from devkit.odoo_log import OdooLogSummary

PREFIX = "2026-11-25 03:18:05,694 2495"


def feed(*lines):
    summary = OdooLogSummary()
    for line in lines:
        summary.feed(f"{PREFIX} {line}\n")
    return summary


def test_totals_and_skips_give_passed_count():
    summary = feed(
        "INFO dunning_test odoo.addons.dunning_pis.tests.test_tour: skipped test_tour : Chrome not found",
        "INFO dunning_test odoo.tests.result: 0 failed, 0 error(s) of 12 tests when loading database 'x'",
    )
    assert summary.totals_seen
    assert (summary.passed, summary.failures, summary.skipped) == (11, 0, 1)


def test_failures_are_counted_once():
    summary = feed(
        "ERROR dunning_test odoo.addons.dunning_pis.tests.test_run: FAIL: TestRun.test_x",
        "ERROR dunning_test odoo.modules.loading: Module dunning_pis: 1 failures, 0 errors of 3 tests",
        "ERROR dunning_test odoo.tests.result: 1 failed, 1 error(s) of 3 tests when loading database 'x'",
    )
    assert (summary.passed, summary.failures) == (1, 2)
    assert summary.problems == []


def test_warning_outside_tests_is_a_failure():
    summary = feed(
        "WARNING dunning_test odoo.addons.base.models.ir_ui_view: Error-prone use of @class",
        "INFO dunning_test odoo.tests.result: 0 failed, 0 error(s) of 4 tests when loading database 'x'",
    )
    assert summary.failures == 1
    assert "Error-prone" in summary.problems[0]


def test_standalone_scripts():
    summary = feed(
        "ERROR dunning_test odoo.tests.test_module_operations: Standalone script test_cycle failed",
        "INFO dunning_test odoo.tests.test_module_operations: 2 standalone scripts executed in 9.10s",
    )
    assert (summary.passed, summary.failures) == (1, 1)


def test_continuation_lines_are_ignored():
    summary = OdooLogSummary()
    assert not summary.feed("Traceback (most recent call last):\n")
    assert summary.failures == 0
