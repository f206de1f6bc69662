"""``make demo``: Odoo 19 with the addon and its demo data on http://127.0.0.1:8069 (admin / admin).

The demo database is copied from the cached base database and the addon installed once; later runs
only update the addon when its files changed, so running it again is fast and keeps the data.
"""

import hashlib
import re
import socket
import subprocess
import time

from . import console, system_packages, venv
from .odoo_run import embedded_odoo
from .paths import ADDON, REPO, STATE

DEMO_DB = "dunning_demo"
PORT = 8069
SMTP_PORT = 1025
OUTBOX_PORT = 8025
OUTBOX = STATE / "outbox"
BANK_CLIENT = ("demo-pisp", "demo-client-secret")  # as registered in the demo directory
NO_ODOO = """No Odoo 19 found, so there is nothing to serve. Provide an Odoo 19 source tree and run again:
    ODOO_SRC=/path/to/odoo-19 make demo
(the tree holds odoo-bin, odoo/ and addons/; it is remembered for this machine), or install an
importable odoo 19 package into .venv. See the README, section "Giving it Odoo 19"."""
SUMMARY = """
company = env.ref("base.main_company")
moves = env["account.move"].search([
    ("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
])
today = odoo.fields.Date.context_today(env.user)
open_moves = moves.filtered(lambda m: m.payment_state in ("not_paid", "partial"))
overdue = open_moves.filtered(lambda m: m.invoice_date_due and m.invoice_date_due < today)
print(f"company: {company.name} ({company.currency_id.name}, chart {company.chart_template})")
print(f"customers with invoices: {len(moves.partner_id.commercial_partner_id)}")
print(f"posted customer invoices: {len(moves)}, open: {len(open_moves)}, "
      f"partly paid: {len(open_moves.filtered(lambda m: m.payment_state == 'partial'))}, overdue: {len(overdue)}")
print(f"open amount: {sum(open_moves.mapped('amount_residual')):.2f} {company.currency_id.name}")
"""


PAY_BY_BANK = """
import pathlib
company = env.ref("base.main_company")
if not company.partner_id.bank_ids:
    env["res.partner.bank"].create({"acc_number": "FR7630006000011234567890189", "partner_id": company.partner_id.id})
provider = env.ref("dunning_pis.payment_provider_pay_by_bank")
service = "%(service)s"
provider.write({
    "state": "test", "is_published": True, "company_id": company.id, "pay_by_bank_service": service,
    "pay_by_bank_signing_key": pathlib.Path("%(key)s").read_text(),
    "pay_by_bank_signing_certificate": pathlib.Path("%(certificate)s").read_text(),
    "pay_by_bank_service_url": "%(service_url)s" or False,
    "pay_by_bank_fintecture_app_id": "demo-app", "pay_by_bank_fintecture_app_secret": "demo-app-secret",
    "pay_by_bank_fintecture_private_key": pathlib.Path("%(app_key)s").read_text(),
    "pay_by_bank_gocardless_access_token": "demo-access-token",
    "pay_by_bank_gocardless_webhook_secret": "demo-webhook-secret",
})
if service == "banks":
    for bank in provider.pay_by_bank_aspsp_ids:
        print(f"pay by bank: {bank.name} ({bank.standard}) at {bank.api_url}")
else:
    print(f"pay by bank through {service}: its sandbox at {provider.pay_by_bank_service_url}")
env.cr.commit()
print(f"KEY_ID={provider.pay_by_bank_signing_certificate_url or provider.pay_by_bank_published_certificate_url}")
print(f"WEBHOOK={provider.pay_by_bank_webhook_url}")
"""

# The demo directory's two sandbox banks (dunning_pis/demo/pay_by_bank_demo.xml): standard, port, name.
SANDBOX_BANKS = (("stet", 8070, "Banque Démo Paris"), ("berlin_group", 8071, "Demo Bank Berlin"))
# The contracted services' sandboxes: port, and what `make demo SERVICE=…` starts.
SERVICE_PORTS = {"gocardless": 8072, "fintecture": 8073}
SERVICES = ("banks", *SERVICE_PORTS)


