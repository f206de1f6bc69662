"""Sending reminders against real, committed transactions: two Odoo processes sending at once, a
user's Send beside the cron, a process that dies half-way, and the nightly cron itself.

Standalone scripts (run after the test suite by ``test_module_operations.py``): they need commits,
several transactions and other processes, which regular test cases forbid. The emails go to a real
SMTP server on loopback through Odoo's own mail queue.
"""

import logging
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import odoo
from odoo import Command, api, fields
from odoo.tests import standalone
from odoo.tools import config, mute_logger

from .loopback_smtp import LoopbackSMTP

CHILD_TIMEOUT = 600


def _customers_with_open_invoices(env, prefix, count, days_late=3):
    company = env.ref("base.main_company")
    today = fields.Date.context_today(env.user)
    partners = env["res.partner"].create([
        {"name": f"{prefix} {n}", "is_company": True, "email": f"{prefix.lower()}.{n}@example.com"}
        for n in range(count)
    ])
    invoices = env["account.move"].with_company(company).create([{
        "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": fields.Date.subtract(today, days=30),
        "invoice_date_due": fields.Date.subtract(today, days=days_late),
        "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 100.0, "tax_ids": []})],
    } for partner in partners])
    invoices.action_post()
    return partners


def _queued_reminders(env, prefix, count):
    """``count`` queued reminders, committed, for new customers named after ``prefix``: the only ones queued."""
    env["dunning.communication"].search([("state", "=", "queued")])._set_state("cancelled")
    partners = _customers_with_open_invoices(env, prefix, count)
    company = env.ref("base.main_company")
    run = env["dunning.run"].with_company(company).create({
        "company_id": company.id, "partner_ids": [Command.set(partners.ids)],
    })
    run.action_run()
    communications = run.communication_ids
    assert len(communications) == count and set(communications.mapped("state")) == {"queued"}, communications
    env.cr.commit()
    return communications


@contextmanager
def _loopback_mail_server(env):
    """Odoo's emails go to a real SMTP server on loopback for the block, which yields it."""
    smtp = LoopbackSMTP().start()
    server = env["ir.mail_server"].create({
        "name": "Loopback (sending tests)", "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "sequence": 0,
        "smtp_encryption": "none", "smtp_authentication": "login",
    })
    env.cr.commit()
    try:
        yield smtp
    finally:
        env.cr.rollback()
        smtp.stop()
        server.unlink()
        env.cr.commit()


def _mails_of(env, communications):
    return env["mail.mail"].search([("model", "=", "dunning.communication"), ("res_id", "in", communications.ids)])


def _deliver(env, communications):
    """Odoo's mail queue, as its cron runs it, for the emails of these reminders."""
    env["mail.mail"].process_email_queue(email_ids=_mails_of(env, communications).ids)
    env.invalidate_all()


def _odoo_shell(env, extra_env=None):
    """Another Odoo process on this database: ``odoo shell``, reading its script on its standard input."""
    command = [sys.executable, "-m", "odoo", "shell", "--no-http", "-d", env.cr.dbname,
               f"--addons-path={','.join(config['addons_path'])}", f"--data-dir={config['data_dir']}",
               "--log-level=warn"]
    environ = {**os.environ, "PYTHONPATH": os.path.dirname(next(iter(odoo.__path__))), **(extra_env or {})}
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # noqa: S603
                            text=True, env=environ)


def _finish(process, script):
    out, err = process.communicate(script, timeout=CHILD_TIMEOUT)
    return process.returncode, out, err


def _assert_each_sent_once(env, communications, smtp):
    env.invalidate_all()
    mails = _mails_of(env, communications)
    per_communication = {c.id: len(mails.filtered(lambda m, c=c: m.res_id == c.id)) for c in communications}
    assert set(per_communication.values()) == {1}, f"emails per reminder: {per_communication}"
    assert set(communications.mapped("state")) == {"sent"}, communications.mapped("state")
    addresses = sorted(address for message in smtp.messages for address in message["to"]
                       if address in communications.partner_id.mapped("email"))
    assert addresses == sorted(communications.partner_id.mapped("email")), addresses


SEND_AT_ONCE = """
import os, pathlib, time
barrier = pathlib.Path(os.environ["DUNNING_BARRIER"])
(barrier / f"ready-{os.getpid()}").touch()
while not (barrier / "go").exists():
    time.sleep(0.005)
handled = env["dunning.communication"].sudo()._cron_send_queued(batch_size=3)
env.cr.commit()
print(f"HANDLED {handled}")
"""


