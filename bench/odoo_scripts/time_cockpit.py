"""Odoo shell script: time the cockpit's figures of the main company, beside Odoo's own floor.

Each measure is the median of three runs, with its SQL queries; the aged balance's query plan is written to
BENCH_PLAN. Prints the results as JSON.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
import statistics
import time
from decimal import Decimal

from odoo import fields, sql_db
from odoo.tools import SQL

from odoo.addons.dunning_pis.models.dunning_ledger_report import without_jit
from odoo.addons.dunning_pis.receivables.payment_behaviour import Behaviour, assess

company = env.ref("base.main_company")
env = env(context={**env.context, "allowed_company_ids": company.ids})
today = fields.Date.context_today(env.user)
Aged = env["dunning.aged.balance"].with_company(company)
Behaviours = env["dunning.payment.behaviour"].with_company(company)
results = {}


def timed(name, function, runs=3):
    seconds, queries = [], 0
    for _run in range(runs):
        env.invalidate_all()
        before, started = sql_db.sql_counter, time.monotonic()
        value = function()
        seconds.append(time.monotonic() - started)
        queries = sql_db.sql_counter - before
    results[name] = {"seconds": round(statistics.median(seconds), 3), "queries": queries}
    return value


def fetch(query):
    """A statement of the payment figures, run as the addon runs them (without JIT compilation)."""
    with without_jit(env.cr):
        env.cr.execute(query)
        return env.cr.fetchall()


cr = env.cr
cr.execute("SELECT COUNT(*) FROM account_move_line aml JOIN account_account a ON a.id = aml.account_id "
           "WHERE a.account_type = 'asset_receivable' AND NOT aml.reconciled AND aml.company_id = %s", [company.id])
results["open_receivable_lines"] = cr.fetchone()[0]
cr.execute("SELECT COUNT(*) FROM account_partial_reconcile")
results["partial_reconciliations"] = cr.fetchone()[0]
cr.execute("SELECT COUNT(*) FROM dunning_line WHERE state = 'sent'")
results["reminder_lines_sent"] = cr.fetchone()[0]
cr.execute("SELECT current_setting('jit')")
results["postgresql_jit"] = cr.fetchone()[0]

# Aged balance: the dashboard's buckets, the pivot per customer and age, a list page; against the Python
# definition it reproduces (the customers' positions) and Odoo's floor (open receivable per customer).
buckets = timed("aged_balance_by_age", lambda: Aged._read_group([], ["bucket"], ["net_amount:sum"]))
pivot = timed("aged_balance_by_customer_and_age",
              lambda: Aged._read_group([], ["partner_id", "bucket"], ["net_amount:sum"]))
timed("aged_balance_list_page", lambda: Aged.web_search_read(
    [("overdue_amount", ">", 0)], {"partner_id": {"fields": {"display_name": {}}}, "move_id": {"fields": {
        "display_name": {}}}, "due_date": {}, "bucket": {}, "net_amount": {}}, limit=80, count_limit=10001))
positions = timed("reference_dunning_positions_python",
                  lambda: env["account.move.line"]._dunning_positions(company, today), runs=1)
timed("odoo_floor_receivable_by_customer", lambda: env["account.move.line"]._read_group(
    [("company_id", "=", company.id), ("account_type", "=", "asset_receivable"), ("reconciled", "=", False),
     ("parent_state", "=", "posted")], ["partner_id"], ["amount_residual:sum"]))
results["aged_balance_customers"] = len({partner for partner, _bucket, _amount in pivot})
results["aged_balance_total"] = round(sum(amount for _bucket, amount in buckets), 2)


def net_total(positions):
    """What the positions say the aged balance adds up to: what is left on the items, less the credits' rest."""
    total = Decimal(0)
    for position in positions.values():
        for item in position.items:
            total += position.claimed(item) if item["claimable"] else \
                item["residual"] - position.transit.get(item["id"], Decimal(0))
        used = sum((amount for parts in position.allocation.parts.values() for _key, _day, amount in parts),
                   Decimal(0))
        total -= sum((credit["residual"] for credit in position.credits), Decimal(0)) - used
    return float(total)


results["positions_total"] = round(net_total(positions), 2)

# DSO: every customer's today, and the company's twelve months.
dso = timed("dso_per_customer", lambda: fetch(Behaviours._dso_sql(company, [today])))
timed("dso_company_twelve_months",
      lambda: fetch(Behaviours._dso_sql(company, Behaviours._trend_points(today), per_customer=False)))
results["dso_customers"] = len(dso)

# Profiles: the figures they follow from (not the DSO), in the refresh's statement, and the profile each gives.
thresholds = company._dunning_profile_thresholds()


def profiles():
    rows = fetch(Behaviours._figures_sql(company, today))
    return [assess(Behaviour(*(Decimal(str(value)) for value in row[3:])), thresholds) for row in rows]


timed("profiles_figures_and_assessment", profiles)

# The nightly refresh, the first time (every trust set) and again (nothing changes).
timed("nightly_refresh_first", lambda: Behaviours._refresh(company, today), runs=1)
timed("nightly_refresh_again", lambda: Behaviours._refresh(company, today), runs=1)
# What lists, filters and the customer form read once the refresh has stored the figures.
stored = timed("profiles_stored_by_profile", lambda: Behaviours._read_group([], ["profile"], ["__count"]))
results["profiles"] = {str(value): count for value, count in stored}
timed("dashboard", lambda: env["dunning.dashboard"].search([]).read(
    [name for name, field in env["dunning.dashboard"]._fields.items() if field.compute]), runs=1)

plan = fetch(SQL("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT bucket, SUM(net_amount) FROM %s rows GROUP BY bucket",
                 Aged._table_sql))
with open(os.environ["BENCH_PLAN"], "w", encoding="utf-8") as handle:
    handle.write("\n".join(line for (line,) in plan) + "\n")
env.cr.rollback()
print(json.dumps(results))