SENDING = """
company = env.ref("base.main_company")
Server = env["ir.mail_server"].sudo()
server = Server.search([("name", "=", "Demo outbox")]) or Server.create({"name": "Demo outbox",
                                                                        "smtp_host": "127.0.0.1"})
server.write({"smtp_host": "127.0.0.1", "smtp_port": %(smtp_port)d, "smtp_encryption": "none", "sequence": 0})
env["ir.config_parameter"].sudo().set_param("sms.endpoint", "http://127.0.0.1:%(outbox_port)d")
if env["res.lang"]._lang_get("fr_FR"):
    company.partner_id.lang = "fr_FR"  # what the crons write in the chatter is French
env.cr.commit()
Run = env["dunning.run"].with_company(company)
today = odoo.fields.Date.context_today(env.user)
if not Run.search_count([("company_id", "=", company.id), ("date", "=", today)]):
    Run.create({"company_id": company.id}).action_run()
    env.cr.commit()
env["dunning.communication"]._cron_send_queued()
env["mail.mail"].process_email_queue()
env["sms.sms"]._process_queue()
env.cr.commit()
todays = env["dunning.communication"].search([("company_id", "=", company.id), ("date", "=", today)])
counts = {label: len(todays.filtered(lambda c, s=state: c.state == s)) for state, label in (
    ("sent", "sent"), ("to_validate", "to validate"), ("sending", "still sending"), ("error", "in error"))}
print("today's reminders: " + ", ".join(f"{count} {label}" for label, count in counts.items()))
print(f"in error, all the demo: {env['dunning.communication'].search_count([('state', '=', 'error')])}")
"""


def _sandbox_identity():
    """The demo's QSEAL stand-in, made once: (key file, certificate file)."""
    key, certificate = STATE / "sandbox-qseal.key", STATE / "sandbox-qseal.pem"
    if not key.exists() or not certificate.exists():
        code = ("import sys; from sandboxes.certificates import make_identity; key, cert = make_identity('Demo PISP'); "
                "open(sys.argv[1], 'w').write(key); open(sys.argv[2], 'w').write(cert)")
        subprocess.run([str(venv.python()), "-c", code, str(key), str(certificate)], cwd=REPO, check=True)
        key.chmod(0o600)
    return key, certificate


def _fintecture_application():
    """The demo's Fintecture application key, made once: (private key file, public key file)."""
    private, public = STATE / "sandbox-fintecture.key", STATE / "sandbox-fintecture.pub"
    if not private.exists() or not public.exists():
        code = ("import sys; from cryptography.hazmat.primitives import serialization as s; "
                "from cryptography.hazmat.primitives.asymmetric import rsa; "
                "k = rsa.generate_private_key(public_exponent=65537, key_size=2048); "
                "open(sys.argv[1], 'wb').write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, "
                "s.NoEncryption())); open(sys.argv[2], 'wb').write(k.public_key().public_bytes(s.Encoding.PEM, "
                "s.PublicFormat.SubjectPublicKeyInfo))")
        subprocess.run([str(venv.python()), "-c", code, str(private), str(public)], cwd=REPO, check=True)
        private.chmod(0o600)
    return private, public


def _configure_pay_by_bank(runner, service):
    """The provider in test mode through ``service`` (the banks with the demo's QSEAL, or a contracted
    service's sandbox); returns (certificate file, the keyId STET banks see, the webhook URL)."""
    key, certificate = _sandbox_identity()
    app_key, _public = _fintecture_application()
    service_url = f"http://127.0.0.1:{SERVICE_PORTS[service]}" if service in SERVICE_PORTS else ""
    output = runner.shell(DEMO_DB, PAY_BY_BANK % {"key": key, "certificate": certificate, "service": service,
                                                  "service_url": service_url, "app_key": app_key},
                          "demo-pay-by-bank")
    key_id = re.search(r"^KEY_ID=(\S+)$", output, re.MULTILINE)
    webhook = re.search(r"^WEBHOOK=(\S+)$", output, re.MULTILINE)
    print(re.sub(r"^(KEY_ID|WEBHOOK)=.*\n?", "", output, flags=re.MULTILINE), end="", flush=True)
    return certificate, key_id.group(1) if key_id else "", webhook.group(1) if webhook else ""


def _start_service_sandbox(service, webhook):
    port = SERVICE_PORTS[service]
    if not _port_free(port):
        raise console.Fatal(f"port {port} ({service}'s sandbox) is taken: stop what listens there, then run again")
    if service == "fintecture":
        arguments = ["--app-id", "demo-app", "--app-secret", "demo-app-secret",
                     "--public-key", str(_fintecture_application()[1])]
    else:
        arguments = ["--access-token", "demo-access-token", "--webhook-secret", "demo-webhook-secret"]
    return subprocess.Popen([str(venv.python()), "-m", f"sandboxes.{service}", "--port", str(port), *arguments,
                             "--webhook-url", webhook], cwd=REPO)


