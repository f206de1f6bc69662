"""Odoo shell script: N customers and M posted, open customer invoices for the main company.

One customer, one invoice and one credit note are made through the ORM, then cloned row by row in
SQL, so that 100k invoices take seconds: due dates spread from 30 days ahead to 120 days behind,
customers in turn; one customer in ten also has an open credit note of 300 matched with nothing, so
that a run nets credits against what is due. Parameters come from the environment: BENCH_CUSTOMERS,
BENCH_INVOICES, and optionally BENCH_DUE_DAYS_AGO, to have every invoice due that many days ago
instead.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
import time

from odoo import Command, fields

customers, invoices = int(os.environ["BENCH_CUSTOMERS"]), int(os.environ["BENCH_INVOICES"])
due_days_ago = os.environ.get("BENCH_DUE_DAYS_AGO")
company = env.ref("base.main_company")
today = fields.Date.context_today(env.user)
started = time.monotonic()

template_partner = env["res.partner"].create({"name": "Bench template", "is_company": True,
                                               "email": "bench@example.com"})
template_move = env["account.move"].with_company(company).create({
    "move_type": "out_invoice", "partner_id": template_partner.id, "invoice_date": today,
    "invoice_date_due": today, "name": "BENCH/0000000",
    "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 500.0, "tax_ids": []})],
})
template_move.action_post()
template_refund = env["account.move"].with_company(company).create({
    "move_type": "out_refund", "partner_id": template_partner.id, "invoice_date": today, "name": "RBENCH/000000",
    "invoice_line_ids": [Command.create({"name": "Credit", "price_unit": 300.0, "tax_ids": []})],
})
template_refund.action_post()
env.flush_all()
cr = env.cr


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


clone("res_partner", template_partner.id, f"generate_series(1, {customers}) g", {
    "name": "'Bench customer ' || lpad(g::text, 6, '0')",
    "complete_name": "'Bench customer ' || lpad(g::text, 6, '0')",
    "ref": "'BENCH-' || g::text",
    "email": "'customer' || g::text || '@example.com'",
})
cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE ref LIKE 'BENCH-%'")
cr.execute("CREATE TEMP TABLE bench_customer AS SELECT id, substr(ref, 7)::int AS g FROM res_partner "
           "WHERE ref LIKE 'BENCH-%'")
cr.execute(f"""
    CREATE TEMP TABLE bench_invoice AS
    SELECT n AS g, nextval('account_move_id_seq') AS move_id,
           'BENCH/' || lpad(n::text, 7, '0') AS name,
           c.id AS partner_id,
           %s::date + {f"-{int(due_days_ago)}" if due_days_ago else "(30 - (n - 1) %% 151)"} AS due
      FROM generate_series(1, {invoices}) n
      JOIN bench_customer c ON c.g = (n - 1) %% {customers} + 1
""", [today])
clone("account_move", template_move.id, "bench_invoice b", {
    "id": "b.move_id", "name": "b.name", "partner_id": "b.partner_id", "commercial_partner_id": "b.partner_id",
    "invoice_date_due": "b.due", "invoice_date": "b.due - 30", "date": "b.due - 30",
    "sequence_prefix": "'BENCH/'", "sequence_number": "b.g", "payment_reference": "b.name",
})
line_cols = columns("account_move_line")
exprs = [{
    "move_id": "b.move_id", "partner_id": "b.partner_id", "move_name": "b.name",
    "date": "b.due - 30", "invoice_date": "b.due - 30",
    "date_maturity": "CASE WHEN t.date_maturity IS NULL THEN NULL ELSE b.due END",
}.get(col, f't."{col}"') for col in line_cols]
cr.execute(f"""
    INSERT INTO account_move_line ({', '.join(f'"{c}"' for c in line_cols)})
    SELECT {', '.join(exprs)} FROM account_move_line t, bench_invoice b WHERE t.move_id = %s
""", [template_move.id])
cr.execute("""
    CREATE TEMP TABLE bench_refund AS
    SELECT c.g, nextval('account_move_id_seq') AS move_id, 'RBENCH/' || lpad(c.g::text, 6, '0') AS name,
           c.id AS partner_id, %s::date - 20 AS day
      FROM bench_customer c WHERE c.g %% 10 = 0
""", [today])
clone("account_move", template_refund.id, "bench_refund b", {
    "id": "b.move_id", "name": "b.name", "partner_id": "b.partner_id", "commercial_partner_id": "b.partner_id",
    "invoice_date_due": "b.day", "invoice_date": "b.day", "date": "b.day",
    "sequence_prefix": "'RBENCH/'", "sequence_number": "b.g", "payment_reference": "b.name",
})
exprs = [{
    "move_id": "b.move_id", "partner_id": "b.partner_id", "move_name": "b.name", "date": "b.day",
    "invoice_date": "b.day", "date_maturity": "CASE WHEN t.date_maturity IS NULL THEN NULL ELSE b.day END",
}.get(col, f't."{col}"') for col in line_cols]
cr.execute(f"""
    INSERT INTO account_move_line ({', '.join(f'"{c}"' for c in line_cols)})
    SELECT {', '.join(exprs)} FROM account_move_line t, bench_refund b WHERE t.move_id = %s
""", [template_refund.id])
cr.execute("ANALYZE account_move; ANALYZE account_move_line; ANALYZE res_partner")
env.cr.commit()
print(json.dumps({"customers": customers, "invoices": invoices, "seconds": round(time.monotonic() - started, 1)}))
