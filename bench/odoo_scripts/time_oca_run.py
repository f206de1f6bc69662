"""Odoo shell script: time OCA account_credit_control's run on the same data (credit lines only).

Its default "3 time policy" is given the company's receivable accounts, as a user would.
Prints seconds, SQL queries and the process's peak RSS as JSON.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import resource
import time

from odoo import fields, sql_db

company = env.ref("base.main_company")
policy = env.ref("account_credit_control.credit_control_3_time")
receivable = env["account.account"].search([("account_type", "=", "asset_receivable"),
                                            ("company_ids", "in", company.ids)])
policy.account_ids = receivable
company.credit_policy_id = policy
run = env["credit.control.run"].with_company(company).create({
    "date": fields.Date.context_today(env.user), "company_id": company.id, "policy_ids": [(6, 0, policy.ids)],
})
env.cr.commit()
queries, started = sql_db.sql_counter, time.monotonic()
run.generate_credit_lines()
env.cr.commit()
seconds, queries = time.monotonic() - started, sql_db.sql_counter - queries
print(json.dumps({
    "tool": "account_credit_control", "seconds": round(seconds, 2), "queries": queries,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "lines": len(run.line_ids),
}))
