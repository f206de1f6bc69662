from datetime import timedelta
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from ..direct_debit import prenotification, reason_codes
from ..installments import schedule

METHODS = [
    ("pay_by_bank", "Pay by bank (payment initiation)"),
    ("sepa_direct_debit", "SEPA direct debit"),
    ("manual", "Ordinary bank transfer"),
]
REASON_CODES = [(code, f"{code} {meaning}") for code, meaning in reason_codes.MEANINGS.items()]


class DunningInstallment(models.Model):
    """One dated amount of an installment plan, and how it is collected.

    A direct debit is for what the installment still has to pay when its file is generated
    (``debit_amount``), under a pre-notification that told the customer that amount for that date. While
    it is in a file (``debit_state`` exported) it counts as paid for the plan: the money is on its way.
    """

    _name = "dunning.installment"
    _description = "Installment"
    _order = "plan_id, sequence"

    plan_id = fields.Many2one("dunning.installment.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(required=True, default=1)
    due_date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    method = fields.Selection(METHODS, required=True, default="sepa_direct_debit")
    paid_amount = fields.Monetary(string="Paid", compute="_compute_paid")
    amount_due = fields.Monetary(string="Left to pay", compute="_compute_paid")
    state = fields.Selection(
        [("open", "To pay"), ("late", "Late"), ("in_payment", "Debit on its way"), ("paid", "Paid")],
        compute="_compute_paid",
    )
    debit_batch_id = fields.Many2one("dunning.direct.debit.batch", string="Direct-debit batch", copy=False,
                                     index="btree_not_null")
    debit_state = fields.Selection(
        [("none", "Not collected"), ("exported", "In a file"), ("collected", "Collected"), ("rejected", "Returned")],
        default="none", required=True, copy=False,
    )
    gathered_amount = fields.Monetary(
        string="Due when gathered", readonly=True, copy=False,
        help="What the installment had left to pay when its batch gathered it.",
    )
    debit_amount = fields.Monetary(
        string="Debit", readonly=True, copy=False,
        help="The amount put in the direct-debit file: what the installment had left to pay when the file was made.",
    )
    end_to_end_id = fields.Char(string="End-to-end reference", readonly=True, copy=False, index="btree_not_null")
    debit_payment_id = fields.Many2one("account.payment", string="Debit payment", readonly=True, copy=False)
    rejection_reason = fields.Char(string="Return reason", readonly=True, copy=False)
    return_ids = fields.One2many("dunning.direct.debit.return", "installment_id", string="Returns", readonly=True)
    notice_amount = fields.Monetary(string="Notified amount", readonly=True, copy=False)
    notice_date = fields.Date(string="Notified debit date", readonly=True, copy=False)
    notice_sent_on = fields.Date(string="Notified on", readonly=True, copy=False)
    debit_issue = fields.Char(
        string="Cannot be collected", compute="_compute_debit_issue",
        help="Why this debit cannot go in its batch's file as things stand.",
    )

    @api.depends("plan_id.name", "sequence", "due_date")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._("%(plan)s, installment %(sequence)s of %(date)s", plan=line.plan_id.name,
                                           sequence=line.sequence, date=format_date(self.env, line.due_date))

    @api.depends("plan_id.paid_amount", "plan_id.installment_ids.amount", "due_date", "debit_state")
    def _compute_paid(self):
        """The plan's payments settle its installments oldest first; a debit in a file is on its way."""
        today = fields.Date.context_today(self)
        for plan in self.plan_id:
            lines = plan.installment_ids.sorted("sequence")
            allocation = schedule.allocate(
                plan.currency_id.round(plan.paid_amount),
                [(line.id, line.due_date, plan.currency_id.round(line.amount)) for line in lines],
            )
            paid = {key: float(amount) for key, amount in allocation.parts}
            for line in lines & self:
                line.paid_amount = paid.get(line.id, 0.0)
                line.amount_due = plan.currency_id.round(line.amount - line.paid_amount)
                if plan.currency_id.compare_amounts(line.paid_amount, line.amount) >= 0:
                    line.state = "paid"
                elif line.debit_state == "exported":
                    line.state = "in_payment"
                else:
                    line.state = "late" if line.due_date < today else "open"
        for line in self.filtered(lambda line: not line.plan_id):
            line.paid_amount, line.amount_due, line.state = 0.0, line.amount, "open"

    @api.depends("amount_due", "notice_amount", "notice_date", "notice_sent_on", "debit_batch_id.collection_date",
                 "plan_id.mandate_id.state", "plan_id.state")
    def _compute_debit_issue(self):
        for line in self:
            batch = line.debit_batch_id
            if not batch or batch.state != "draft" or line.debit_state == "exported":
                line.debit_issue = False
                continue
            line.debit_issue = line._debit_issue(line._collection_date(batch.collection_date))

    def _collection_date(self, batch_date):
        """The day this debit is collected in a batch collecting on ``batch_date``."""
        return max(batch_date, self.notice_date or self.due_date)

    def _notice(self):
        if not self.notice_sent_on:
            return None
        return prenotification.Notice(Decimal(str(self.notice_amount)).quantize(Decimal("0.01")), self.notice_date,
                                      self.notice_sent_on)

    def _notice_problem(self, collection_date):
        return prenotification.problem(self._notice(), Decimal(str(self.amount_due)).quantize(Decimal("0.01")),
                                       collection_date, self.company_id.dunning_sepa_prenotification_days)

    def _debit_issue(self, collection_date):
        """Why this debit may not be collected on ``collection_date``, as a sentence; False when it may."""
        self.ensure_one()
        if self.plan_id.state != "active":
            return self.env._("Plan %(plan)s is no longer active.", plan=self.plan_id.name)
        if self.currency_id.is_zero(self.amount_due):
            return self.env._("Paid in full since it was gathered.")
        mandate_issue = self.plan_id.mandate_id._collect_issue(collection_date)
        if mandate_issue:
            return mandate_issue
        problem = self._notice_problem(collection_date)
        if problem is None:
            return False
        days = self.company_id.dunning_sepa_prenotification_days
        amount_due = formatLang(self.env, self.amount_due, currency_obj=self.currency_id)
        Problem = prenotification.NoticeProblem
        return {
            Problem.MISSING: self.env._("The customer was never told of this debit."),
            Problem.AMOUNT_CHANGED: self.env._(
                "The customer was told %(notified)s; %(amount)s is due now and needs a new notice.",
                notified=formatLang(self.env, self.notice_amount, currency_obj=self.currency_id), amount=amount_due),
            Problem.DATE_CHANGED: self.env._(
                "The customer was told the debit would be on %(notified)s, not on %(date)s.",
                notified=format_date(self.env, self.notice_date), date=format_date(self.env, collection_date)),
            Problem.TOO_LATE: self.env._(
                "The customer was told on %(sent)s, less than %(days)s days before %(date)s.",
                sent=format_date(self.env, self.notice_sent_on), days=days,
                date=format_date(self.env, self.notice_date)),
        }[problem]

    def _is_direct_debit_to_notify(self):
        return (self.method == "sepa_direct_debit" and self.debit_state in ("none", "rejected")
                and not self.currency_id.is_zero(self.amount_due))

    def _record_notice(self, today, days, keep_valid=True):
        """Note what the customer is told now: each debit's amount due and the first date it can be collected.

        A debit whose notice still covers it keeps it (``keep_valid``): only what changed is announced anew.
        """
        for line in self:
            planned = line.notice_date or line.due_date
            if keep_valid and line.notice_sent_on and line._notice_problem(planned) is None:
                continue
            line.write({
                "notice_amount": line.amount_due,
                "notice_date": prenotification.first_date(line.due_date, today, days),
                "notice_sent_on": today,
            })

    def _where(self):
        """The debit, its mandate, its customer and its plan, as every message about a debit names them."""
        self.ensure_one()
        return self.env._(
            "debit %(debit)s of %(amount)s, mandate %(mandate)s, %(customer)s, plan %(plan)s",
            debit=self.end_to_end_id or self.display_name, mandate=self.plan_id.mandate_id.name or "-",
            customer=self.partner_id.display_name, plan=self.plan_id.name,
            amount=formatLang(self.env, self.debit_amount or self.amount_due, currency_obj=self.currency_id),
        )

    def _record_return(self, reason_code, return_date, source, report=None):
        """The bank did not collect this debit, or took it back: undo its payment by a reversal on the return
        date (the first open day after a lock date), keep the original entries, and make the installment
        due again. A reason that says the mandate is unusable asks the customer for a new one."""
        self.ensure_one()
        if self.debit_state not in ("exported", "collected"):
            raise UserError(self.env._("Only a debit sent to the bank can be returned (%(where)s).",
                                       where=self._where()))
        code = (reason_code or reason_codes.UNKNOWN).upper()
        meaning = reason_codes.meaning(code)
        labels = dict(self.env["dunning.direct.debit.return"]._fields["reason_code"]._description_selection(self.env))
        reason = labels[code] if meaning else code
        payment = self.debit_payment_id if self.debit_state == "collected" else self.env["account.payment"]
        reversal = self.env["account.move"]
        accounting_date = return_date
        if payment:
            move = payment.move_id
            locks = self.company_id._get_violated_lock_dates(return_date, False, move.journal_id)
            if locks:
                accounting_date = locks[-1][0] + timedelta(days=1)
            reversal = move._reverse_moves([{
                "date": accounting_date,
                "ref": self.env._("Returned direct debit %(debit)s: %(reason)s", debit=self.end_to_end_id,
                                  reason=reason),
            }], cancel=True)
        self.env["dunning.direct.debit.return"].create({
            "installment_id": self.id, "batch_id": self.debit_batch_id.id, "end_to_end_id": self.end_to_end_id,
            "date": return_date, "accounting_date": accounting_date if payment else False,
            "reason_code": code if meaning else False, "reason": reason,
            "amount": self.debit_amount, "payment_id": payment.id, "reversal_move_id": reversal.id,
            "source": source, "report_name": report,
        })
        self.write({"debit_state": "rejected", "debit_payment_id": False, "rejection_reason": reason})
        self.debit_batch_id._close_if_done()
        mandate = self.plan_id.mandate_id
        if not self.search_count([("plan_id.mandate_id", "=", mandate.id), ("debit_state", "=", "collected")]):
            # EPC rulebook: until a first debit is actually collected, the next one is a first one again.
            mandate.collected = False
        plan = self.plan_id.with_context(lang=self.company_id.partner_id.lang or self.env.lang)
        plan.message_post(body=plan.env._(
            "The direct debit of installment %(sequence)s (%(debit)s, %(amount)s) was returned on %(date)s: "
            "%(reason)s.", sequence=self.sequence, debit=self.end_to_end_id, reason=reason,
            amount=formatLang(plan.env, self.debit_amount, currency_obj=self.currency_id),
            date=format_date(plan.env, return_date),
        ))
        if reason_codes.mandate_failed(code) and mandate.state == "active":
            mandate._fail(reason)
        self.plan_id._count_rejected_debit()

    def _book_debit(self, journal, date, invoices):
        """The debit was collected: a posted payment of ``debit_amount`` on ``date`` in ``journal``, reconciled
        with the plan's ``invoices``, oldest first."""
        self.ensure_one()
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.partner_id.id,
            "amount": self.debit_amount, "currency_id": self.currency_id.id, "journal_id": journal.id,
            "company_id": self.company_id.id, "payment_method_line_id": journal.inbound_payment_method_line_ids[:1].id,
            "date": date, "memo": f"{self.end_to_end_id} {', '.join(invoices.mapped('name'))}"[:200],
            "invoice_ids": [Command.set(invoices.ids)],
        })
        payment.action_post()
        self.plan_id._reconcile_oldest_first(payment)
        self.write({"debit_state": "collected", "debit_payment_id": payment.id})
        self.plan_id.mandate_id.collected = True
        return payment

    def action_record_rejection(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "dunning.direct.debit.reject", "view_mode": "form",
            "target": "new", "name": self.env._("Returned direct debit"),
            "context": {"default_installment_id": self.id},
        }


