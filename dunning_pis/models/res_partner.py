from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..receivables import qr_codes
from ..receivables.balance import Position
from ..receivables.late_charges import Regime
from .dunning_communication import OPEN_PAYMENT_STATES
from .dunning_level import TONES

PROCEEDINGS = [
    ("safeguard", "Safeguard (sauvegarde)"),
    ("receivership", "Receivership (redressement judiciaire)"),
    ("liquidation", "Compulsory liquidation (liquidation judiciaire)"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    dunning_policy_id = fields.Many2one(
        "dunning.policy", string="Dunning policy", company_dependent=True,
        help="Empty: the company's default policy.",
    )
    # What a company decides about its customer is its own: each company of the database keeps its own
    # tone, contact, controller, "do not dun" and collection status for a shared customer.
    dunning_tone = fields.Selection(TONES, string="Dunning tone", company_dependent=True,
                                    help="Empty: the tone of each level.")
    dunning_contact_id = fields.Many2one(
        "res.partner", string="Dunning contact", domain="[('parent_id', '=', id)]", company_dependent=True,
        help="The address reminders go to; empty: the invoice address.",
    )
    dunning_blocked = fields.Boolean(string="Do not dun", tracking=True, company_dependent=True)
    dunning_block_reason = fields.Char(string="Reason not to dun", tracking=True, company_dependent=True)
    dunning_controller_id = fields.Many2one(
        "res.users", string="Credit controller", company_dependent=True,
        help="Empty: the company's default credit controller.",
    )
    dunning_in_collection = fields.Boolean(string="In collection", readonly=True, tracking=True, copy=False,
                                           company_dependent=True)
    dunning_collection_date = fields.Date(string="In collection since", readonly=True, copy=False,
                                          company_dependent=True)
    dunning_debtor_type = fields.Selection(
        [("business", "Business"), ("consumer", "Consumer")], string="Debtor type", company_dependent=True,
        help="Empty: a consumer when the customer is an individual (not a company, no VAT number, no company "
             "registry number), else a business. Business debtors owe interest from the day after the due date "
             "and the recovery indemnity (Code de commerce L441-10, D441-5); consumers owe interest at the legal "
             "rate from the formal notice only (Code civil 1231-6, 1344-1), and no recovery costs.",
    )
    dunning_regime = fields.Selection(
        [("business", "Business"), ("consumer", "Consumer")], string="Dunned as", compute="_compute_dunning_regime",
    )
    dunning_proceedings = fields.Selection(
        PROCEEDINGS, string="Collective proceedings", tracking=True, copy=False,
        help="From the opening judgment, no reminder and no interest (Code de commerce L622-21, L622-28); the claim "
             "is declared to the creditors' representative within two months of the BODACC publication (L622-24, "
             "R622-24).",
    )
    dunning_proceedings_date = fields.Date(string="Opening judgment", tracking=True, copy=False)
    dunning_bodacc_date = fields.Date(string="BODACC publication", tracking=True, copy=False)
    dunning_communication_ids = fields.One2many("dunning.communication", "partner_id", string="Reminders")
    dunning_no_early_discount = fields.Boolean(
        string="No early-payment discount", tracking=True,
        default=lambda self: self.env.company.dunning_no_early_discount_default,
        help="This customer's invoices carry no early-payment discount, even when their payment term has one.",
    )
    dunning_overdue_amount = fields.Monetary(
        string="Overdue", compute="_compute_dunning_overdue", currency_field="dunning_currency_id",
    )
    dunning_currency_id = fields.Many2one("res.currency", compute="_compute_dunning_overdue")
    dunning_level_id = fields.Many2one(
        "dunning.level", string="Dunning level", compute="_compute_dunning_overdue",
        help="The most advanced level reached by the customer's open invoices.",
    )
    dunning_level_note = fields.Char(
        string="Level history", compute="_compute_dunning_overdue",
        help="Why the customer's level is below the one of its last reminder.",
    )

    @api.model
    def _commercial_fields(self):
        return [
            *super()._commercial_fields(),
            "dunning_policy_id", "dunning_tone", "dunning_blocked", "dunning_block_reason",
            "dunning_controller_id", "dunning_in_collection", "dunning_collection_date", "dunning_no_early_discount",
            "dunning_debtor_type", "dunning_proceedings", "dunning_proceedings_date", "dunning_bodacc_date",
        ]

    @api.depends_context("company")
    def _compute_dunning_overdue(self):
        """What the customer owes past due on the receivable account, net of its credits and of money on its
        way, and the most advanced level its open items reached."""
        today = fields.Date.context_today(self)
        company = self.env.company
        customers = self.commercial_partner_id
        positions = self.env["account.move.line"]._dunning_positions(company, today, customers._origin.ids)
        reached = self.env["account.move.line"]._dunning_reached_levels(
            [item["id"] for position in positions.values() for item in position.items])
        Level = self.env["dunning.level"]
        last_sent = self._dunning_last_sent(company)
        for partner in self:
            position = positions.get(partner.commercial_partner_id._origin.id)
            overdue, levels = 0.0, Level
            if position:
                for item in position.items:
                    if item["due_date"] < today:
                        overdue += float(item["residual"] - position.transit.get(item["id"], 0)
                                         - position.allocation.covered(item["id"]))
                    levels |= Level.browse(reached.get(item["id"]) or [])
            partner.dunning_overdue_amount = company.currency_id.round(overdue)
            partner.dunning_currency_id = company.currency_id
            partner.dunning_level_id = levels.sorted(lambda level: (level.sequence, level.delay_days))[-1:]
            partner.dunning_level_note = partner._dunning_level_note(
                last_sent.get(partner.commercial_partner_id._origin.id), position, partner.dunning_level_id)

    def _dunning_last_sent(self, company):
        """{customer id: its last reminder sent by ``company``}."""
        communications = self.env["dunning.communication"].search([
            ("partner_id", "in", self.commercial_partner_id._origin.ids), ("company_id", "=", company.id),
            ("state", "=", "sent"),
        ], order="date desc, id desc")
        last = {}
        for communication in communications:
            last.setdefault(communication.partner_id.id, communication)
        return last

    def _dunning_level_note(self, last, position, current):
        """Why the customer's level is back to ``current`` from the one of the ``last`` reminder sent: the items of
        that reminder at its level that are no longer claimed on the customer's ``position``."""
        self.ensure_one()
        if not last or not last.level_id or (current and (current.sequence, current.delay_days) >= (
                last.level_id.sequence, last.level_id.delay_days)):
            return False
        claimed = {item["id"] for item in (position.items if position else ()) if position.claimed(item) > 0}
        gone = last._due_lines().filtered(
            lambda line: line.level_id == last.level_id and line.move_line_id.id not in claimed)
        if not gone:
            return False
        return self.env._(
            "Back from “%(level)s” (reminder of %(date)s): %(items)s paid, credited or on hold since.",
            level=last.level_id.name, date=format_date(self.env, last.date), items=", ".join(gone.mapped("label")),
        )

    def _dunning_policy(self, company):
        self.ensure_one()
        return self.with_company(company).commercial_partner_id.dunning_policy_id or company.dunning_default_policy_id

    @api.depends_context("company")
    @api.depends("dunning_debtor_type", "is_company", "vat", "company_registry", "parent_id")
    def _compute_dunning_regime(self):
        for partner in self:
            partner.dunning_regime = partner._dunning_regime().value

    def _dunning_regime(self):
        """Business or consumer, for the current company: its own choice on the customer, else a consumer when
        the customer is an individual (no company, no VAT number, no registry number, no parent company)."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner.dunning_debtor_type:
            return Regime(partner.dunning_debtor_type)
        individual = not (partner.is_company or partner.vat or partner.company_registry or partner.parent_id)
        return Regime.CONSUMER if individual else Regime.BUSINESS

    def _dunning_stop_reason(self, on_date):
        """Why the current company may not remind this customer on ``on_date``, or False."""
        self.ensure_one()
        partner = self.commercial_partner_id
        if partner._dunning_in_proceedings(on_date):
            return self.env._(
                "%(customer)s is in collective proceedings since %(date)s: no reminder (L622-21).",
                customer=partner.display_name, date=format_date(self.env, partner.dunning_proceedings_date))
        if partner.dunning_blocked:
            return self.env._("%(customer)s is not to dun (%(reason)s).", customer=partner.display_name,
                              reason=partner.dunning_block_reason or self.env._("no reason given"))
        if partner.dunning_in_collection:
            return self.env._("%(customer)s is in collection.", customer=partner.display_name)
        return False

    def _dunning_in_proceedings(self, on_date):
        partner = self.commercial_partner_id
        return bool(partner.dunning_proceedings and partner.dunning_proceedings_date
                    and partner.dunning_proceedings_date <= on_date)

    @api.constrains("dunning_proceedings", "dunning_proceedings_date", "dunning_bodacc_date")
    def _check_dunning_proceedings(self):
        for partner in self.filtered("dunning_proceedings"):
            if not partner.dunning_proceedings_date:
                raise ValidationError(self.env._(
                    "Give the date of the opening judgment of the collective proceedings of %(customer)s.",
                    customer=partner.display_name,
                ))
            if partner.dunning_bodacc_date and partner.dunning_bodacc_date < partner.dunning_proceedings_date:
                raise ValidationError(self.env._(
                    "The BODACC publication of %(customer)s cannot come before the opening judgment.",
                    customer=partner.display_name,
                ))

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners.filtered("dunning_proceedings")._dunning_schedule_claim_declaration()
        return partners

    def write(self, vals):
        opening = {"dunning_proceedings", "dunning_proceedings_date", "dunning_bodacc_date"} & set(vals)
        result = super().write(vals)
        if opening:
            self._dunning_schedule_claim_declaration()
        return result

    def _dunning_schedule_claim_declaration(self):
        """The credit controller of each company the customer owes gets an activity: declare the claim
        within two months of the BODACC publication (L622-24, R622-24), or look that publication up."""
        customers = self.filtered(
            lambda partner: partner.dunning_proceedings and partner == partner.commercial_partner_id)
        if not customers:
            return
        groups = self.env["account.move.line"].sudo()._read_group(
            [("partner_id.commercial_partner_id", "in", customers.ids), ("parent_state", "=", "posted"),
             ("account_type", "=", "asset_receivable"), ("reconciled", "=", False)],
            ["company_id", "partner_id"], ["amount_residual:sum"],
        )
        owed = {(company, partner.commercial_partner_id) for company, partner, amount in groups if amount > 0}
        declaration = self.env.ref("dunning_pis.mail_activity_claim_declaration")
        for company, commercial_partner in owed:
            customer = commercial_partner.with_company(company)
            controller = customer.dunning_controller_id or company.dunning_default_controller_id or self.env.user
            kind = dict(PROCEEDINGS)[customer.dunning_proceedings]
            if customer.dunning_bodacc_date:
                deadline = customer.dunning_bodacc_date + relativedelta(months=2)
                summary = self.env._("Declare the claim of %(company)s before %(date)s", company=company.name,
                                     date=format_date(self.env, deadline))
                note = self.env._(
                    "%(customer)s: %(proceedings)s opened on %(opening)s, published in the BODACC on %(bodacc)s. "
                    "Declare the claim of %(company)s to the creditors' representative within two months of the "
                    "publication (Code de commerce L622-24, R622-24). Dunning and interest stopped on the opening "
                    "date (L622-21, L622-28).",
                    customer=customer.display_name, proceedings=kind,
                    opening=format_date(self.env, customer.dunning_proceedings_date),
                    bodacc=format_date(self.env, customer.dunning_bodacc_date), company=company.name,
                )
            else:
                deadline = fields.Date.context_today(self)
                summary = self.env._("Look up the BODACC publication of %(customer)s", customer=customer.display_name)
                note = self.env._(
                    "%(customer)s: %(proceedings)s opened on %(opening)s. The claim of %(company)s must be declared "
                    "within two months of the BODACC publication: record its date on the customer to get the "
                    "deadline.",
                    customer=customer.display_name, proceedings=kind,
                    opening=format_date(self.env, customer.dunning_proceedings_date), company=company.name,
                )
            # One open declaration task per customer and controller: a new date updates it.
            existing = customer.activity_ids.filtered(
                lambda activity, controller=controller: activity.activity_type_id == declaration
                and activity.user_id == controller)
            if existing:
                existing.write({"summary": summary, "note": note, "date_deadline": deadline})
            else:
                customer.activity_schedule("dunning_pis.mail_activity_claim_declaration", summary=summary, note=note,
                                           user_id=controller.id, date_deadline=deadline)

    def _dunning_recipient(self):
        self.ensure_one()
        return self._dunning_recipients()[self]

    def _dunning_recipients(self):
        """{partner: contact the reminders go to}: the dunning contact, else the invoice address."""
        recipients = {}
        for partner in self:
            customer = partner.commercial_partner_id
            recipients[partner] = customer.dunning_contact_id or customer.browse(
                customer.address_get(["invoice"])["invoice"],
            )
        return recipients

    def action_dunning_view_overdue(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({
            "domain": [("commercial_partner_id", "=", self.commercial_partner_id.id),
                       ("payment_state", "in", OPEN_PAYMENT_STATES), ("state", "=", "posted")],
            "context": {"create": False, "search_default_dunning_overdue": 1},
        })
        return action

    def action_dunning_send_statement(self):
        """Email the statement of open invoices, with days late, indemnities and interest, as a PDF."""
        self.ensure_one()
        template = self.env.ref("dunning_pis.email_template_customer_statement")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "res.partner",
                "default_res_ids": self.commercial_partner_id.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }

    def _dunning_statement(self, on_date=None):
        """The customer's account on ``on_date`` (today) for the statement: every open item, its credits, and
        what each item owes beyond its amount due, computed as a reminder of that day would."""
        self.ensure_one()
        company = self.env.company
        on_date = on_date or fields.Date.context_today(self)
        customer = self.commercial_partner_id
        position = self.env["account.move.line"]._dunning_positions(company, on_date, [customer.id]).get(
            customer.id) or Position(customer.id).allocate(on_date)
        AccountMoveLine = self.env["account.move.line"]
        items = AccountMoveLine.browse([item["id"] for item in position.items])
        figures = items._dunning_figures({customer.id: position}, on_date, {customer.id: (True, True)})
        found = {item["id"]: item for item in position.items}
        rows = []
        for item in items.sorted(lambda line: (found[line.id]["due_date"], line.id)):
            row = dict(figures[item.id], item=item, invoice=item.move_id, due_date=found[item.id]["due_date"],
                       line_type="due", claimable=found[item.id]["claimable"])
            # What is owed today beyond the amount due: claimed by earlier reminders and not invoiced yet, and
            # what the law gives since (a reminder of today would claim it).
            row["indemnity_total"] = row["indemnity_amount"] + row["earlier_indemnity_amount"]
            row["interest_total"] = row["interest_amount"] + row["earlier_interest_amount"]
            row["charges"] = row["indemnity_total"] + row["interest_total"]
            row["total"] = row["amount_residual"] + row["charges"]
            rows.append(row)
            on_its_way = position.transit.get(item.id)
            if on_its_way:
                ratio = found[item.id]["residual_currency"] / found[item.id]["residual"]
                amount = -float(on_its_way * ratio)
                rows.append({"item": item, "invoice": item.move_id, "due_date": found[item.id]["due_date"],
                             "line_type": "transit", "amount_residual": amount, "charges": 0.0, "total": amount,
                             "days_late": 0})
        for credit in AccountMoveLine.browse([credit["id"] for credit in position.credits]):
            amount = credit.amount_residual_currency
            rows.append({"item": credit, "invoice": credit.move_id, "due_date": credit.date, "line_type": "credit",
                         "amount_residual": amount, "charges": 0.0, "total": amount, "days_late": 0})
        return rows

    def _dunning_statement_invoices(self, rows):
        """The invoices of the statement's open items, each once."""
        invoices = self.env["account.move"]
        for row in rows:
            if row["line_type"] == "due" and row["invoice"].is_invoice():
                invoices |= row["invoice"]
        return invoices

    def _dunning_statement_totals(self, rows, on_date=None):
        """[(currency, overdue, not yet due, credits and money on its way, charges, balance)] of the statement."""
        on_date = on_date or fields.Date.context_today(self)
        totals = {}
        for row in rows:
            currency = row["item"].currency_id
            total = totals.setdefault(currency, [0.0] * 5)
            if row["line_type"] != "due":
                total[2] += row["amount_residual"]
            elif row["due_date"] < on_date:
                total[0] += row["amount_residual"]
            else:
                total[1] += row["amount_residual"]
            total[3] += row["charges"]
            total[4] += row["total"]
        return [(currency, *(currency.round(amount) for amount in amounts)) for currency, amounts in totals.items()]

    def _dunning_statement_payment(self, totals, on_date=None):
        """How to pay the statement: the company's account, the reference to quote (Odoo's customer reference, the
        one an invoice journal "based on customer" prints), an EPC QR code of the balance in euros, and the
        interest rate in force today for this customer."""
        self.ensure_one()
        company = self.env.company
        on_date = on_date or fields.Date.context_today(self)
        customer = self.commercial_partner_id
        bank = company.partner_id.bank_ids[:1]
        reference = self.env["account.move"].new({"partner_id": customer.id})._get_invoice_reference_odoo_partner()
        Communication = self.env["dunning.communication"]
        codes = []
        for currency, *_amounts, balance in totals:
            if not bank or currency.name != "EUR" or balance <= 0:
                continue
            try:
                payload = qr_codes.epc_payload(bank.acc_holder_name or company.name, bank.acc_number, balance,
                                               reference, bic=bank.bank_bic or "")
            except qr_codes.PayloadError:
                continue
            codes.append({"image": qr_codes.png(payload, box_size=4).decode(), "amount": balance, "currency": currency})
        return {
            "bank": bank, "iban": Communication._format_iban(bank.acc_number), "reference": reference,
            "qr_codes": codes,
            "rate": self.env["dunning.interest.rate"]._rates_text(
                company, customer.with_company(company)._dunning_regime(), on_date, on_date),
        }

    def action_dunning_leave_collection(self):
        self.write({"dunning_in_collection": False, "dunning_collection_date": False})
