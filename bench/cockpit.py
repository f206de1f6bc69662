"""Benchmark: the credit controller's cockpit over 100k open receivable lines and 20k customers.

    python3 bench/cockpit.py                          # 20,000 customers, 100,000 open invoices
    python3 bench/cockpit.py --customers 2000 --invoices 10000

The database is the dunning run benchmark's (bench/odoo_scripts/generate_invoices.py: open invoices due
from 30 days ahead to 120 days behind, one customer in ten with an open credit note), with a year of paid
invoices behind them (five per customer, generate_payment_history.py) and one dunning run whose reminders
are marked sent. It then times, with bench/odoo_scripts/time_cockpit.py: the aged balance by age, by customer
and age, and a list page, beside the Python positions it reproduces and Odoo's own floor (the open
receivable per customer); the DSO of every customer and the company's over twelve months; every customer's
payment figures and profile; the nightly refresh; the dashboard. Target: 2 s each, 30 s for the refresh.
The aged balance's query plan is written to .dev/bench-cockpit-plan.txt.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dunning_run import SCRIPTS, shell_json
from devkit import console
from devkit.odoo_run import embedded_odoo
from devkit.paths import ADDON, STATE

TARGETS = {"aged_balance_by_age": 2, "aged_balance_by_customer_and_age": 2, "aged_balance_list_page": 2,
           "dso_per_customer": 2, "dso_company_twelve_months": 2, "profiles_figures_and_assessment": 2,
           "profiles_stored_by_profile": 2,
           "nightly_refresh_first": 30, "nightly_refresh_again": 30, "dashboard": 2}
def build(runner, customers, invoices):
    name = f"dunning_cockpit_bench_{invoices}"
    if runner.cluster.database_exists(name):
        return name
    building = f"{name}_building"
    console.step(f"building {name}: {customers} customers, {invoices} open invoices, a year paid behind")
    runner.install_addon(building, "bench-cockpit-install", show=False)
    made = shell_json(runner, building, SCRIPTS / "generate_invoices.py",
                      {"BENCH_CUSTOMERS": str(customers), "BENCH_INVOICES": str(invoices)})
    console.step(f"open invoices generated in {made['seconds']} s")
    made = shell_json(runner, building, SCRIPTS / "generate_payment_history.py")
    console.step(f"{made['paid']} paid invoices generated in {made['seconds']} s")
    run = shell_json(runner, building, SCRIPTS / "time_dunning_run.py")
    console.step(f"a dunning run: {run['communications']} reminders, {run['lines']} lines, in {run['seconds']} s")
    shell_json(runner, building, SCRIPTS / "mark_reminders_sent.py")
    runner.cluster.rename_database(building, name)
    return name


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--invoices", type=int, default=100000)
    args = parser.parse_args()
    plan = STATE / "bench-cockpit-plan.txt"
    with embedded_odoo("no Odoo 19 found (set ODOO_SRC)") as runner:
        base = build(runner, args.customers, args.invoices)
        runner.copy_database(base, f"{base}_run")
        code, _summary, logfile = runner.run(
            [*runner.server_options(), "-d", f"{base}_run", "-u", ADDON.name, "--stop-after-init"],
            "bench-update", show=False,
        )
        if code:
            raise console.Fatal(f"updating {ADDON.name} failed; see {logfile}")
        results = shell_json(runner, f"{base}_run", SCRIPTS / "time_cockpit.py", {"BENCH_PLAN": str(plan)})
    print(json.dumps({key: value for key, value in results.items() if not isinstance(value, dict)
                      or "seconds" not in value}, ensure_ascii=False))
    print(f"{'measure':>36} {'seconds':>8} {'queries':>8} {'target':>7}")
    missed = []
    for name, result in results.items():
        if isinstance(result, dict) and "seconds" in result:
            target = TARGETS.get(name)
            print(f"{name:>36} {result['seconds']:>8} {result['queries']:>8} {target or '':>7}")
            if target and result["seconds"] > target:
                missed.append(name)
    print(f"query plan of the aged balance: {plan}")
    if missed:
        print(f"over target: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except console.Fatal as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(2)
