"""Benchmark: a bank's notification of settlement → the invoice paid and reconciled, over real HTTP.

    python3 bench/pay_by_bank_notifications.py            # 200 notifications, as in the issue
    python3 bench/pay_by_bank_notifications.py --count 500

It builds a database with the addon, N invoices and their transactions approved at a sandbox bank
(STET, on loopback, checking tokens, signatures and the specification), starts Odoo (one process, as
`odoo-bin` serves by default), then posts one notification per transaction, one after the other, and
times each from request to answer: the answer comes once Odoo has read the status from the bank (a
notification itself is never believed), posted the payment and reconciled the invoice. It prints p50,
p95 and max, and checks that every invoice got exactly one payment.

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

from decimal import Decimal

from payment_initiation.base import Payer, PaymentOrder
from payment_initiation.stet import payment_request

from bench.dunning_run import shell_json
from devkit import console
from devkit.cluster import free_port
from devkit.odoo_run import embedded_odoo
from devkit.paths import STATE
from sandboxes.bank import SandboxBank
from sandboxes.certificates import make_identity

SCRIPTS = Path(__file__).resolve().parent / "odoo_scripts"
DATABASE = "dunning_bench_pay_by_bank"
KEY_ID = "https://bench.example/qseal.pem"


def settled_at_the_bank(bank, tx):
    """The bench transaction as the sandbox bank knows it once the payer approved and it settled."""
    order = PaymentOrder(end_to_end_id=tx["reference"], amount=Decimal(tx["amount"]), currency="EUR",
                         creditor_name="Bench", creditor_iban="FR7630006000011234567890189", remittance=tx["reference"],
                         return_url="https://bench.example/r", cancel_url="https://bench.example/r",
                         notification_url="https://bench.example/n", payer=Payer())
    payment = bank.new_payment(None, payment_request(order), tx["reference"], tx["amount"], "EUR", "", "", "",
                               tx["reference"], None)
    bank.payments[tx["resource"]] = bank.payments.pop(payment["id"])
    bank.payments[tx["resource"]].update(id=tx["resource"], status="ACSC")


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
    key, certificate = make_identity("Bench PISP")
    STATE.mkdir(parents=True, exist_ok=True)
    key_file, certificate_file = STATE / "bench-qseal.key", STATE / "bench-qseal.pem"
    key_file.write_text(key)
    key_file.chmod(0o600)
    certificate_file.write_text(certificate)
    bank = SandboxBank("stet", "Bench Bank", {"bench": "bench"}, {KEY_ID: certificate}).start()
    with embedded_odoo("no Odoo 19 found (set ODOO_SRC)") as runner:
        runner.install_addon(DATABASE, "bench-pay-by-bank-install", show=False)
        transactions = shell_json(runner, DATABASE, SCRIPTS / "prepare_pay_by_bank.py", {
            "BENCH_N": str(args.count), "BENCH_BANK": bank.url, "BENCH_KEY": str(key_file),
            "BENCH_CERTIFICATE": str(certificate_file), "BENCH_KEY_ID": KEY_ID,
        }, key="list")
        for tx in transactions:
            settled_at_the_bank(bank, tx)
        port = free_port()
        odoo = start_odoo(runner, port)
        session = requests.Session()
        latencies, statuses = [], []
        try:
            for tx in transactions:
                body = json.dumps({"paymentId": tx["resource"], "transactionStatus": "ACSC"}).encode()
                started = time.perf_counter()
                answer = session.post(f"http://127.0.0.1:{port}{tx['notification']}", data=body, timeout=30,
                                      headers={"Content-Type": "application/json"})
                latencies.append((time.perf_counter() - started) * 1000)
                statuses.append(answer.status_code)
        finally:
            odoo.terminate()
            odoo.wait(timeout=30)
            bank.stop()
        check = shell_json(runner, DATABASE, SCRIPTS / "count_paid_invoices.py",
                           {"BENCH_INVOICES": ",".join(str(tx["invoice"]) for tx in transactions)})
        floor = shell_json(runner, DATABASE, SCRIPTS / "time_register_payment.py", {"BENCH_N": str(args.count)})
        runner.drop_database(DATABASE)
    print(f"notifications: {len(latencies)}, answered 200: {statuses.count(200)}")
    print(f"notification -> status read from the bank -> reconciled invoice, {percentiles(latencies)}")
    print(f"sandbox bank: {len([call for call in bank.calls if call.method == 'GET'])} status reads, "
          f"{len(bank.errors)} answers off the specification")
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
