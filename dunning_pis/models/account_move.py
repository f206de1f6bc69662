from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, formatLang

from ..const import PROVIDER_CODE, SUPPORTED_CURRENCIES
from ..receivables import legal_mentions
from ..receivables.early_discount import discount_effect
from ..receivables.late_charges import Regime
from .dunning_communication import OPEN_PAYMENT_STATES

DISPUTE_REASONS = [
    ("invoice_error", "Invoice error"),
    ("goods_service", "Goods or service issue"),
    ("not_received", "Not received"),
    ("financial_difficulty", "Financial difficulty"),
    ("forgotten", "Forgotten"),
    ("other", "Other"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    dunning_line_ids = fields.One2many("dunning.line", "invoice_id", string="Dunning history", readonly=True)
    dunning_level_id = fields.Many2one(
        "dunning.level", string="Dunning level", compute="_compute_dunning_state", store=True, index="btree_not_null",
        help="The most advanced reminder sent for this invoice.",
    )
    dunning_last_date = fields.Date(string="Last reminder", compute="_compute_dunning_state", store=True)
    dunning_next_date = fields.Date(string="Next reminder", compute="_compute_dunning_next_date")
    dunning_disputed = fields.Boolean(string="Disputed", copy=False, tracking=True)
    dunning_dispute_reason = fields.Selection(DISPUTE_REASONS, string="Dispute reason", copy=False, tracking=True)
    dunning_dispute_note = fields.Text(string="Dispute details", copy=False)
    dunning_dispute_date = fields.Date(string="Disputed on", copy=False)
    dunning_promise_date = fields.Date(
        string="Promised payment date", copy=False, tracking=True, index="btree_not_null",
        help="Dunning waits until this date and resumes the day after if the invoice is still unpaid.",
    )
    dunning_promise_amount = fields.Monetary(string="Promised amount", copy=False, tracking=True)
    dunning_no_early_discount = fields.Boolean(related="commercial_partner_id.dunning_no_early_discount")
    dunning_charges_kind = fields.Selection(
        [("charges", "Dunning charges"), ("plan_fee", "Installment plan fee")], string="Dunning charges invoice",
        readonly=True, copy=False,
        help="Charges billed by dunning: they count in what the customer owes but never bear an indemnity, "
             "interest (no interest on interest, Code civil 1343-2) nor an early-payment discount.",
    )
    dunning_plan_ids = fields.Many2many(
        "dunning.installment.plan", "dunning_installment_plan_invoice_rel", "move_id", "plan_id",
        string="Installment plans", readonly=True, copy=False,
    )
    dunning_active_plan_id = fields.Many2one(
        "dunning.installment.plan", string="Installment plan", compute="_compute_dunning_active_plan",
        help="The plan the customer is paying this invoice under; dunning leaves the invoice alone meanwhile.",
    )
    pay_by_bank_state = fields.Selection(
        lambda self: self.env["payment.transaction"]._fields["state"].selection, string="Pay by bank",
        compute="_compute_pay_by_bank", help="The state of the last payment by bank of this invoice.",
    )
    pay_by_bank_url = fields.Char(
        string="Pay-by-bank link", compute="_compute_pay_by_bank",
        help="The page where the customer pays this invoice by bank transfer approved in their bank.",
    )

    # The cockpit counts the disputed invoices (and reads the promises by date) on every screen it opens.
    _dunning_disputed_idx = models.Index("(company_id) WHERE dunning_disputed")

    @api.depends("dunning_plan_ids.state")
    def _compute_dunning_active_plan(self):
        for move in self:
            move.dunning_active_plan_id = move.dunning_plan_ids.filtered(lambda plan: plan.state == "active")[:1]

    def _compute_invoice_payment_term_id(self):
        result = super()._compute_invoice_payment_term_id()
        self._dunning_drop_early_discount()
        return result

    @api.onchange("invoice_payment_term_id")
    def _onchange_dunning_no_early_discount(self):
        if self._dunning_drop_early_discount():
            return {"warning": {
                "title": self.env._("No early-payment discount"),
                "message": self.env._(
                    "%(customer)s is excluded from early-payment discounts: the invoice uses the same payment "
                    "term without its discount.", customer=self.commercial_partner_id.display_name,
                ),
            }}
        return None

    def _post(self, soft=True):
        for move in self._dunning_drop_early_discount():
            move.message_post(body=self.env._(
                "No early-payment discount: %(customer)s is excluded from them.",
                customer=move.commercial_partner_id.display_name,
            ))
        return super()._post(soft)

    def _dunning_drop_early_discount(self):
        """Give the draft customer invoices of customers excluded from early discounts the same payment term
        without its discount; return the invoices changed."""
        changed = self.browse()
        for move in self:
            term = move.invoice_payment_term_id
            if (move.state == "draft" and move.is_sale_document(include_receipts=True) and term.early_discount
                    and move.commercial_partner_id.dunning_no_early_discount):
                move.invoice_payment_term_id = term._dunning_without_early_discount()
                changed |= move
        return changed

    @api.depends("dunning_line_ids.state")
    def _compute_dunning_state(self):
        """In one query, since a run changes the lines of thousands of invoices at once. The stored values are
        read first so that only the invoices whose level or date changes are written: a run adds pending lines
        to tens of thousands of invoices and changes none of them."""
        reached = {}
        if self.ids:
            self.fetch(["dunning_level_id", "dunning_last_date"])
            self.env["dunning.line"].flush_model(["invoice_id", "state", "level_id", "date", "line_type"])
            self.env["dunning.level"].flush_model(["sequence", "delay_days"])
            self.env.cr.execute(SQL(
                """
                SELECT DISTINCT ON (line.invoice_id) line.invoice_id, line.level_id,
                       MAX(line.date) OVER (PARTITION BY line.invoice_id)
                  FROM dunning_line line
                  JOIN dunning_level level ON level.id = line.level_id
                 WHERE line.invoice_id IN %s AND line.state = 'sent' AND line.line_type = 'due'
              ORDER BY line.invoice_id, level.sequence DESC, level.delay_days DESC, line.date DESC
                """, tuple(self.ids),
            ))
            reached = {move_id: (level_id, date) for move_id, level_id, date in self.env.cr.fetchall()}
        for move in self:
            level_id, date = reached.get(move._origin.id, (False, False))
            move.dunning_level_id = level_id
            move.dunning_last_date = date

    @api.depends("dunning_level_id", "line_ids.date_maturity", "line_ids.reconciled", "payment_state",
                 "dunning_disputed", "dunning_promise_date")
    @api.depends_context("company")
    def _compute_dunning_next_date(self):
        """The next reminder of the invoice: the earliest next level of its open maturities."""
        today = fields.Date.context_today(self)
        items = self.line_ids.filtered(lambda line: line.display_type == "payment_term" and not line.reconciled)
        reached = self.env["account.move.line"]._dunning_reached_levels(items._origin.ids)
        levels = self.env["dunning.level"]
        for move in self:
            policy = move.commercial_partner_id._dunning_policy(move.company_id)
            dates = []
            # a promise moves the next reminder after it; a dispute stops it until it is cleared
            if policy and not move.dunning_disputed and move._dunning_is_open(today, ignore_pauses=True):
                for item in items.filtered(lambda line, move=move: line.move_id == move):
                    due = item.date_maturity or move.invoice_date_due
                    level = policy._next_level(levels.browse(reached.get(item._origin.id)))
                    while level and level.is_preventive and due < today:
                        level = policy._next_level(level)
                    if level:
                        dates.append(due + timedelta(days=level.delay_days))
            if not dates:
                move.dunning_next_date = False
                continue
            next_date = max(min(dates), today)
            if move.dunning_promise_date:
                next_date = max(next_date, move.dunning_promise_date + timedelta(days=1))
            move.dunning_next_date = next_date

    def _dunning_is_open(self, date, ignore_pauses=False):
        """Whether this invoice is still to remind on ``date``: open, and not disputed nor promised."""
        self.ensure_one()
        if not (self.move_type == "out_invoice" and self.state == "posted"
                and self.payment_state in OPEN_PAYMENT_STATES):
            return False
        partner = self.commercial_partner_id.with_company(self.company_id)
        if partner.dunning_blocked or partner.dunning_in_collection or partner._dunning_in_proceedings(date):
            return False
        if self.dunning_active_plan_id:
            return False
        return ignore_pauses or not (
            self.dunning_disputed or (self.dunning_promise_date and self.dunning_promise_date >= date)
        )

    def _dunning_invoice_pdfs(self):
        """The invoices' PDF as Odoo issued it, to attach to a reminder: the same attachment each time.
        An invoice never sent yet gets its PDF issued now, through Odoo's own invoice sending, and kept:
        one at a time, as wkhtmltopdf without patched Qt (Debian's) renders one document per call."""
        send = self.env["account.move.send"]
        for invoice in self.filtered(lambda move: not move.invoice_pdf_report_id):
            invoice_data = send._get_default_sending_settings(invoice)
            send._generate_invoice_documents({invoice: invoice_data})
            if invoice_data.get("error"):
                raise UserError(self.env._("The invoice PDF of %(invoice)s could not be made: %(error)s",
                                           invoice=invoice.name, error=invoice_data["error"]))
        return self.invoice_pdf_report_id

    def _dunning_early_discount_offer(self, on_date):
        """(last day, amount to pay) of Odoo's own early-payment discount if still open on ``on_date``."""
        self.ensure_one()
        offer = self._get_invoice_next_payment_values()
        discount_date = offer.get("installment_state") == "epd" and fields.Date.to_date(offer["discount_date"])
        if not discount_date or discount_date < on_date:
            return None
        return discount_date, offer["amount_due"]

    @api.model
    def _dunning_standard_mentions(self):
        """{mention: its standard wording} in the language of the environment; placeholders in braces."""
        env = self.env
        return {
            "due_date": env._("Payment due date: {date}."),
            "discount": env._("Early payment discount: {percent} % if paid by {date}, that is {amount} to pay, "
                              "of which {tax} VAT."),
            "no_discount": env._("No discount for early payment."),
            "late_interest": env._("Late payment interest: {rate} % a year, owed from the day after the due date "
                                   "(French Commercial Code, L441-10)."),
            "indemnity": env._("Fixed indemnity for recovery costs owed by business customers in case of late "
                               "payment: {amount} (French Commercial Code, L441-10 and D441-5)."),
        }

    def _dunning_mentions_state_discount_terms(self):
        """Whether the payment mentions of this invoice state its early-payment terms (a discount or its absence),
        which Odoo's own lines would then repeat."""
        self.ensure_one()
        return bool(self.move_type == "out_invoice" and self.company_id.dunning_legal_mentions
                    and self.invoice_date_due and self.invoice_payment_term_id.early_discount)

    def _dunning_legal_mentions(self):
        """The payment mentions French law wants on a customer invoice, in the customer's language:
        due date, early-payment terms, late-payment interest rate, and for businesses the recovery indemnity.
        The discounted amount is Odoo's own; the VAT it contains is stated because the customer may only
        deduct the VAT actually paid."""
        self.ensure_one()
        if self.move_type != "out_invoice" or not self.company_id.dunning_legal_mentions or not self.invoice_date_due:
            return []
        move = self.with_context(lang=self.partner_id.lang or self.env.lang)
        env, company, currency = move.env, move.company_id, move.currency_id
        term = move.invoice_payment_term_id
        standard = move._dunning_standard_mentions()
        values = {"due_date": {"date": format_date(env, move.invoice_date_due)}}
        discount_line = move.line_ids.filtered(lambda line: line.display_type == "payment_term" and line.discount_date)
        if term.early_discount and discount_line:
            effect = discount_effect(move.amount_untaxed, move.amount_tax, term.discount_percentage,
                                     term.early_pay_discount_computation, currency.decimal_places)
            values["discount"] = {
                "percent": formatLang(env, term.discount_percentage, digits=2).rstrip("0").rstrip(".,"),
                "date": format_date(env, discount_line[0].discount_date),
                "amount": formatLang(env, abs(sum(discount_line.mapped("discount_amount_currency"))),
                                     currency_obj=currency),
                "tax": formatLang(env, float(effect.tax), currency_obj=currency),
            }
        else:
            values["no_discount"] = {}
        # L441-9 and L441-10 mentions are owed between businesses; a consumer owes neither rate nor indemnity.
        business = move.commercial_partner_id.with_company(company)._dunning_regime() is Regime.BUSINESS
        rate = env["dunning.interest.rate"]._rate_table(company, Regime.BUSINESS).annual_rate(
            move.invoice_date_due) if business else None
        if rate is not None:
            values["late_interest"] = {"rate": formatLang(env, float(rate), digits=2)}
        if business and company.dunning_indemnity_amount:
            values["indemnity"] = {
                "amount": formatLang(env, company.dunning_indemnity_amount, currency_obj=company.currency_id),
            }
        mentions = []
        for mention, mention_values in values.items():
            wording = company[f"dunning_mention_{mention}"] or standard[mention]
            try:
                mentions.append(legal_mentions.fill(mention, wording, **mention_values))
            except legal_mentions.WordingError:
                mentions.append(legal_mentions.fill(mention, standard[mention], **mention_values))
        return mentions

    def _pay_by_bank_provider(self):
        """The company's enabled pay-by-bank provider, if the invoice can be paid through it."""
        self.ensure_one()
        return self._pay_by_bank_providers().get(self, self.env["payment.provider"])

    def _pay_by_bank_providers(self):
        """{invoice: its company's enabled pay-by-bank provider}, for the invoices that can be paid by bank;
        one search for all, since reminders ask it for every invoice they list."""
        payable = self.filtered(lambda move: move.move_type == "out_invoice" and move.state == "posted"
                                and move.currency_id.name in SUPPORTED_CURRENCIES)
        if not payable:
            return {}
        by_company = {}
        for provider in self.env["payment.provider"].sudo().search([
            ("code", "=", PROVIDER_CODE), ("state", "in", ("enabled", "test")),
            ("company_id", "in", payable.company_id.ids),
        ]):
            by_company.setdefault(provider.company_id, provider)
        return {move: by_company[move.company_id] for move in payable if move.company_id in by_company}

    def _pay_by_bank_amount(self):
        """What a payment by bank initiates today: the next installment of the invoice's installment plan,
        the early-discounted amount inside the discount window, the next installment of the payment term
        where it has several, else the amount due."""
        self.ensure_one()
        if self.payment_state not in OPEN_PAYMENT_STATES or self.currency_id.is_zero(self.amount_residual):
            return 0.0
        plan = self.dunning_active_plan_id
        if plan:
            installment = plan._next_installment()
            return min(installment.amount_due, self.amount_residual) if installment else 0.0
        values = self._get_invoice_next_payment_values()
        if values.get("installment_state") == "epd":
            return values["amount_due"]
        return values.get("next_amount_to_pay") or self.amount_residual

    def _pay_by_bank_in_progress(self):
        """Whether a payment by bank of these invoices was approved and awaits the bank's settlement: another
        one would pay them twice."""
        return any(tx.provider_code == PROVIDER_CODE and (
            tx.state in ("pending", "authorized")
            # approved at the bank, then an answer that could not be read: the poll goes on with it
            or (tx.state == "error" and tx.pay_by_bank_status not in (False, "RCVD") and tx._pay_by_bank_awaits_bank())
        ) for tx in self.transaction_ids)

    @api.depends("transaction_ids.state", "state", "payment_state")
    def _compute_pay_by_bank(self):
        providers = self._pay_by_bank_providers()
        for invoice in self:
            transactions = invoice.transaction_ids.filtered(lambda tx: tx.provider_code == PROVIDER_CODE)
            invoice.pay_by_bank_state = transactions.sorted("id")[-1:].state
            invoice.pay_by_bank_url = bool(invoice._origin.id and invoice in providers) and (
                f"{invoice.get_base_url()}/my/invoices/{invoice._origin.id}/pay_by_bank"
                f"?access_token={invoice.sudo()._portal_ensure_token()}"
            )

    def action_pay_by_bank(self):
        """The dialog with the link, for a colleague on the phone with the customer."""
        self.ensure_one()
        if not self.pay_by_bank_url or not self._pay_by_bank_amount():
            raise UserError(self.env._(
                "%(invoice)s cannot be paid by bank: it must be a posted, unpaid customer invoice in euros, "
                "and a Pay by bank payment provider must be enabled for %(company)s.",
                invoice=self.display_name, company=self.company_id.name,
            ))
        return self.env["dunning.pay.by.bank.link"]._open(self)

    def action_dunning_installment_plan(self):
        return {
            "type": "ir.actions.act_window", "res_model": "dunning.installment.plan.wizard", "view_mode": "form",
            "target": "new", "name": self.env._("Offer an installment plan"),
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_dunning_dispute(self):
        return self.env["dunning.pause.wizard"]._open(self, "dispute")

    def action_dunning_promise(self):
        return self.env["dunning.pause.wizard"]._open(self, "promise")

    def action_dunning_clear_dispute(self):
        self.write({"dunning_disputed": False, "dunning_dispute_reason": False, "dunning_dispute_note": False,
                    "dunning_dispute_date": False})

    def action_dunning_cancel_promise(self):
        self.write({"dunning_promise_date": False, "dunning_promise_amount": 0.0})

    # Promises to pay and disputes: from the backend, or from the customer on the link of a reminder. Both
    # pause dunning the same way; the customer's also give the credit controller an activity. ------------

    dunning_promise_residual = fields.Monetary(
        string="Left to pay when promised", copy=False, readonly=True,
        help="The promise is kept once no more than this, less the promised amount, is left to pay.",
    )
    dunning_promise_broken = fields.Boolean(
        string="Promise broken", compute="_compute_dunning_promise_broken", search="_search_dunning_promise_broken",
        help="The promised date has passed and the promised amount has not come in.",
    )
    dunning_self_service_url = fields.Char(
        string="Customer's answer link", compute="_compute_dunning_self_service_url",
        help="The page where the customer says when they will pay this invoice, or why they dispute it.",
    )

    def _dunning_promise_short(self):
        """Whether less than the promised amount came in since the promise."""
        self.ensure_one()
        target = self.dunning_promise_residual - self.dunning_promise_amount
        return self.currency_id.compare_amounts(self.amount_residual, max(target, 0.0)) > 0

    @api.depends("dunning_promise_date", "dunning_promise_amount", "dunning_promise_residual", "amount_residual",
                 "payment_state")
    @api.depends_context("company")
    def _compute_dunning_promise_broken(self):
        today = fields.Date.context_today(self)
        for move in self:
            move.dunning_promise_broken = bool(
                move.dunning_promise_date and move.dunning_promise_date < today
                and move.payment_state in OPEN_PAYMENT_STATES and move._dunning_promise_short()
            )

    def _search_dunning_promise_broken(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        self.env["account.move"].flush_model(["dunning_promise_date", "dunning_promise_amount",
                                              "dunning_promise_residual", "amount_residual", "payment_state"])
        broken = SQL(
            """
            SELECT move.id FROM account_move move JOIN res_currency currency ON currency.id = move.currency_id
             WHERE move.dunning_promise_date < %(today)s AND move.payment_state IN %(open)s
               AND ROUND(move.amount_residual - GREATEST(COALESCE(move.dunning_promise_residual, 0)
                         - COALESCE(move.dunning_promise_amount, 0), 0), currency.decimal_places::int) > 0
            """, today=fields.Date.context_today(self), open=OPEN_PAYMENT_STATES,
        )
        return [("id", "in" if (operator == "=") == value else "not in", broken)]

    def _compute_dunning_self_service_url(self):
        for move in self:
            move.dunning_self_service_url = bool(
                move._origin.id and move.move_type == "out_invoice" and move.state == "posted"
            ) and f"{move.get_base_url()}/my/invoices/{move._origin.id}/dunning?access_token=" \
                  f"{move.sudo()._portal_ensure_token()}"

    # Recording them ---------------------------------------------------------------------------

    def _dunning_check_pausable(self):
        if self.filtered(lambda move: move.move_type != "out_invoice" or move.state != "posted"):
            raise UserError(self.env._("Only posted customer invoices can have their dunning paused."))

    def _dunning_record_promise(self, date, amount=None, note=False, from_customer=False):
        """A promise to pay ``amount`` (what is left to pay) by ``date``: dunning waits until then."""
        self._dunning_check_pausable()
        today = fields.Date.context_today(self)
        if not date or date < today:
            raise UserError(self.env._("A promise to pay is for today or a later date."))
        if from_customer:
            latest = max(self.company_id.mapped("dunning_promise_max_days") or [0])
            if (date - today).days > latest:
                raise UserError(self.env._(
                    "A payment date can be promised up to %(days)s days ahead here. For a later date, please "
                    "contact us.", days=latest,
                ))
        for move in self:
            promised = move.amount_residual if amount is None else amount
            if move.currency_id.compare_amounts(promised, 0.0) <= 0:
                raise UserError(self.env._("The promised amount must be positive."))
            move.write({"dunning_promise_date": date, "dunning_promise_amount": promised,
                        "dunning_promise_residual": move.amount_residual})
        if from_customer:
            for move in self:
                move._dunning_tell_controller("promise", note)

    def _dunning_record_dispute(self, reason, note=False, date=None, from_customer=False):
        """The customer disputes these invoices for ``reason``: dunning stops until the dispute is cleared."""
        self._dunning_check_pausable()
        if reason not in dict(self._fields["dunning_dispute_reason"].selection):
            raise UserError(self.env._("Say why the invoice is disputed."))
        if reason == "other" and not (note or "").strip():
            raise UserError(self.env._("Say in a few words what is wrong with the invoice."))
        self.write({
            "dunning_disputed": True, "dunning_dispute_reason": reason, "dunning_dispute_note": note or False,
            "dunning_dispute_date": date or fields.Date.context_today(self),
        })
        if from_customer:
            for move in self:
                move._dunning_tell_controller("dispute", note)

    def _dunning_controller(self):
        """Who follows this invoice up: the customer's credit controller, the company's, the salesperson."""
        self.ensure_one()
        customer = self.commercial_partner_id.with_company(self.company_id)
        return (customer.dunning_controller_id or self.company_id.dunning_default_controller_id
                or self.invoice_user_id or self.create_uid)

    def _dunning_tell_controller(self, kind, note):
        """The customer's answer on the invoice's chatter, in the company's language, and an activity for its
        credit controller: check the promise came in on its date, or settle the dispute."""
        self.ensure_one()
        move = self.sudo().with_context(lang=self.company_id.partner_id.lang or self.env.lang)
        env, controller = move.env, move._dunning_controller()
        if kind == "promise":
            amount = formatLang(env, move.dunning_promise_amount, currency_obj=move.currency_id)
            day = format_date(env, move.dunning_promise_date)
            summary = env._("%(customer)s promises to pay %(amount)s on %(date)s",
                            customer=move.commercial_partner_id.display_name, amount=amount, date=day)
            activity_type, deadline = "dunning_pis.mail_activity_dunning_customer_promise", move.dunning_promise_date
        else:
            reason = dict(move._fields["dunning_dispute_reason"]._description_selection(env))[
                move.dunning_dispute_reason]
            summary = env._("%(customer)s disputes %(invoice)s: %(reason)s",
                            customer=move.commercial_partner_id.display_name, invoice=move.name, reason=reason)
            activity_type, deadline = "dunning_pis.mail_activity_dunning_customer_dispute", fields.Date.context_today(
                move)
        body = Markup("<p>%s</p>") % env._("From the link of a reminder: %(summary)s. Dunning is paused.",
                                          summary=summary)
        if note:
            body += Markup("<blockquote>%s</blockquote>") % note
        move.message_post(body=body, author_id=move.commercial_partner_id.id, message_type="comment",
                          subtype_xmlid="mail.mt_note")
        move.activity_schedule(activity_type, date_deadline=deadline, summary=summary, note=note or "",
                               user_id=controller.id)
