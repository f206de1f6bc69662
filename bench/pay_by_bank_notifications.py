"""Benchmark: a bank's or a service's notification of settlement → the invoice paid and reconciled, over
real HTTP.

    python3 bench/pay_by_bank_notifications.py            # every service, 200 notifications each
    python3 bench/pay_by_bank_notifications.py --service gocardless --count 500

``--service stet`` (a licensed PISP's own bank) is described below; ``fintecture`` and ``gocardless``
time the service's webhook (verified by the service's own scheme, then the status read back from its
sandbox) one after the other, then a burst of as many webhooks sent 8 at a time to Odoo running with 2
HTTP workers (``--workers=2``): errors, duplicate payments, invoices reconciled and throughput.

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
import concurrent.futures
import datetime
import hashlib
import hmac
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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
from sandboxes.certificates import key_pem, make_identity
from sandboxes.fintecture import SandboxFintecture
from sandboxes.gocardless import SandboxGoCardless

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


def start_odoo(runner, port, database=DATABASE, workers=0):
    options = [o for o in runner.server_options() if not o.startswith("--http-port=")]
    extra = [f"--workers={workers}", "--max-cron-threads=0", "--limit-time-real=120"] if workers else []
    process = subprocess.Popen(
        [*runner.install.odoo("server", *options, *extra, f"--http-port={port}", "-d", database,
                              "--log-level=warn")],
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
    parser.add_argument("--service", choices=("stet", "fintecture", "gocardless", "all"), default="all")
    args = parser.parse_args()
    codes = [bench_bank(args) if service == "stet" else bench_service(args, service)
             for service in (("stet", "fintecture", "gocardless") if args.service == "all" else (args.service,))]
    return max(codes)


def bench_bank(args):
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


# === The contracted services === #

def service_sandbox(service, key_file):
    if service == "fintecture":
        key = rsa_key()
        key_file.write_bytes(key_pem(key))
        key_file.chmod(0o600)
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        return SandboxFintecture("bench-app", "bench-secret", public).start()
    return SandboxGoCardless("bench-token", "bench-webhook-secret").start()


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def approved_at_the_service(sandbox, service, tx):
    """The transaction as the service knows it once the payer paid: settled."""
    if service == "fintecture":
        sandbox.sessions[tx["resource"]] = {
            "id": tx["resource"], "kind": "PIS", "status": "payment_created", "transfer_state": "completed",
            "amount": tx["amount"], "currency": "EUR", "communication": tx["reference"],
            "end_to_end_id": tx["reference"],
            "state": tx["reference"], "redirect_uri": "https://bench.example/r", "customer_id": "bench",
            "provider": "sandboxbank", "script": "settle"}
        return
    payment_id = "PM" + tx["resource"][3:]
    sandbox.resources["payments"][payment_id] = {
        "id": payment_id, "created_at": "2026-12-01T09:00:00.000Z", "status": "confirmed",
        "amount": round(Decimal(tx["amount"]) * 100), "currency": "EUR", "charge_date": "2026-12-01",
        "description": tx["reference"], "amount_refunded": 0, "metadata": {}, "links": {"creditor": "CR1"}}
    sandbox.resources["billing_requests"][tx["resource"]] = {
        "id": tx["resource"], "created_at": "2026-12-01T09:00:00.000Z", "status": "fulfilled", "metadata": {},
        "payment_request": {"amount": round(Decimal(tx["amount"]) * 100), "currency": "EUR", "links": {}},
        "links": {"creditor": "CR1", "payment_request_payment": payment_id}}


def webhook(sandbox, service, tx):
    """(body, headers) of the service's webhook saying the payment settled, signed by its scheme."""
    if service == "fintecture":
        headers, body = sandbox.webhook_request(tx["resource"])
        return body, headers
    body = json.dumps({"events": [{
        "id": f"EV{tx['resource'][3:]}", "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "resource_type": "billing_requests", "action": "fulfilled", "links": {"billing_request": tx["resource"]},
        "details": {"origin": "payer", "cause": "billing_request_fulfilled"}, "metadata": {}}]}).encode()
    signature = hmac.new(b"bench-webhook-secret", body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "Webhook-Signature": signature}


