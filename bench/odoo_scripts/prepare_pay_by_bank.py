"""Odoo shell script: a pay-by-bank provider whose directory holds the bench's sandbox bank, and N invoices,
each with a transaction approved at that bank.

The transactions stand where they are once the payer approved at their bank, so that the benchmark
times what a bank's notification costs: from the bank's POST to a reconciled invoice, through Odoo's
authenticated status read from the bank (token, signature, the bank's answer checked). Parameters come
from the environment: BENCH_N, BENCH_BANK (the sandbox's address), BENCH_KEY and BENCH_CERTIFICATE (the
QSEAL files), BENCH_KEY_ID. Prints the transactions as JSON.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from odoo import Command, fields

from odoo.addons.dunning_pis.models.payment_transaction import NOTIFICATION_URL

count, bank_url = int(os.environ["BENCH_N"]), os.environ["BENCH_BANK"]
company = env.ref("base.main_company")
if not company.partner_id.bank_ids:
    env["res.partner.bank"].create({"acc_number": "FR7630006000011234567890189", "partner_id": company.partner_id.id})
provider = env.ref("dunning_pis.payment_provider_pay_by_bank").with_company(company)
provider.write({
    "state": "test", "company_id": company.id,
    "pay_by_bank_signing_key": Path(os.environ["BENCH_KEY"]).read_text(),
    "pay_by_bank_signing_certificate": Path(os.environ["BENCH_CERTIFICATE"]).read_text(),
    "pay_by_bank_signing_certificate_url": os.environ["BENCH_KEY_ID"],
})
bank = env["dunning.pay.by.bank.aspsp"].create({
    "provider_id": provider.id, "name": "Bench Bank", "country_id": env.ref("base.fr").id, "bank_codes": "99009",
    "standard": "stet", "api_url": f"{bank_url}/stet/v1", "token_url": f"{bank_url}/oauth/token",
    "client_id": "bench", "client_secret": "bench",
})
customer = env["res.partner"].create({"name": "Bench payer", "is_company": True, "email": "payer@example.com"})
today = fields.Date.context_today(env.user)
invoices = env["account.move"].with_company(company).create([{
    "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": today,
    "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 100.0 + index, "tax_ids": []})],
} for index in range(count)])
invoices.action_post()
method = provider._pay_by_bank_method()
transactions = env["payment.transaction"].create([{
    "provider_id": provider.id, "payment_method_id": method.id, "reference": f"BENCH-PBB-{invoice.id}",
    "amount": invoice.amount_residual, "currency_id": invoice.currency_id.id, "partner_id": customer.id,
    "operation": "online_redirect", "invoice_ids": [Command.set(invoice.ids)], "pay_by_bank_aspsp_id": bank.id,
    "provider_reference": f"bench{invoice.id}", "pay_by_bank_status": "ACCP",
} for invoice in invoices])
env.cr.commit()
print(json.dumps([{"reference": tx.reference, "resource": tx.provider_reference, "amount": f"{tx.amount:.2f}",
                   "invoice": tx.invoice_ids.id,
                   "notification": NOTIFICATION_URL + "?" + urlsplit(tx._pay_by_bank_url(NOTIFICATION_URL)).query}
                  for tx in transactions]))