class DunningDirectDebitReturn(models.Model):
    """A direct debit the bank rejected or returned: when, why, and the entries that undid its payment."""

    _name = "dunning.direct.debit.return"
    _description = "Returned direct debit"
    _order = "date desc, id desc"

    installment_id = fields.Many2one("dunning.installment", required=True, readonly=True, ondelete="cascade",
                                     index=True)
    plan_id = fields.Many2one(related="installment_id.plan_id", store=True)
    partner_id = fields.Many2one(related="installment_id.partner_id", store=True)
    company_id = fields.Many2one(related="installment_id.company_id", store=True)
    currency_id = fields.Many2one(related="installment_id.currency_id")
    batch_id = fields.Many2one("dunning.direct.debit.batch", readonly=True)
    end_to_end_id = fields.Char(string="End-to-end reference", readonly=True)
    date = fields.Date(string="Returned on", required=True, readonly=True)
    accounting_date = fields.Date(string="Booked on", readonly=True)
    reason_code = fields.Selection(REASON_CODES, readonly=True)
    reason = fields.Char(readonly=True)
    amount = fields.Monetary(readonly=True)
    payment_id = fields.Many2one("account.payment", string="Payment returned", readonly=True)
    reversal_move_id = fields.Many2one("account.move", string="Reversal entry", readonly=True)
    source = fields.Selection(
        [("manual", "Recorded by hand"), ("pain.002", "pain.002 status report"), ("camt.054", "camt.054 notification")],
        required=True, readonly=True,
    )
    report_name = fields.Char(string="Bank file", readonly=True)
