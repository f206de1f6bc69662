"""Odoo shell script: a pay-by-bank provider through a contracted service (BENCH_SERVICE: fintecture or
gocardless) whose address is the bench's sandbox (BENCH_SERVICE_URL), and N invoices, each with a
transaction the payer approved at the service (a Fintecture session, a GoCardless billing request).

The benchmark then times what the service's webhook costs: from its POST, verified by the service's own
scheme, to a reconciled invoice, through Odoo's status read from the service. BENCH_KEY is the file of
Fintecture's application key. Prints the transactions and the webhook URL as JSON.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
from pathlib import Path

from odoo import Command, fields

count, service = int(os.environ["BENCH_N"]), os.environ["BENCH_SERVICE"]
company = env.ref("base.main_company")
provider = env.ref("dunning_pis.payment_provider_pay_by_bank").with_company(company)
if service == "fintecture":
    credentials = {"pay_by_bank_fintecture_app_id": "bench-app", "pay_by_bank_fintecture_app_secret": "bench-secret",
                   "pay_by_bank_fintecture_private_key": Path(os.environ["BENCH_KEY"]).read_text()}
else:
    credentials = {"pay_by_bank_gocardless_access_token": "bench-token",
                   "pay_by_bank_gocardless_webhook_secret": "bench-webhook-secret"}
provider.write({"state": "test", "company_id": company.id, "pay_by_bank_service": service,
                "pay_by_bank_service_url": os.environ["BENCH_SERVICE_URL"], **credentials})
customer = env["res.partner"].create({"name": "Bench payer", "is_company": True, "email": "payer@example.com"})
today = fields.Date.context_today(env.user)
invoices = env["account.move"].with_company(company).create([{
    "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": today,
    "invoice_line_ids": [Command.create({"name": "Services", "price_unit": 100.0 + index, "tax_ids": []})],
} for index in range(count)])
invoices.action_post()
method = provider._pay_by_bank_method()
transactions = env["payment.transaction"].create([{
    "provider_id": provider.id, "payment_method_id": method.id,
    "reference": f"BENCH-{service[:3].upper()}-{invoice.id}",
    "amount": invoice.amount_residual, "currency_id": invoice.currency_id.id, "partner_id": customer.id,
    "operation": "online_redirect", "invoice_ids": [Command.set(invoice.ids)],
    "provider_reference": f"{'BRQ' if service == 'gocardless' else 'session'}{invoice.id:08d}",
    "pay_by_bank_status": "RCVD",
} for invoice in invoices])
env.cr.commit()
print(json.dumps({"webhook": provider.pay_by_bank_webhook_url, "transactions": [
    {"reference": tx.reference, "resource": tx.provider_reference, "amount": f"{tx.amount:.2f}",
     "invoice": tx.invoice_ids.id} for tx in transactions]}))