def bench_service(args, service):
    """Sequential webhooks beside the floor, then a burst of webhooks 8 at a time to Odoo with 2 workers."""
    database = f"dunning_bench_{service}"
    key_file = STATE / f"bench-{service}.key"
    STATE.mkdir(parents=True, exist_ok=True)
    sandbox = service_sandbox(service, key_file)
    with embedded_odoo("no Odoo 19 found (set ODOO_SRC)") as runner:
        runner.install_addon(database, f"bench-{service}-install", show=False)
        prepared = shell_json(runner, database, SCRIPTS / "prepare_pay_by_bank_service.py", {
            "BENCH_N": str(2 * args.count), "BENCH_SERVICE": service, "BENCH_SERVICE_URL": sandbox.url,
            "BENCH_KEY": str(key_file)})
        transactions = prepared["transactions"]
        for tx in transactions:
            approved_at_the_service(sandbox, service, tx)
        port = free_port()
        url = f"http://127.0.0.1:{port}" + urlsplit(prepared["webhook"]).path
        odoo = start_odoo(runner, port, database, workers=2)
        latencies, statuses, burst_statuses = [], [], []
        try:
            session = requests.Session()
            for tx in transactions[:args.count]:
                body, headers = webhook(sandbox, service, tx)
                started = time.perf_counter()
                statuses.append(session.post(url, data=body, headers=headers, timeout=60).status_code)
                latencies.append((time.perf_counter() - started) * 1000)

            def send(tx):
                body, headers = webhook(sandbox, service, tx)
                try:
                    return requests.post(url, data=body, headers=headers, timeout=120).status_code
                except requests.RequestException as error:
                    return repr(error)

            started = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
                burst_statuses = list(pool.map(send, transactions[args.count:]))
            burst_seconds = time.perf_counter() - started
        finally:
            odoo.terminate()
            odoo.wait(timeout=60)
            sandbox.stop()
        sequential = shell_json(runner, database, SCRIPTS / "count_paid_invoices.py",
                                {"BENCH_INVOICES": ",".join(str(tx["invoice"]) for tx in transactions[:args.count])})
        burst = shell_json(runner, database, SCRIPTS / "count_paid_invoices.py",
                           {"BENCH_INVOICES": ",".join(str(tx["invoice"]) for tx in transactions[args.count:])})
        floor = shell_json(runner, database, SCRIPTS / "time_register_payment.py", {"BENCH_N": str(args.count)})
        runner.drop_database(database)
    key_file.unlink(missing_ok=True)
    print(f"== {service}: webhooks one after the other: {len(latencies)}, answered 200: {statuses.count(200)}")
    print(f"webhook -> verified -> status read from the service -> reconciled invoice, {percentiles(latencies)}")
    print(f"invoices paid: {sequential['paid']} / {args.count}, payments: {sequential['payments']}")
    print(f"floor, Odoo's Register payment in-process, {percentiles(floor['latencies'])}")
    errors = [status for status in burst_statuses if status != 200]
    print(f"burst: {len(burst_statuses)} webhooks, 8 at a time, Odoo with 2 HTTP workers: {len(errors)} errors, "
          f"{burst['paid']} / {args.count} invoices reconciled, {burst['payments']} payments "
          f"({burst['payments'] - burst['paid']} duplicates), {len(burst_statuses) / burst_seconds:.1f} webhooks/s")
    print(f"sandbox: {len(sandbox.errors)} answers off the service's documented shape")
    ok = statuses.count(200) == args.count == sequential["paid"] == sequential["payments"] \
        and not errors and burst["paid"] == burst["payments"] == args.count
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except console.Fatal as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(2)