@standalone("dunning_pis_sending")
def test_two_processes_send_each_reminder_once(env):
    """Two Odoo processes run the send cron at the same moment over the same queue."""
    with _loopback_mail_server(env) as smtp:
        communications = _queued_reminders(env, "Twice", 60)
        with tempfile.TemporaryDirectory() as barrier:
            children = [_odoo_shell(env, {"DUNNING_BARRIER": barrier}) for _n in range(2)]
            for child in children:
                child.stdin.write(SEND_AT_ONCE)
                child.stdin.close()
            deadline = time.monotonic() + CHILD_TIMEOUT
            while len(list(Path(barrier).glob("ready-*"))) < 2:
                assert time.monotonic() < deadline and all(c.poll() is None for c in children), "a worker died"
                time.sleep(0.05)
            (Path(barrier) / "go").touch()
            results = [(child.wait(CHILD_TIMEOUT), child.stdout.read(), child.stderr.read()) for child in children]
        handled = []
        for code, out, err in results:
            assert code == 0 and "HANDLED" in out, f"exit {code}: {out[-2000:]} {err[-4000:]}"
            assert "Traceback" not in err and " ERROR " not in err, err[-4000:]
            handled.append(int(out.rsplit("HANDLED", 1)[1].split()[0]))
        assert sum(handled) == len(communications), handled
        assert all(handled), f"both workers sent some, at the same time: {handled}"
        env.cr.rollback()
        _deliver(env, communications)
        _assert_each_sent_once(env, communications, smtp)


DIE_HALF_WAY = """
import os
from odoo.addons.dunning_pis.models.dunning_communication import DunningCommunication
send = DunningCommunication._send
batches = []

def send_then_die(self):
    handled = send(self)
    batches.append(handled)
    if len(batches) == 2:
        os._exit(9)  # the process dies: its second batch was sent but never committed
    return handled

DunningCommunication._send = send_then_die
env["dunning.communication"].sudo()._cron_send_queued(batch_size=3)
"""


@standalone("dunning_pis_sending")
def test_a_worker_that_dies_half_way_loses_nothing_and_sends_nothing_twice(env):
    with _loopback_mail_server(env) as smtp:
        communications = _queued_reminders(env, "Crash", 8)
        code, out, err = _finish(_odoo_shell(env), DIE_HALF_WAY)
        assert code == 9, f"exit {code}: {out[-2000:]} {err[-4000:]}"
        env.cr.rollback()
        states = sorted(communications.mapped("state"))
        assert states == ["queued"] * 5 + ["sending"] * 3, states
        assert len(_mails_of(env, communications)) == 3, "only the committed batch has its emails"
        handled = env["dunning.communication"]._cron_send_queued()
        assert handled == 5, handled
        _deliver(env, communications)
        _assert_each_sent_once(env, communications, smtp)


class _Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def _captured_log(name):
    """What logger ``name`` says in the block, from INFO up."""
    captured, logger = _Captured(), logging.getLogger(name)
    logger.addHandler(captured)
    try:
        yield captured
    finally:
        logger.removeHandler(captured)


@standalone("dunning_pis_sending")
def test_a_users_send_and_the_cron_at_once_send_once(env):
    """A user's *Send now* holds its reminders until it commits: the cron leaves them alone. A cron whose
    snapshot is older than the user's commit loses the race: rolled back, it finds them sent."""
    registry = env.registry
    with _loopback_mail_server(env) as smtp, \
            _captured_log("odoo.addons.dunning_pis.models.dunning_communication") as captured:
        held = _queued_reminders(env, "Held", 2)
        with registry.cursor() as cr_user, registry.cursor() as cr_cron:
            api.Environment(cr_user, api.SUPERUSER_ID, {})["dunning.communication"].browse(held.ids).action_send()
            handled = api.Environment(cr_cron, api.SUPERUSER_ID, {})["dunning.communication"]._cron_send_queued()
            assert handled == 0, f"the cron sent what the user holds: {handled}"
            cr_user.commit()

        raced = _queued_reminders(env, "Raced", 2)
        with registry.cursor() as cr_user, registry.cursor() as cr_cron:
            cron_env = api.Environment(cr_cron, api.SUPERUSER_ID, {})
            cron_env["dunning.communication"].search_count([])  # the cron's snapshot, before the user's commit
            api.Environment(cr_user, api.SUPERUSER_ID, {})["dunning.communication"].browse(raced.ids).action_send()
            cr_user.commit()
            handled = cron_env["dunning.communication"]._cron_send_queued()
            cr_cron.commit()
            assert handled == 0, handled
        assert any("lost a race" in message for message in captured.messages), captured.messages
        env.cr.rollback()
        _deliver(env, held | raced)
        _assert_each_sent_once(env, held | raced, smtp)


