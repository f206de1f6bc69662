import random
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from ..direct_debit import identifiers

DEMO_INVOICE_COUNT = 50
FIRST_DUE_OFFSET = 30
LAST_DUE_OFFSET = -120
PARTLY_PAID_EVERY = 6
# Past runs, in days before today: invoices then stand at every level, with their history.
HISTORY_RUNS = (60, 46, 31, 16, 9, 4)
# The cockpit's year behind: invoices from twelve to six months ago, and each customer's habit, in the order of
# the demo customers then of the two new ones: (days late at least, at most, pays by bank lately).
HISTORY_START_DAYS = 170
PAYMENT_HABITS = (
    (-3, 1, False),  # Boulangerie Martin: on time
    (10, 25, False),  # Garage Dupont
    (35, 60, False),  # Transports Lefèvre
    (3, 12, True),  # Hôtel du Lac
    (20, 40, False),  # Café des Arts
    (5, 15, False),  # Atelier Roux
    (0, 8, True),  # Marie Durand
    (12, 30, False),  # Nordic Supplies
    (-2, 2, True),  # Bauer Maschinenbau
    (-5, 0, True),  # Pharmacie Centrale
    (4, 12, False),  # Librairie du Port
)
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
                        "dunning_dispute_reason": "goods_service",
                        "dunning_dispute_note": "Marchandise abîmée à la livraison, avoir demandé."})
        promised = Move.search([("partner_id", "=", promising_partner_id), *open_domain], limit=1)
        promised._dunning_record_promise(today + timedelta(days=5))

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

    # The cockpit --------------------------------------------------------------------------------

    @api.model
    def create_demo_payment_history(self, customer_ids, new_customer_ids):
        """A year behind the invoices of the demo: each customer invoiced every month from twelve to six months
        ago and paying in its own way (days late, by transfer or by bank), two new customers who pay well, some
        reminded invoices paid since (by bank two days after their first reminder, by transfer nine days
        after); then the payment figures and the profiles. Done once."""
        company = self.env.ref("base.main_company")
        customers = self.env["res.partner"].browse(customer_ids) | self.env["res.partner"].browse(new_customer_ids)
        Move = self.env["account.move"].with_company(company)
        today = fields.Date.context_today(self)
        if Move.search_count([("partner_id", "in", customers.ids), ("invoice_date", "<", today - timedelta(
                days=HISTORY_START_DAYS))], limit=1):
            return
        if self.env["res.lang"]._lang_get("fr_FR"):
            customers.filtered(lambda partner: partner.country_id.code == "FR").lang = "fr_FR"
        rng = random.Random(18)  # noqa: S311 -- repeatable demo amounts, not secrets
        bank = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
        provider = self.env.ref("dunning_pis.payment_provider_pay_by_bank").sudo()
        # Demo data loads before the install hook sets the provider up: its payment method is made now, so that
        # its journal gets a payment method line and its payments an outstanding account.
        provider._setup_payment_method(provider.code)
        if not provider.journal_id:
            provider.journal_id = bank
        # (days late, from, to), paid by bank from the history's middle on where the customer moved to it
        habits = dict(zip(customers.ids, PAYMENT_HABITS, strict=False))
        for customer in customers:
            low, high, by_bank = habits[customer.id]
            for months in range(12, 5, -1):
                invoiced = today - relativedelta(months=months)
                invoice = Move.create({
                    "move_type": "out_invoice", "partner_id": customer.id, "invoice_date": invoiced,
                    "invoice_date_due": invoiced + timedelta(days=30), "invoice_payment_term_id": False,
                    "invoice_line_ids": [fields.Command.create({
                        "name": rng.choice(LINE_LABELS), "quantity": 1, "price_unit": rng.randrange(400, 3000, 10),
                        "tax_ids": [fields.Command.set(company.account_sale_tax_id.ids)],
                    })],
                })
                invoice.action_post()
                paid_on = min(invoice.invoice_date_due + timedelta(days=rng.randint(low, high)), today)
                self._demo_pay(invoice, paid_on, provider if by_bank and months <= 9 else None, bank)
        self._demo_pay_reminded(customers, provider, bank, today)
        # What the two new customers owe today: an invoice not due yet, and a small one a few days late.
        for customer, (invoiced, due) in zip(self.env["res.partner"].browse(new_customer_ids),
                                             ((10, -20), (35, 5)), strict=True):
            Move.create({
                "move_type": "out_invoice", "partner_id": customer.id, "invoice_payment_term_id": False,
                "invoice_date": today - timedelta(days=invoiced), "invoice_date_due": today - timedelta(days=due),
                "invoice_line_ids": [fields.Command.create({
                    "name": rng.choice(LINE_LABELS), "quantity": 1, "price_unit": rng.randrange(400, 1500, 10),
                    "tax_ids": [fields.Command.set(company.account_sale_tax_id.ids)],
                })],
            }).action_post()
        self.env["dunning.payment.behaviour"]._refresh(company)

    def _demo_pay(self, invoice, day, provider, bank):
        """Pay ``invoice`` in full on ``day``: by bank through a transaction of ``provider``, else by transfer."""
        if provider:
            transaction = self.env["payment.transaction"].sudo().create({
                "provider_id": provider.id, "payment_method_id": provider.payment_method_ids[:1].id,
                "reference": f"{invoice.name}-PBB", "operation": "online_redirect",
                "amount": invoice.amount_residual, "currency_id": invoice.currency_id.id,
                "partner_id": invoice.partner_id.id, "invoice_ids": [fields.Command.set(invoice.ids)],
            })
            transaction._set_done()
            transaction._create_payment(date=day)
            transaction.is_post_processed = True
            return
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create({
            "payment_date": day, "journal_id": bank.id,
        })._create_payments()

    def _demo_pay_reminded(self, customers, provider, bank, today):
        """Some invoices reminded by the history's runs, paid since: by bank two days after their first reminder
        for the customers paying by bank, by transfer nine days after for the others."""
        reminded = self.env["account.move"].search([
            ("partner_id", "in", customers.ids), ("move_type", "=", "out_invoice"), ("payment_state", "=", "not_paid"),
            ("dunning_disputed", "=", False), ("dunning_promise_date", "=", False), ("dunning_plan_ids", "=", False),
            ("dunning_charges_kind", "=", False), ("dunning_level_id", "!=", False),
        ], order="invoice_date_due")
        habits = dict(zip(customers.ids, PAYMENT_HABITS, strict=False))
        # a customer whose payments are not matched yet (Bauer) has nothing more to pay
        company = self.env.ref("base.main_company")
        positions = self.env["account.move.line"]._dunning_positions(company, today, customers.ids)
        paid = {customer_id for customer_id, position in positions.items() if position.credits}
        for invoice in reminded:
            customer = invoice.commercial_partner_id
            if customer.id in paid or customer.id not in habits:
                continue
            first = min(invoice.dunning_line_ids.filtered(lambda line: line.state == "sent").mapped("date"))
            by_bank = habits[customer.id][2]
            day = first + timedelta(days=2 if by_bank else 9)
            if day < today:
                self._demo_pay(invoice, day, provider if by_bank else None, bank)
                paid.add(customer.id)
