"""Odoo shell script: Odoo's own invoice sending (account.move.send) of the same invoices, as its batch
sending does it: each invoice marked to send, then the cron of account.move.send issuing its PDF and
queueing its email, then the mail queue handing them to the SMTP server on BENCH_SMTP_PORT.

BENCH_LIMIT sends only that many invoices. BENCH_ISSUED=1 gives every invoice an issued PDF first (one
rendered, its file shared by all in SQL): Odoo then only sends, as for invoices already issued. wkhtmltopdf
fetches no stylesheet here (odoo shell serves no HTTP): PDFs render faster than under a running server,
so Odoo's figure is, if anything, flattering. Prints the same JSON as time_reminder_emails.
"""
# ruff: noqa: F821 -- `env` is given by odoo shell
import json
import os
import resource
import time

from odoo import sql_db

env["ir.mail_server"].create({"name": "Bench sink", "smtp_host": "127.0.0.1", "sequence": 0,
                              "smtp_port": int(os.environ["BENCH_SMTP_PORT"]), "smtp_encryption": "none"})
Move, Mail, Send = env["account.move"], env["mail.mail"], env["account.move.send"]
invoices = Move.search([("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("name", "=like", "BENCH/%")],
                       order="id", limit=int(os.environ.get("BENCH_LIMIT") or 0) or None)
if os.environ.get("BENCH_ISSUED") == "1":
    first = invoices[0]
    Send._generate_invoice_documents({first: Send._get_default_sending_settings(first)})
    issued = first.invoice_pdf_report_id
    env.cr.execute("""
        INSERT INTO ir_attachment (name, res_model, res_id, res_field, type, store_fname, file_size, checksum,
                                   mimetype, company_id, public, create_uid, write_uid, create_date, write_date)
        SELECT replace(move.name, '/', '_') || '.pdf', 'account.move', move.id, 'invoice_pdf_report_file', a.type,
               a.store_fname, a.file_size, a.checksum, a.mimetype, a.company_id, FALSE, a.create_uid, a.write_uid,
               a.create_date, a.write_date
          FROM account_move move, ir_attachment a
         WHERE move.id = ANY(%s) AND a.id = %s
    """, [(invoices - first).ids, issued.id])
    invoices.invalidate_recordset()
invoices.sending_data = {"author_user_id": env.user.id, "author_partner_id": env.user.partner_id.id}
env.cr.commit()
to_send = [("sending_data", "!=", False), ("state", "=", "posted")]
started, queries = time.monotonic(), sql_db.sql_counter
while Move.search_count(to_send):
    # One invoice a call: wkhtmltopdf without patched Qt (Debian's) renders one document at a time.
    Move._cron_account_move_send(job_count=1)
rendered = time.monotonic()
while Mail.search_count([("state", "=", "outgoing")]):
    Mail.process_email_queue()
delivered = time.monotonic()
queries = sql_db.sql_counter - queries
print(json.dumps({
    "tool": "Odoo account.move.send" + (", issued" if os.environ.get("BENCH_ISSUED") == "1" else ""),
    "emails": len(invoices), "states": {"sent": len(invoices.filtered("is_move_sent"))},
    "plan_seconds": 0.0, "render_seconds": round(rendered - started, 1),
    "deliver_seconds": round(delivered - rendered, 1), "queries": queries,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
}))