@standalone("dunning_pis_sending")
def test_the_nightly_cron_sends_around_a_broken_level_and_writes_french(env):
    """The daily cron as Odoo's scheduler runs it: a reminder whose level has no template for its tone is
    in error, the others go out, the cron reports success, and the chatter is in the French company's
    language although the cron's user and the customers speak English."""
    company = env.ref("base.main_company")
    env["res.lang"]._activate_lang("fr_FR")
    former = {"lang": company.partner_id.lang, "auto_run": company.dunning_auto_run,
              "last_run": company.dunning_last_run_date}
    env["res.company"].search([]).dunning_auto_run = False
    company.write({"dunning_auto_run": True, "dunning_last_run_date": False})
    company.partner_id.lang = "fr_FR"
    try:
        with _loopback_mail_server(env) as smtp:
            healthy = _customers_with_open_invoices(env, "Nightly", 3)
            broken = _customers_with_open_invoices(env, "Untemplated", 1)
            policy = env.ref("dunning_pis.policy_france").copy({"name": "Without firm templates"})
            policy.level_ids.write({"template_firm_id": False, "template_standard_id": False})
            broken.write({"dunning_tone": "firm"})
            broken.with_company(company).dunning_policy_id = policy
            env["dunning.communication"].search([("state", "=", "queued")])._set_state("cancelled")
            env.cr.commit()
            cron = env.ref("dunning_pis.ir_cron_dunning_daily")
            assert cron.user_id == env.ref("base.user_root") and cron.user_id.lang == "en_US"
            cron.method_direct_trigger()
            env.cr.commit()  # a snapshot that sees what the job committed in its own transaction
            env.invalidate_all()
            assert cron.failure_count == 0 and cron.active
            ours = env["dunning.communication"].search([("partner_id", "in", (healthy | broken).ids)])
            failed = ours.filtered(lambda c: c.partner_id == broken)
            assert failed.state == "error", failed.state
            assert "n'a pas de modèle d'e-mail pour son ton" in failed.error_message, failed.error_message
            sent = ours - failed
            assert set(sent.mapped("state")) == {"sending"}, sent.mapped("state")
            _deliver(env, sent)
            _assert_each_sent_once(env, sent, smtp)
            invoice = env["account.move"].search([("partner_id", "=", healthy[0].id)])
            assert "Relance « 1 jour de retard » envoyée par e-mail" in invoice.message_ids[0].body, \
                invoice.message_ids[0].body
            assert "did our invoice slip through?" in smtp.messages[0]["subject"], "in the customer's language"
    finally:
        company.write({"dunning_auto_run": former["auto_run"], "dunning_last_run_date": former["last_run"]})
        company.partner_id.lang = former["lang"]
        env.cr.commit()


@standalone("dunning_pis_sending")
def test_the_nightly_cron_goes_on_when_a_company_fails(env):
    """One company's run fails in a way nobody foresaw (here: planning raises): what it committed stays,
    it says so on its run, the next company still gets its reminders and the cron reports no failure."""
    company = env.ref("base.main_company")
    former = {"auto_run": company.dunning_auto_run, "last_run": company.dunning_last_run_date}
    env["res.company"].search([]).dunning_auto_run = False
    failing = env["res.company"].search([("name", "=", "Failing Co")]) or env["res.company"].create({
        "name": "Failing Co", "sequence": 0})
    failing.dunning_auto_run = True
    company.write({"dunning_auto_run": True, "dunning_last_run_date": False})
    Run = type(env["dunning.run"])
    plan = Run._plan

    def plan_or_fail(run):
        if run.company_id == failing:
            raise RuntimeError("planning broke")
        return plan(run)

    Run._plan = plan_or_fail
    try:
        with _loopback_mail_server(env) as smtp:
            healthy = _customers_with_open_invoices(env, "Resilient", 2)
            env["dunning.communication"].search([("state", "=", "queued")])._set_state("cancelled")
            env.cr.commit()
            cron = env.ref("dunning_pis.ir_cron_dunning_daily")
            with mute_logger("odoo.addons.dunning_pis.models.dunning_run"):
                cron.method_direct_trigger()
            env.cr.commit()
            env.invalidate_all()
            assert cron.failure_count == 0 and cron.active
            failed_run = env["dunning.run"].search([("company_id", "=", failing.id)])
            assert failed_run.state == "draft" and "planning broke" in failed_run.message_ids[0].body, \
                failed_run.message_ids.mapped("body")
            sent = env["dunning.communication"].search([("partner_id", "in", healthy.ids)])
            assert len(sent) == 2 and set(sent.mapped("state")) == {"sending"}, sent.mapped("state")
            _deliver(env, sent)
            _assert_each_sent_once(env, sent, smtp)
    finally:
        Run._plan = plan
        failing.dunning_auto_run = False
        company.write({"dunning_auto_run": former["auto_run"], "dunning_last_run_date": former["last_run"]})
        env.cr.commit()
