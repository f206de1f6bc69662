import random
from datetime import timedelta

from odoo import api, fields, models

DEMO_INVOICE_COUNT = 50
FIRST_DUE_OFFSET = 30
LAST_DUE_OFFSET = -120
PARTLY_PAID_EVERY = 6
LINE_LABELS = (
    "Prestation de conseil",
    "Maintenance mensuelle",
    "Fournitures de bureau",
    "Location de matériel",
    "Formation sur site",
    "Installation et mise en service",
)


class DunningDemoData(models.AbstractModel):
    """Builds the demo invoices, whose dates must follow the day the demo is loaded."""

    _name = "dunning.demo.data"
    _description = "Dunning demo data"

    @api.model
    def create_demo_invoices(self, partner_ids):
        """Invoice the demo customers once: a reinstall finds them invoiced and adds nothing."""
        company = self.env.ref("base.main_company")
        partners = self.env["res.partner"].browse(partner_ids)
        if self.env["account.move"].search_count([("partner_id", "in", partners.ids)], limit=1):
            return self.env["account.move"]
        if self.env["res.lang"]._lang_get("fr_FR"):
            partners.filtered(lambda p: p.country_id.code == "FR").lang = "fr_FR"
        rng = random.Random(19)  # noqa: S311 -- repeatable demo amounts, not secrets
        today = fields.Date.context_today(self)
        step = (FIRST_DUE_OFFSET - LAST_DUE_OFFSET) / (DEMO_INVOICE_COUNT - 1)
        values = []
        for index in range(DEMO_INVOICE_COUNT):
            due = today + timedelta(days=round(LAST_DUE_OFFSET + index * step))
            values.append({
                "move_type": "out_invoice",
                "company_id": company.id,
                "partner_id": partners[index % len(partners)].id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    fields.Command.create({
                        "name": rng.choice(LINE_LABELS),
                        "quantity": rng.randint(1, 5),
                        "price_unit": rng.randrange(80, 2400, 10),
                        "tax_ids": [fields.Command.set(company.account_sale_tax_id.ids)],
                    })
                    for _line in range(rng.randint(1, 3))
                ],
            })
        invoices = self.env["account.move"].with_company(company).create(values)
        invoices.action_post()
        bank = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        for invoice in invoices[::PARTLY_PAID_EVERY]:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({
                "amount": invoice.currency_id.round(invoice.amount_total * 0.4),
                "journal_id": bank.id,
                "payment_date": min(today, invoice.invoice_date_due),
            })._create_payments()
        return invoices
