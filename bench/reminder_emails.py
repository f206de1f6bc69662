"""Benchmark: N reminder emails rendered and delivered to a real SMTP server on loopback through Odoo's
mail queue, beside Odoo's own invoice sending (account.move.send) of N invoices on the same data.

    python3 bench/reminder_emails.py                 # N = 20,000, as in the issue
    python3 bench/reminder_emails.py --emails 500 --issuing 100

It builds a database once (the addon installed, N customers with one invoice each, due 3 days ago, so
that every customer gets the same first overdue reminder), then on copies of it times, each in its own
Odoo process whose peak RSS is reported:

- the dunning run, the send cron rendering the N reminders and Odoo's mail queue delivering them;
- Odoo's batch invoice sending (account.move.send) of the N invoices, their PDF already issued;
- the same issuing each invoice's PDF, on ``--issuing`` of them: wkhtmltopdf takes over a second per
  invoice here, so all N would take hours.

The SMTP server is this process (aiosmtpd), which counts what it received. Emails per second are
counted from rendering to delivery.
"""

import argparse
import sys
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dunning_run import SCRIPTS, shell_json

from devkit import console
from devkit.cluster import free_port
from devkit.odoo_run import embedded_odoo
from devkit.paths import ADDON


class Sink:
    """An SMTP server that accepts everything and counts it."""

    def __init__(self):
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.bytes += len(envelope.content)
        return "250 Message accepted"


def build(runner, count):
    base = f"dunning_bench_mail_{count}"
    if not runner.cluster.database_exists(base):
        console.step(f"building {base}: {count} customers with one overdue invoice each")
        runner.install_addon(f"{base}_building", "bench-install", show=False)
        made = shell_json(runner, f"{base}_building", SCRIPTS / "generate_invoices.py", {
            "BENCH_CUSTOMERS": str(count), "BENCH_INVOICES": str(count), "BENCH_DUE_DAYS_AGO": "3",
        })
        console.step(f"generated in {made['seconds']} s")
        runner.cluster.rename_database(f"{base}_building", base)
    return base


def measure(runner, base, name, script, sink_port, update=False, env=None):
    database = f"{base}_{name}"
    runner.copy_database(base, database)
    if update:
        code, _summary, logfile = runner.run(
            [*runner.server_options(), "-d", database, "-u", ADDON.name, "--stop-after-init"], "bench-update",
            show=False,
        )
        if code:
            raise console.Fatal(f"updating {ADDON.name} failed; see {logfile}")
    result = shell_json(runner, database, SCRIPTS / script, {"BENCH_SMTP_PORT": str(sink_port), **(env or {})})
    runner.drop_database(database)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=20000)
    parser.add_argument("--issuing", type=int, default=1000, help="invoices whose PDF Odoo issues as it sends them")
    parser.add_argument("--no-odoo", action="store_true", help="time the reminders only")
    args = parser.parse_args()
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with embedded_odoo("no Odoo 19 found (set ODOO_SRC)") as runner:
            base = build(runner, args.emails)
            runs = [("ours", "time_reminder_emails.py", True, {})]
            if not args.no_odoo:
                runs += [("odoo_issued", "time_invoice_sending.py", False, {"BENCH_ISSUED": "1"}),
                         ("odoo_issuing", "time_invoice_sending.py", False, {"BENCH_LIMIT": str(args.issuing)})]
            print(f"{'tool':>24} {'emails':>7} {'received':>8} {'render s':>8} {'deliver s':>9} {'emails/s':>8} "
                  f"{'peak RSS MiB':>12} {'queries':>9} {'MiB sent':>8}", flush=True)
            for name, script, update, env in runs:
                received, size = sink.messages, sink.bytes
                result = measure(runner, base, name, script, port, update=update, env=env)
                seconds = result["render_seconds"] + result["deliver_seconds"]
                print(f"{result['tool']:>24} {result['emails']:>7} {sink.messages - received:>8} "
                      f"{result['render_seconds']:>8} {result['deliver_seconds']:>9} "
                      f"{result['emails'] / max(seconds, 0.001):>8.1f} {result['peak_rss_mib']:>12} "
                      f"{result['queries']:>9} {(sink.bytes - size) / 2**20:>8.1f}", flush=True)
                if result.get("plan_seconds"):
                    print(f"{'':>24} (the dunning run that queued them: {result['plan_seconds']} s; "
                          f"states {result['states']})", flush=True)
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except console.Fatal as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(2)
