"""Benchmark: one dunning run over N customers and M open invoices, and OCA's credit control on the same.

    python3 bench/dunning_run.py                # M = 10k and 100k, as in the issue
    python3 bench/dunning_run.py --invoices 5000 --customers 1000 --no-oca

For each size it builds a database (the cached base database, the addon installed, the generated
invoices), copies it, times a dunning_pis run that queues its reminders (no SMTP), then installs
OCA's account_credit_control 19.0 (pip, --no-deps, into a bench-only addons path) on the other copy
and times its run. It prints seconds, peak RSS and SQL queries of each, and the ratio.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devkit import console, venv
from devkit.odoo_run import embedded_odoo
from devkit.paths import ADDON, STATE

SCRIPTS = Path(__file__).resolve().parent / "odoo_scripts"
OCA_REQUIREMENT = "odoo-addon-account_credit_control==19.0.1.0.0.13"
OCA_ADDONS = STATE / "bench-addons"


def shell_json(runner, database, script, env=None, addons_path=None, key="object"):
    """Run an odoo shell script and return the JSON object (or list) it printed last."""
    command = runner.install.odoo("shell", *runner.common_options(), "--no-http", "-d", database)
    if addons_path:
        command = [c if not c.startswith("--addons-path=") else f"{c},{addons_path}" for c in command]
    result = subprocess.run(command, input=script.read_text(), text=True, capture_output=True, check=False,
                            env={**runner.environ(), **(env or {})})
    lines = [line for line in result.stdout.splitlines() if line.startswith("{" if key == "object" else "[")]
    if result.returncode or not lines:
        raise console.Fatal(f"{script.name} failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])


def install_oca():
    if not (OCA_ADDONS / "odoo" / "addons" / "account_credit_control").exists():
        console.step(f"installing {OCA_REQUIREMENT} (no dependencies) into {OCA_ADDONS}")
        subprocess.run([str(venv.python()), "-m", "pip", "install", "--quiet", "--no-deps",
                        "--target", str(OCA_ADDONS), OCA_REQUIREMENT], check=True)
    return str(OCA_ADDONS / "odoo" / "addons")


def bench_size(runner, customers, invoices, with_oca):
    base = f"dunning_bench_{invoices}"
    if not runner.cluster.database_exists(base):
        console.step(f"building {base}: {customers} customers, {invoices} invoices")
        runner.install_addon(f"{base}_building", "bench-install", show=False)
        made = shell_json(runner, f"{base}_building", SCRIPTS / "generate_invoices.py",
                          {"BENCH_CUSTOMERS": str(customers), "BENCH_INVOICES": str(invoices)})
        console.step(f"generated in {made['seconds']} s")
        runner.cluster.rename_database(f"{base}_building", base)
    results = {}
    runner.copy_database(base, f"{base}_ours")
    code, _summary, logfile = runner.run(
        [*runner.server_options(), "-d", f"{base}_ours", "-u", ADDON.name, "--stop-after-init"],
        "bench-update", show=False,
    )
    if code:
        raise console.Fatal(f"updating {ADDON.name} failed; see {logfile}")
    results["ours"] = shell_json(runner, f"{base}_ours", SCRIPTS / "time_dunning_run.py")
    if with_oca:
        addons = install_oca()
        runner.copy_database(base, f"{base}_oca")
        code, _summary, logfile = runner.run(
            [*[o if not o.startswith("--addons-path=") else f"{o},{addons}" for o in runner.server_options()],
             "-d", f"{base}_oca", "-i", "account_credit_control", "--stop-after-init"],
            "bench-oca-install", show=False,
        )
        if code:
            raise console.Fatal(f"installing account_credit_control failed; see {logfile}")
        results["oca"] = shell_json(runner, f"{base}_oca", SCRIPTS / "time_oca_run.py", addons_path=addons)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, action="append")
    parser.add_argument("--customers", type=int, action="append")
    parser.add_argument("--no-oca", action="store_true")
    args = parser.parse_args()
    sizes = list(zip(args.customers or [2000, 20000], args.invoices or [10000, 100000], strict=True))
    with embedded_odoo("no Odoo 19 found (set ODOO_SRC)") as runner:
        print(f"{'invoices':>9} {'customers':>9} {'tool':>22} {'seconds':>8} {'peak RSS MiB':>12} "
              f"{'queries':>8} {'output':>18}")
        for customers, invoices in sizes:
            results = bench_size(runner, customers, invoices, not args.no_oca)
            for result in results.values():
                output = (f"{result.get('communications', '-')} comm. / {result['lines']} lines")
                print(f"{invoices:>9} {customers:>9} {result['tool']:>22} {result['seconds']:>8} "
                      f"{result['peak_rss_mib']:>12} {result['queries']:>8} {output:>18}", flush=True)
            if "oca" in results:
                ratio = results["oca"]["seconds"] / max(results["ours"]["seconds"], 0.001)
                print(f"{'':>9} {'':>9} {'ratio OCA / ours':>22} {ratio:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except console.Fatal as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(2)
