"""Odoo shell script: time one dunning run of the main company, queueing (not sending) its reminders.

Prints seconds, SQL queries and the process's peak RSS as JSON.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import resource
import time

from odoo import sql_db

company = env.ref("base.main_company")
run = env["dunning.run"].with_company(company).create({"company_id": company.id})
env.cr.commit()
queries, started = sql_db.sql_counter, time.monotonic()
run.action_run()
env.cr.commit()
seconds, queries = time.monotonic() - started, sql_db.sql_counter - queries
env.cr.execute("SELECT COUNT(*) FROM dunning_line line JOIN dunning_communication c ON c.id = line.communication_id"
               " WHERE c.run_id = %s", [run.id])
lines = env.cr.fetchone()[0]
print(json.dumps({
    "tool": "dunning_pis", "seconds": round(seconds, 2), "queries": queries,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "communications": len(run.communication_ids), "lines": lines,
}))
