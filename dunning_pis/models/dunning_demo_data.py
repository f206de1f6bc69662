import random
from datetime import datetime, time, timedelta

from odoo import api, fields, models

from ..direct_debit import identifiers

DEMO_INVOICE_COUNT = 50
FIRST_DUE_OFFSET = 30
LAST_DUE_OFFSET = -120
PARTLY_PAID_EVERY = 6
# Past runs, in days before today: invoices then stand at every level, with their history.
HISTORY_RUNS = (60, 46, 31, 16, 9, 4)
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
            french = partners.filtered(lambda p: p.country_id.code == "FR")
            (french | french.child_ids).lang = "fr_FR"
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

    @api.model
    def create_demo_receivable_cases(self, credited_partner_id, paid_partner_id, split_partner_id):
        """What an accountant meets on a receivable account: an open credit note, a payment received and not
        yet matched that covers a customer's invoices, and an invoice with a split payment term."""
        company = self.env.ref("base.main_company")
        Move = self.env["account.move"].with_company(company)
        if Move.search_count([("move_type", "=", "out_refund"), ("partner_id", "=", credited_partner_id)], limit=1):
            return
        today = fields.Date.context_today(self)
        open_domain = [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("company_id", "=", company.id),
                       ("payment_state", "in", ("not_paid", "partial")), ("invoice_date_due", "<", today)]
        credited = Move.search([("partner_id", "=", credited_partner_id), *open_domain], order="invoice_date_due",
                               limit=1)
        refund = Move.create({
            "move_type": "out_refund", "partner_id": credited_partner_id, "invoice_date": today - timedelta(days=20),
            "ref": credited.name, "invoice_line_ids": [fields.Command.create({
                "name": "Avoir : remise commerciale", "quantity": 1,
                "price_unit": credited.currency_id.round(credited.amount_untaxed * 0.3),
                "tax_ids": [fields.Command.set(company.account_sale_tax_id.ids)],
            })],
        })
        refund.action_post()
        bank = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        owed = sum(Move.search([("partner_id", "=", paid_partner_id), *open_domain]).mapped("amount_residual"))
        if owed:
            payment = self.env["account.payment"].with_company(company).create({
                "payment_type": "inbound", "partner_type": "customer", "partner_id": paid_partner_id,
                "amount": owed, "date": today - timedelta(days=3), "journal_id": bank.id,
                "memo": "Virement reçu, factures non précisées",
            })
            payment.action_post()
        term = self.env["account.payment.term"].create({
            "name": "30 % à la commande, 70 % à 60 jours", "company_id": company.id,
            "line_ids": [fields.Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
                         fields.Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 60})],
        })
        split = Move.create({
            "move_type": "out_invoice", "partner_id": split_partner_id, "invoice_date": today - timedelta(days=40),
            "invoice_payment_term_id": term.id, "invoice_line_ids": [fields.Command.create({
                "name": "Aménagement d'entrepôt", "quantity": 1, "price_unit": 6000.0,
                "tax_ids": [fields.Command.set(company.account_sale_tax_id.ids)],
            })],
        })
        split.action_post()

    @api.model
    def create_demo_charges_invoice(self, partner_id):
        """The charges a formal notice claimed, billed on a charges invoice: it counts in what the customer owes,
        with no indemnity nor interest of its own."""
        company = self.env.ref("base.main_company")
        Account = self.env["account.account"].with_company(company)
        fees, interest = Account.search([("code", "=", "758100")], limit=1), Account.search(
            [("code", "=", "763100")], limit=1)
        if not (fees and interest) or company.dunning_invoice_charges:
            return
        company.write({"dunning_invoice_charges": True, "dunning_fee_account_id": fees.id,
                       "dunning_interest_account_id": interest.id})
        notice = self.env["dunning.communication"].search([
            ("company_id", "=", company.id), ("partner_id", "=", partner_id), ("state", "=", "sent"),
        ], order="date").filtered("can_invoice_charges")[:1]
        if notice:
            charges = self.env["account.move"].browse(notice.action_invoice_charges()["res_id"])
            charges.write({"invoice_date": notice.date})
            charges.action_post()

    @api.model
    def simulate_reminder_history(self, disputed_partner_id, promising_partner_id):
        """Dunning as if it had been running for two months: past runs, their reminders sent, a dispute
        and a promise to pay. Done once: a company that already has runs gets nothing more."""
        company = self.env.ref("base.main_company")
        Run = self.env["dunning.run"].with_company(company)
        if Run.search_count([("company_id", "=", company.id)], limit=1):
            return
        today = fields.Date.context_today(self)
        for days_ago in HISTORY_RUNS:
            day = today - timedelta(days=days_ago)
            run = Run.create({"company_id": company.id, "date": day})
            run.action_run()
            run.communication_ids._mark_sent()
            run.communication_ids.sent_date = datetime.combine(day, time(9))
        Move = self.env["account.move"]
        open_domain = [("move_type", "=", "out_invoice"), ("payment_state", "in", ("not_paid", "partial")),
                       ("invoice_date_due", "<", today)]
        disputed = Move.search([("partner_id", "=", disputed_partner_id), *open_domain], limit=1)
        disputed.write({"dunning_disputed": True, "dunning_dispute_date": today - timedelta(days=2),
                        "dunning_dispute_reason": "Damaged goods, credit note requested"})
        promised = Move.search([("partner_id", "=", promising_partner_id), *open_domain], limit=1)
        promised.write({"dunning_promise_date": today + timedelta(days=5),
                        "dunning_promise_amount": promised.amount_residual})

    @api.model
    def create_demo_installment_plans(self, active_partner_id, proposed_partner_id):
        """One plan being honoured (first installment paid, mandate signed) and one waiting for the customer."""
        company = self.env.ref("base.main_company")
        Plan = self.env["dunning.installment.plan"].with_company(company)
        if Plan.search_count([("company_id", "=", company.id)], limit=1):
            return
        if not company.dunning_sepa_creditor_identifier:
            company.dunning_sepa_creditor_identifier = "FR72ZZZ123456"
        bank = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        if not identifiers.is_valid_iban(bank.bank_account_id.acc_number):
            # Direct debits are collected on an IBAN; the generic demo bank account is not one.
            bank.bank_account_id = self.env["res.partner.bank"].create({
                "acc_number": "FR7630006000011234567890189", "partner_id": company.partner_id.id,
            })
        today = fields.Date.context_today(self)
        plans = Plan
        for partner_id, first_date in ((active_partner_id, today - timedelta(days=10)), (proposed_partner_id, today)):
            invoices = self.env["account.move"].search([
                ("partner_id", "=", partner_id), ("move_type", "=", "out_invoice"), ("company_id", "=", company.id),
                ("payment_state", "in", ("not_paid", "partial")), ("invoice_date_due", "<", today),
            ], order="invoice_date_due", limit=2)
            wizard = self.env["dunning.installment.plan.wizard"].with_company(company).with_context(
                active_model="account.move", active_ids=invoices.ids,
            ).create({"count": 3, "first_date": first_date, "interval": 30, "interval_unit": "days",
                      "first_method": "manual", "other_method": "sepa_direct_debit"})
            plan = Plan.browse(wizard.action_create_plan()["res_id"])
            plan.action_propose()
            plans |= plan
        active = plans[0]
        active._accept(active.partner_id.name, iban="FR7630004000031234567890143")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=active.invoice_ids.ids,
        ).create({
            "amount": active.installment_ids[0].amount, "journal_id": bank.id, "group_payment": True,
            "payment_date": active.installment_ids[0].due_date,
        })._create_payments()
