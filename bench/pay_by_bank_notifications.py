"""Benchmark: a bank's notification of settlement → the invoice paid and reconciled, over real HTTP.

    python3 bench/pay_by_bank_notifications.py            # 200 notifications, as in the issue
    python3 bench/pay_by_bank_notifications.py --count 500

It builds a database with the addon, N invoices and their transactions at the bank, starts Odoo
(one process, as `odoo-bin` serves by default), then posts one signed notification per
transaction, one after the other on loopback, and times each from request to answer: the answer
comes once the payment is posted and reconciled. It prints p50, p95 and max, and checks that every
invoice got exactly one payment.

For scale it then times the floor on the same database: Odoo's own "Register payment" wizard
posting and reconciling the same kind of payment in-process, without HTTP, bank or transaction.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dunning_pis"))

from payment_initiation import signing

from bench.dunning_run import shell_json
from devkit import console
from devkit.cluster import free_port
from devkit.odoo_run import embedded_odoo

SCRIPTS = Path(__file__).resolve().parent / "odoo_scripts"
SECRET = "bench-notification-secret"  # noqa: S105
DATABASE = "dunning_bench_pay_by_bank"


def start_odoo(runner, port):
    options = [o for o in runner.server_options() if not o.startswith("--http-port=")]
    process = subprocess.Popen(
        [*runner.install.odoo("server", *options, f"--http-port={port}", "-d", DATABASE, "--log-level=warn")],
        env=runner.environ(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise console.Fatal("Odoo did not answer within 120 s")


def percentiles(latencies):
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"ms: p50 {cuts[49]:.1f}  p95 {cuts[94]:.1f}  max {max(latencies):.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    with embedded_odoo("no Odoo 19 found (set ODOO_SRC)") as runner:
        runner.install_addon(DATABASE, "bench-pay-by-bank-install", show=False)
        transactions = shell_json(runner, DATABASE, SCRIPTS / "prepare_pay_by_bank.py",
                                  {"BENCH_N": str(args.count), "BENCH_SECRET": SECRET}, key="list")
        port = free_port()
        odoo = start_odoo(runner, port)
        session = requests.Session()
        latencies, statuses = [], []
        try:
            url = f"http://127.0.0.1:{port}/payment/pay_by_bank/webhook"
            for tx in transactions:
                body = json.dumps({"resourceId": tx["resource"], "endToEndId": tx["reference"], "status": "ACSC",
                                   "amount": tx["amount"], "currency": "EUR"}).encode()
                headers = {"Content-Type": "application/json",
                           signing.NOTIFICATION_HEADER: signing.sign_notification(body, SECRET)}
                started = time.perf_counter()
                answer = session.post(url, data=body, headers=headers, timeout=30)
                latencies.append((time.perf_counter() - started) * 1000)
                statuses.append(answer.status_code)
        finally:
            odoo.terminate()
            odoo.wait(timeout=30)
        check = shell_json(runner, DATABASE, SCRIPTS / "count_paid_invoices.py",
                           {"BENCH_INVOICES": ",".join(str(tx["invoice"]) for tx in transactions)})
        floor = shell_json(runner, DATABASE, SCRIPTS / "time_register_payment.py", {"BENCH_N": str(args.count)})
        runner.drop_database(DATABASE)
    print(f"notifications: {len(latencies)}, answered 200: {statuses.count(200)}")
    print(f"notification -> reconciled invoice, {percentiles(latencies)}")
    print(f"invoices paid: {check['paid']} / {len(transactions)}, payments: {check['payments']}")
    print(f"floor, Odoo's Register payment in-process, {percentiles(floor['latencies'])}")
    ok = statuses.count(200) == len(transactions) == check["paid"] == check["payments"]
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except console.Fatal as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(2)