def _start_sandbox_banks(certificate, key_id):
    banks = []
    for standard, port, name in SANDBOX_BANKS:
        if not _port_free(port):
            raise console.Fatal(f"port {port} ({name}) is taken: stop what listens there, then run again")
        banks.append(subprocess.Popen(
            [str(venv.python()), "-m", "sandboxes.bank", "--standard", standard, "--port", str(port), "--name", name,
             "--client-id", BANK_CLIENT[0], "--client-secret", BANK_CLIENT[1], "--certificate", str(certificate),
             "--key-id", key_id],
            cwd=REPO,
        ))
    return banks


def _start_outbox():
    for port in (SMTP_PORT, OUTBOX_PORT):
        if not _port_free(port):
            raise console.Fatal(f"port {port} (the demo's outbox) is taken: stop what listens there, then run again")
    outbox = subprocess.Popen(
        [str(venv.python()), "-m", "devkit.demo_outbox", "--folder", str(OUTBOX), "--smtp-port", str(SMTP_PORT),
         "--http-port", str(OUTBOX_PORT)], cwd=REPO,
    )
    for _attempt in range(100):
        if not _port_free(OUTBOX_PORT) and not _port_free(SMTP_PORT):
            return outbox
        if outbox.poll() is not None:
            break
        time.sleep(0.1)
    outbox.terminate()
    raise console.Fatal("the demo's outbox did not start")


def _send_todays_reminders(runner):
    """Today's run, its reminders sent through Odoo's queues to the outbox, and where to read them."""
    script = SENDING % {"smtp_port": SMTP_PORT, "outbox_port": OUTBOX_PORT}
    print(runner.shell(DEMO_DB, script, "demo-sending"), end="", flush=True)
    emails, sms = len(list((OUTBOX / "mail").glob("*.eml"))), len(list((OUTBOX / "sms").glob("*.json")))
    print(f"outbox: {emails} emails in {OUTBOX / 'mail'} (.eml files), {sms} SMS in {OUTBOX / 'sms'}; "
          f"listed on http://127.0.0.1:{OUTBOX_PORT} while make demo serves", flush=True)


def addon_digest():
    digest = hashlib.sha256()
    for path in sorted(ADDON.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ADDON)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _prepare_database(runner):
    stamp = STATE / f"{DEMO_DB}.addon-digest"
    digest = addon_digest()
    if not runner.cluster.database_exists(DEMO_DB):
        template = runner.ensure_template()
        console.step(f"creating the demo database {DEMO_DB} with {ADDON.name} and its demo data")
        runner.copy_database(template, DEMO_DB)
        action = ["-i", ADDON.name]
    elif not stamp.exists() or stamp.read_text() != digest:
        console.step(f"updating {ADDON.name} in {DEMO_DB}: its files changed")
        action = ["-u", ADDON.name]
    else:
        return
    code, summary, logfile = runner.run(
        [*runner.server_options(), "-d", DEMO_DB, *action, "--stop-after-init"], "demo-install",
    )
    if code or summary.problems:
        raise console.Fatal(f"installing {ADDON.name} in the demo database went wrong; see {logfile}")
    stamp.write_text(digest)


def main(serve, service="banks"):
    with embedded_odoo(NO_ODOO) as runner:
        console.step(f"Odoo 19 from {runner.install.origin}")
        system_packages.ensure()
        _prepare_database(runner)
        print(runner.shell(DEMO_DB, SUMMARY, "demo-summary"), end="", flush=True)
        certificate, key_id, webhook = _configure_pay_by_bank(runner, service)
        outbox = _start_outbox()
        try:
            _send_todays_reminders(runner)
            if not serve:
                return 0
            if not _port_free(PORT):
                raise console.Fatal(f"port {PORT} is taken: stop what listens there, then run make demo again")
            if service in SERVICE_PORTS:
                banks = [_start_service_sandbox(service, webhook)]
                where = f"{service}'s sandbox on http://127.0.0.1:{SERVICE_PORTS[service]}"
            else:
                banks = _start_sandbox_banks(certificate, key_id)
                where = "sandbox banks on " + ", ".join(f"http://127.0.0.1:{port}" for _s, port, _n in SANDBOX_BANKS)
            console.step(f"serving http://127.0.0.1:{PORT} (login admin / admin), {where}, "
                         f"what the demo sends on http://127.0.0.1:{OUTBOX_PORT}; Ctrl-C stops")
            options = [opt for opt in runner.server_options() if not opt.startswith(("--http-port", "--max-cron"))]
            command = runner.install.odoo(*options, f"--http-port={PORT}", "-d", DEMO_DB,
                                          f"--db-filter=^{DEMO_DB}$", "--max-cron-threads=1")
            try:
                return subprocess.run(command, env=runner.environ(), check=False).returncode
            except KeyboardInterrupt:
                return 0
            finally:
                for bank in banks:
                    bank.terminate()
        finally:
            outbox.terminate()
            outbox.wait()
