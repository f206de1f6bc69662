"""Odoo shell script: the reminders of one dunning run, rendered and delivered through Odoo's mail queue.

Every customer has one invoice at the same level: the run queues one reminder each, the send cron renders
them into emails, and Odoo's mail queue hands them to the SMTP server on BENCH_SMTP_PORT, where they count
as delivered. Prints seconds of each phase, SQL queries and the process's peak RSS as JSON.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
import resource
import time

from odoo import sql_db

company = env.ref("base.main_company")
env["ir.mail_server"].create({"name": "Bench sink", "smtp_host": "127.0.0.1", "sequence": 0,
                              "smtp_port": int(os.environ["BENCH_SMTP_PORT"]), "smtp_encryption": "none"})
env.cr.commit()
Mail = env["mail.mail"]
started = time.monotonic()
run = env["dunning.run"].with_company(company).create({"company_id": company.id})
run.action_run()
env.cr.commit()
planned, queries = time.monotonic(), sql_db.sql_counter
sent_by_cron = env["dunning.communication"]._cron_send_queued()
rendered = time.monotonic()
while Mail.search_count([("state", "=", "outgoing")]):
    Mail.process_email_queue()
delivered = time.monotonic()
queries = sql_db.sql_counter - queries
states = dict(env["dunning.communication"]._read_group([("run_id", "=", run.id)], ["state"], ["__count"]))
print(json.dumps({
    "tool": "dunning_pis reminders", "emails": sent_by_cron, "states": states,
    "plan_seconds": round(planned - started, 1), "render_seconds": round(rendered - planned, 1),
    "deliver_seconds": round(delivered - rendered, 1), "queries": queries,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
}))
