"""Odoo shell script: a year of paid invoices behind the generated open ones, for the cockpit's figures.

One invoice is paid through the ORM (the register-payment wizard, on the bank journal), then cloned row by
row in SQL with its payment, its partial and full reconciliation: BENCH_PAID invoices in all, spread over
the bench customers, invoiced over the last twelve months and paid from 10 days early to 50 days late
(each customer its own lateness), so that DSO, average lateness and profiles have a history to read.
Parameters from the environment: BENCH_PAID (default: five per customer).
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
import time
from datetime import timedelta

from odoo import Command, fields

company = env.ref("base.main_company")
today = fields.Date.context_today(env.user)
started = time.monotonic()
cr = env.cr
cr.execute("SELECT COUNT(*) FROM res_partner WHERE ref LIKE 'BENCH-%'")
customers = cr.fetchone()[0]
paid = int(os.environ.get("BENCH_PAID") or customers * 5)

partner = env["res.partner"].create({"name": "Bench history template", "is_company": True})
invoice = env["account.move"].with_company(company).create({
    "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": today - timedelta(days=60),
    "invoice_date_due": today - timedelta(days=30), "name": "HIST/0000000", "invoice_payment_term_id": False,
    "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 400.0, "tax_ids": []})],
})
invoice.action_post()
payment = env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
    {"payment_date": today - timedelta(days=20)})._create_payments()
env.flush_all()
receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
paying = payment.move_id.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
partial = env["account.partial.reconcile"].search([("debit_move_id", "=", receivable.id)])
full = receivable.full_reconcile_id
assert len(receivable) == len(paying) == len(partial) == 1 and full


def columns(table):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name <> 'id'",
               [table])
    return [name for (name,) in cr.fetchall()]


def clone(table, template_id, source, overrides):
    cols = columns(table) + (["id"] if "id" in overrides else [])
    exprs = [overrides.get(col, f't."{col}"') for col in cols]
    cr.execute(f"""
        INSERT INTO "{table}" ({', '.join(f'"{c}"' for c in cols)})
        SELECT {', '.join(exprs)} FROM "{table}" t, {source} WHERE t.id = %s
    """, [template_id])


cr.execute(f"""
    CREATE TEMP TABLE bench_paid AS
    SELECT n, c.id AS partner_id,
           nextval('account_move_id_seq') AS invoice_id, nextval('account_move_id_seq') AS payment_id,
           nextval('account_move_line_id_seq') AS receivable_id, nextval('account_move_line_id_seq') AS paying_id,
           nextval('account_full_reconcile_id_seq') AS full_id,
           'HIST/' || lpad(n::text, 7, '0') AS invoice_name, 'PHIST/' || lpad(n::text, 7, '0') AS payment_name,
           %s::date - 30 - (n * 7919) %% 330 AS invoiced,
           (c.g %% 61) - 10 AS late
      FROM generate_series(1, {paid}) n
      JOIN (SELECT id, substr(ref, 7)::int AS g FROM res_partner WHERE ref LIKE 'BENCH-%%') c
           ON c.g = (n - 1) %% {customers} + 1
""", [today])
cr.execute("ALTER TABLE bench_paid ADD COLUMN due date, ADD COLUMN paid_on date")
cr.execute("UPDATE bench_paid SET due = invoiced + 30, paid_on = LEAST(invoiced + 30 + late, %s::date)", [today])
clone("account_move", invoice.id, "bench_paid b", {
    "id": "b.invoice_id", "name": "b.invoice_name", "partner_id": "b.partner_id",
    "commercial_partner_id": "b.partner_id",
    "invoice_date_due": "b.due", "invoice_date": "b.invoiced", "date": "b.invoiced", "sequence_prefix": "'HIST/'",
    "sequence_number": "b.n", "payment_reference": "b.invoice_name",
})
clone("account_move", payment.move_id.id, "bench_paid b", {
    "id": "b.payment_id", "name": "b.payment_name", "partner_id": "b.partner_id",
    "commercial_partner_id": "b.partner_id", "date": "b.paid_on", "sequence_prefix": "'PHIST/'",
    "sequence_number": "b.n", "origin_payment_id": "NULL",
})
clone("account_full_reconcile", full.id, "bench_paid b", {"id": "b.full_id"})
for template, move, line_id, day, maturity in (
        (receivable, "b.invoice_id", "b.receivable_id", "b.invoiced", "b.due"),
        (paying, "b.payment_id", "b.paying_id", "b.paid_on", "b.paid_on")):
    others = (template.move_id.line_ids - template)
    clone("account_move_line", template.id, "bench_paid b", {
        "id": line_id, "move_id": move, "partner_id": "b.partner_id", "date": day, "date_maturity": maturity,
        "invoice_date": "b.invoiced", "full_reconcile_id": "b.full_id",
        "move_name": "b.invoice_name" if move == "b.invoice_id" else "b.payment_name",
        "matching_number": "b.full_id::text", "payment_id": "NULL",
    })
    for other in others:
        clone("account_move_line", other.id, "bench_paid b", {
            "move_id": move, "partner_id": "b.partner_id", "date": day, "invoice_date": "b.invoiced",
            "date_maturity": f"CASE WHEN t.date_maturity IS NULL THEN NULL ELSE {maturity} END",
            "move_name": "b.invoice_name" if move == "b.invoice_id" else "b.payment_name", "payment_id": "NULL",
        })
clone("account_partial_reconcile", partial.id, "bench_paid b", {
    "debit_move_id": "b.receivable_id", "credit_move_id": "b.paying_id", "full_reconcile_id": "b.full_id",
    "max_date": "GREATEST(b.paid_on, b.invoiced)",
})
cr.execute("ANALYZE account_move; ANALYZE account_move_line; ANALYZE account_partial_reconcile")
env.cr.commit()
print(json.dumps({"paid": paid, "seconds": round(time.monotonic() - started, 1)}))
