"""Odoo shell script: Odoo's own "Register payment" on N invoices, one at a time, each timed to its commit.

The floor under the pay-by-bank benchmark: the same payment posted and reconciled by Odoo's wizard,
in-process (no HTTP, no bank, no transaction). The first five are not timed (warm caches).
Parameters come from the environment: BENCH_N. Prints {"latencies": [ms, ...]}.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
import time

from odoo import Command, fields

WARM_UP = 5

count = int(os.environ["BENCH_N"])
company = env.ref("base.main_company")
customer = env["res.partner"].create({"name": "Bench payer (wizard)", "is_company": True})
invoices = env["account.move"].with_company(company).create([{
    "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": fields.Date.context_today(env.user),
    "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 100.0 + index, "tax_ids": []})],
} for index in range(count + WARM_UP)])
invoices.action_post()
env.cr.commit()
latencies = []
for index, invoice in enumerate(invoices):
    env.invalidate_all()
    started = time.perf_counter()
    wizard = env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids)
    wizard.create({})._create_payments()
    env.cr.commit()
    if index >= WARM_UP:
        latencies.append((time.perf_counter() - started) * 1000)
unpaid = invoices.filtered(lambda move: move.payment_state not in ("paid", "in_payment"))
if unpaid:
    raise SystemExit(f"the wizard left {len(unpaid)} invoices unpaid")
print(json.dumps({"latencies": latencies}))
