"""Odoo shell script: how many of the given invoices (BENCH_INVOICES, comma-separated ids) are paid."""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os

ids = [int(value) for value in os.environ["BENCH_INVOICES"].split(",")]
invoices = env["account.move"].browse(ids)
payments = env["account.payment"].search_count([("invoice_ids", "in", ids)])
print(json.dumps({"paid": len(invoices.filtered(lambda m: m.payment_state in ("paid", "in_payment"))),
                  "payments": payments}))
