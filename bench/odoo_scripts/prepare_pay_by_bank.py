"""Odoo shell script: an enabled pay-by-bank provider and N invoices, each with a transaction at the bank.

The transactions stand where they are once the payer was sent to their bank (status RCVD), so that
the benchmark times what a notification of settlement costs: from the bank's POST to a reconciled
invoice. Parameters come from the environment: BENCH_N, BENCH_SECRET. Prints the transactions as JSON.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os

from odoo import Command, fields

count, secret = int(os.environ["BENCH_N"]), os.environ["BENCH_SECRET"]
company = env.ref("base.main_company")
if not company.partner_id.bank_ids:
    env["res.partner.bank"].create({"acc_number": "FR7630006000011234567890189", "partner_id": company.partner_id.id})
provider = env.ref("dunning_pis.payment_provider_pay_by_bank").with_company(company)
provider.write({
    "state": "test", "company_id": company.id, "pay_by_bank_api_url": "http://127.0.0.1:9/stet/v1",
    "pay_by_bank_token_url": "http://127.0.0.1:9/oauth/token", "pay_by_bank_client_id": "bench",
    "pay_by_bank_client_secret": "bench", "pay_by_bank_notification_secret": secret,
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
    "operation": "online_redirect", "invoice_ids": [Command.set(invoice.ids)],
    "provider_reference": f"bank-{invoice.id}", "pay_by_bank_status": "RCVD",
} for invoice in invoices])
env.cr.commit()
print(json.dumps([{"reference": tx.reference, "resource": tx.provider_reference, "amount": f"{tx.amount:.2f}",
                   "invoice": tx.invoice_ids.id} for tx in transactions]))
