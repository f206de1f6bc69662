from datetime import timedelta
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from ..installments import schedule
from .company_language import in_company_language
from .dunning_communication import OPEN_PAYMENT_STATES

PLAN_STATES = [
    ("draft", "Draft"), ("proposed", "Proposed"), ("active", "Active"),
    ("completed", "Completed"), ("broken", "Broken"), ("cancelled", "Cancelled"),
]


class DunningInstallmentPlan(models.Model):
    """An échéancier: a customer's open invoices paid in dated installments they accepted.

    Invoices stay posted and untouched. What the customer paid since the plan was made is the drop of the
    invoices' residual (any payment counts: by bank, direct debit or transfer), spread over the
    installments oldest first; so a plan never disagrees with the ledger. While active, dunning skips its
    invoices; when it breaks, they come back to dunning at the level they had reached.
    """

    _name = "dunning.installment.plan"
    _description = "Installment plan"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: self.env._("New"))
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, tracking=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    invoice_ids = fields.Many2many(
        "account.move", "dunning_installment_plan_invoice_rel", "plan_id", "move_id", string="Invoices",
        readonly=True, copy=False,
    )
    installment_ids = fields.One2many("dunning.installment", "plan_id", string="Installments", copy=False)
    state = fields.Selection(PLAN_STATES, default="draft", required=True, readonly=True, tracking=True, copy=False)
    open_amount = fields.Monetary(
        string="Amount planned", readonly=True,
        help="What the invoices had left to pay when the plan was made.",
    )
    fee_amount = fields.Monetary(string="Plan fee", readonly=True)
    fee_invoice_id = fields.Many2one("account.move", string="Fee invoice", readonly=True, copy=False)
    total_amount = fields.Monetary(string="Total", compute="_compute_amounts")
    paid_amount = fields.Monetary(string="Paid", compute="_compute_amounts")
    remaining_amount = fields.Monetary(string="Left to pay", compute="_compute_amounts")
    mandate_id = fields.Many2one("dunning.sepa.mandate", string="SEPA mandate", readonly=True, copy=False)
    needs_mandate = fields.Boolean(compute="_compute_needs_mandate")
    accepted_date = fields.Datetime(string="Accepted on", readonly=True, copy=False)
    accepted_by = fields.Char(readonly=True, copy=False)
    rejected_debit_count = fields.Integer(string="Returned debits", readonly=True, copy=False)
    mandate_requested_on = fields.Date(
        string="New mandate asked on", readonly=True, copy=False,
        help="The customer was asked to sign a new mandate: the one of the plan can no longer be collected.",
    )
    user_id = fields.Many2one("res.users", string="Credit controller", default=lambda self: self.env.user)

    @api.depends("open_amount", "fee_amount", "invoice_ids.amount_residual", "fee_invoice_id.amount_residual")
    def _compute_amounts(self):
        for plan in self:
            left = sum(plan.invoice_ids.mapped("amount_residual"))
            left += plan.fee_invoice_id.amount_residual if plan.fee_invoice_id else plan.fee_amount
            plan.total_amount = plan.open_amount + plan.fee_amount
            plan.remaining_amount = left
            plan.paid_amount = max(plan.total_amount - left, 0.0)

    @api.depends("installment_ids.method")
    def _compute_needs_mandate(self):
        for plan in self:
            plan.needs_mandate = "sepa_direct_debit" in plan.installment_ids.mapped("method")

    def _compute_access_url(self):
        for plan in self:
            plan.access_url = f"/my/installment_plans/{plan.id}"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.installment.plan") or "/"
        return super().create(vals_list)

    @api.model
    def _create_from_schedule(self, invoices, installments, methods, fee_amount=0.0):
        """A draft plan for ``invoices`` with the plain-Python ``installments`` and one method each."""
        return self.create({
            "company_id": invoices.company_id.id,
            "partner_id": invoices.commercial_partner_id.id,
            "currency_id": invoices.currency_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "open_amount": sum(invoices.mapped("amount_residual")),
            "fee_amount": fee_amount,
            "installment_ids": [
                Command.create({"sequence": part.sequence, "due_date": part.due_date, "amount": float(part.amount),
                                "method": method})
                for part, method in zip(installments, methods, strict=True)
            ],
        })

    def _check_can_propose(self):
        """What the customer is asked to accept must add up and be collectable; nothing is sent otherwise."""
        for plan in self:
            digits = plan.currency_id.decimal_places
            parts = [schedule.Installment(line.sequence, line.due_date, Decimal(str(line.amount)))
                     for line in plan.installment_ids.sorted("sequence")]
            try:
                schedule.validate(parts, Decimal(str(plan.total_amount)), digits)
            except schedule.ScheduleError as error:
                raise UserError(plan._schedule_message(error)) from error
            plan._check_invoices_free(plan.invoice_ids, ("proposed", "active"))
            if plan.needs_mandate and plan.currency_id.name != "EUR":
                raise UserError(self.env._("SEPA direct debits collect euros only: %(plan)s is in %(currency)s.",
                                           plan=plan.name, currency=plan.currency_id.name))
            if plan.needs_mandate and not plan.company_id.dunning_sepa_creditor_identifier:
                raise UserError(self.env._(
                    "%(company)s has no SEPA creditor identifier: set it in the accounting settings before "
                    "proposing direct debits.", company=plan.company_id.name,
                ))
            if plan.fee_amount and not plan.company_id.dunning_fee_account_id:
                raise UserError(self.env._(
                    "A plan fee needs the fees account of the dunning settings.",
                ))

    def _check_invoices_free(self, invoices, states):
        """An invoice is paid under one plan at a time: refuse ``invoices`` if another plan in ``states``
        (not one of ``self``) covers them."""
        others = self.search([("id", "not in", self.ids), ("invoice_ids", "in", invoices.ids), ("state", "in", states)])
        if others:
            raise UserError(self.env._("%(invoices)s already belong to plan %(plan)s.",
                                       invoices=", ".join((others.invoice_ids & invoices).mapped("name")),
                                       plan=", ".join(others.mapped("name"))))

    def _schedule_message(self, error):
        Problem = schedule.ScheduleProblem
        messages = {
            Problem.NO_INSTALLMENT: self.env._("A plan needs at least one installment."),
            Problem.NOTHING_TO_SPLIT: self.env._("These invoices have nothing left to pay."),
            Problem.FIRST_AMOUNT_TOO_LARGE: self.env._("The first installment must be less than the total."),
            Problem.FIRST_AMOUNT_NOT_TOTAL: self.env._("With a single installment, it is the whole amount."),
            Problem.FIRST_AMOUNT_NOT_POSITIVE: self.env._("The first installment must be more than zero."),
            Problem.BAD_INTERVAL: self.env._("The interval between installments must be at least 1."),
            Problem.BAD_UNIT: self.env._("The interval is counted in days or in months."),
            Problem.TOO_SMALL: self.env._("The amount is too small for so many installments."),
            Problem.SUM_MISMATCH: self.env._(
                "The installments add up to %(sum)s but the plan is for %(total)s: correct the amounts.",
                sum=formatLang(self.env, sum(self.installment_ids.mapped("amount")), currency_obj=self.currency_id),
                total=formatLang(self.env, self.total_amount, currency_obj=self.currency_id),
            ),
            Problem.NOT_POSITIVE: self.env._("Installment %(sequence)s must be more than zero.",
                                             sequence=error.sequence),
            Problem.DATES_NOT_INCREASING: self.env._("Installment %(sequence)s must fall after the one before.",
                                                     sequence=error.sequence),
        }
        return messages[error.problem]

    def action_propose(self):
        """Send the plan to the customer: the email links to the portal page where they accept it."""
        self._check_can_propose()
        template = self.env.ref("dunning_pis.mail_template_installment_plan_proposal")
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be proposed."))
            plan._portal_ensure_token()
            plan.state = "proposed"
            plan.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def _accept(self, signer, iban=None, bic=None, place=None):
        """The customer accepts on the portal; with direct debits, the mandate they sign there.

        The schedule they accept is the pre-notification of its direct debits (EPC SDD Core rulebook,
        PT-04.02: a schedule of payments may be the notice), sent on the day of acceptance.
        """
        self.ensure_one()
        if self.state != "proposed":
            raise UserError(self.env._("This plan is no longer waiting for your acceptance."))
        now = fields.Datetime.now()
        values = {"state": "active", "accepted_date": now, "accepted_by": signer}
        message = self.env._("Accepted on the portal by %(signer)s.", signer=signer)
        if self.needs_mandate:
            mandate, reused = self._mandate_for(signer, iban, bic, place)
            if reused:
                message = self.env._(
                    "Accepted on the portal by %(signer)s; the debits go under the mandate %(mandate)s signed on "
                    "%(date)s for the same account.", signer=signer, mandate=mandate.name,
                    date=format_date(self.env, mandate.signature_date),
                )
            values["mandate_id"] = mandate.id
        if self.fee_amount:
            values["fee_invoice_id"] = self._invoice_fee().id
        self.write(values)
        today = fields.Date.context_today(self)
        for line in self.installment_ids.filtered(lambda line: line.method == "sepa_direct_debit"):
            line.write({"notice_amount": line.amount, "notice_date": line.due_date, "notice_sent_on": today})
        self.message_post(body=message)

    def _mandate_for(self, signer, iban, bic, place):
        """The customer's usable mandate on ``iban``, else a new one signed now: (mandate, reused)."""
        today = fields.Date.context_today(self)
        mandate = self.env["dunning.sepa.mandate"]._reusable(self.partner_id, self.company_id, iban, today)
        if mandate:
            return mandate, True
        mandate = self.env["dunning.sepa.mandate"].create({
            "company_id": self.company_id.id, "partner_id": self.partner_id.id, "debtor_name": signer,
            "iban": iban, "bic": bic or False, "signature_date": today, "signed_on_portal": True,
            "signature_place": place or self.partner_id.city or False, "state": "active",
        })
        mandate._attach_document()
        return mandate, False

    def _sign_new_mandate(self, signer, iban, bic=None, place=None):
        """The customer signs a new mandate on the portal for an active plan whose mandate can no longer collect."""
        self.ensure_one()
        if self.state != "active" or not self.mandate_requested_on:
            raise UserError(self.env._("This plan does not need a new mandate."))
        mandate, _reused = self._mandate_for(signer, iban, bic, place)
        if mandate == self.mandate_id:
            raise UserError(self.env._("Mandate %(mandate)s cannot be used any more: sign for another account.",
                                       mandate=mandate.name))
        self.write({"mandate_id": mandate.id, "mandate_requested_on": False})
        self._company_lang().message_post(body=self._company_lang().env._(
            "%(signer)s signed the new mandate %(mandate)s on the portal.", signer=signer, mandate=mandate.name))

    def _company_lang(self):
        """The plan in its company's language, for what is posted with no user in front of it (crons, banks)."""
        return self.with_context(lang=self.company_id.partner_id.lang or self.env.lang)

    def _ask_new_mandate(self, reason):
        """The plan's mandate can no longer collect: email the customer the portal link to sign a new one, and
        give the credit controller an activity. Asked once until they sign."""
        template = self.env.ref("dunning_pis.mail_template_installment_plan_new_mandate")
        for record in self.filtered(lambda plan: not plan.mandate_requested_on):
            plan = record._company_lang()
            plan._portal_ensure_token()
            plan.mandate_requested_on = fields.Date.context_today(plan)
            plan.message_post(body=plan.env._("A new SEPA mandate was asked of the customer: %(reason)s",
                                              reason=reason))
            plan.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
            plan.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=plan.env._("New SEPA mandate needed for %(plan)s", plan=plan.name),
                note=plan.env._("%(reason)s The customer was emailed the link to sign a new mandate; no debit is "
                                "collected until they do.", reason=reason),
                user_id=(plan.user_id or plan.company_id.dunning_default_controller_id or self.env.user).id,
                date_deadline=fields.Date.context_today(plan),
            )

    def _refresh_prenotifications(self):
        """Any change of a coming debit's amount (a payment by transfer, a return) sends the customer the
        new schedule of their direct debits, at least the notice period before the first of them changed."""
        today = fields.Date.context_today(self)
        for plan in self.filtered(lambda plan: plan.state == "active"):
            debits = plan.installment_ids.filtered(lambda line: line._is_direct_debit_to_notify())
            changed = debits.filtered(lambda line: not line.notice_sent_on or line.currency_id.compare_amounts(
                line.notice_amount, line.amount_due) != 0)
            if changed:
                plan._send_prenotification(changed, today)

    def _send_prenotification(self, lines, today):
        self.ensure_one()
        template = self.env.ref("dunning_pis.mail_template_installment_prenotification")
        lines._record_notice(today, self.company_id.dunning_sepa_prenotification_days, keep_valid=False)
        plan = self._company_lang()
        plan.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    def _invoice_fee(self):
        fee_invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.partner_id.id, "company_id": self.company_id.id,
            "invoice_user_id": self.user_id.id,
            "currency_id": self.currency_id.id, "invoice_date": fields.Date.context_today(self),
            # The fee falls due with the first installment, and is not dunned like an invoice.
            "invoice_payment_term_id": False, "dunning_charges_kind": "plan_fee",
            "invoice_date_due": self.installment_ids.sorted("sequence")[:1].due_date or fields.Date.context_today(self),
            "invoice_line_ids": [Command.create({
                "name": self.env._("Installment plan fee (%(plan)s)", plan=self.name), "quantity": 1,
                "price_unit": self.fee_amount, "account_id": self.company_id.dunning_fee_account_id.id,
                "tax_ids": [Command.clear()],
            })],
        })
        fee_invoice.action_post()
        return fee_invoice

    def action_cancel(self):
        if any(plan.state not in ("draft", "proposed", "active") for plan in self):
            raise UserError(self.env._("Only a draft, proposed or active plan can be cancelled."))
        self.write({"state": "cancelled"})

    def action_draft(self):
        if any(plan.state not in ("proposed", "cancelled") for plan in self):
            raise UserError(self.env._("Only a proposed or cancelled plan can go back to draft."))
        self.write({"state": "draft"})

    def _open_invoices(self):
        """The plan's invoices that still have something to pay, oldest due first."""
        invoices = self.invoice_ids | self.fee_invoice_id
        return invoices.filtered(lambda move: move.payment_state in OPEN_PAYMENT_STATES).sorted(
            lambda move: (move.invoice_date_due or move.date, move.id))

    def _reconcile_oldest_first(self, payment):
        """Settle the plan's invoices with ``payment``, the one due first first."""
        self.ensure_one()
        receivable = payment.destination_account_id
        for invoice in self._open_invoices():
            payment_lines = payment.move_id.line_ids.filtered(
                lambda aml: aml.account_id == receivable and not aml.reconciled)
            if not payment_lines:
                break
            (payment_lines | invoice.line_ids.filtered(
                lambda aml: aml.account_id == receivable and not aml.reconciled)).reconcile()

    def _next_installment(self):
        self.ensure_one()
        return self.installment_ids.filtered(lambda line: line.state in ("open", "late")).sorted("sequence")[:1]

    def _complete_if_paid(self):
        """Complete the active plans with nothing left to pay; return the others."""
        paid = self.filtered(lambda plan: plan.state == "active" and plan.currency_id.is_zero(plan.remaining_amount))
        for plan in paid:
            plan.state = "completed"
            plan.message_post(body=self.env._("Completed: everything was paid."))
        return self - paid

    def _watch(self, today):
        """Complete plans fully paid; break those with an installment unpaid too long after its date."""
        for plan in self.filtered(lambda plan: plan.state == "active")._complete_if_paid():
            overdue_before = today - timedelta(days=plan.company_id.dunning_plan_break_days)
            # A debit in a file is money on its way, not a default: it does not break the plan.
            late = plan.installment_ids.filtered(
                lambda line, limit=overdue_before: line.state in ("open", "late") and line.due_date < limit,
            )
            if late:
                plan._break(self.env._(
                    "Installment %(sequence)s of %(date)s is still unpaid.",
                    sequence=late[0].sequence, date=late[0].due_date,
                ))

    def _break(self, reason):
        """The customer is told, the credit controller gets a task, and dunning takes the invoices back."""
        template = self.env.ref("dunning_pis.mail_template_installment_plan_broken")
        for plan in self:
            plan.state = "broken"
            plan.message_post(body=self.env._("Plan broken: %(reason)s", reason=reason))
            plan.message_post_with_source(template, subtype_xmlid="mail.mt_comment")
            plan.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Installment plan %(plan)s broken", plan=plan.name),
                note=self.env._("%(reason)s Dunning resumes on the invoices left to pay.", reason=reason),
                user_id=(plan.user_id or plan.company_id.dunning_default_controller_id or self.env.user).id,
                date_deadline=fields.Date.context_today(plan),
            )

    def _count_rejected_debit(self):
        for plan in self:
            plan.rejected_debit_count += 1
            if plan.rejected_debit_count >= plan.company_id.dunning_plan_break_rejections:
                plan._break(self.env._("%(count)s direct debits were rejected.", count=plan.rejected_debit_count)
                            if plan.rejected_debit_count != 1 else self.env._("A direct debit was rejected."))

    @api.model
    def _cron_watch(self):
        today = fields.Date.context_today(self)
        for company, active in self.search([("state", "=", "active")]).grouped("company_id").items():
            plans = in_company_language(active, company)
            plans._watch(today)
            plans._refresh_prenotifications()
            # Debits under a mandate a service (GoCardless) set up: asked of it (pay_by_bank_service_debits).
            plans.filtered("mandate_id.service_reference")._collect_through_service()

    def action_preview(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.get_portal_url(), "target": "self"}

    def _get_report_base_filename(self):
        return self.name
