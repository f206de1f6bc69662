import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_date, formatLang

from ..direct_debit import reason_codes
from ..payment_initiation import gocardless
from ..payment_initiation.base import BankError

_logger = logging.getLogger(__name__)

# GoCardless's payment statuses by what they do to an installment collected under its mandate.
ON_ITS_WAY = frozenset({"submitted"})
COLLECTED = frozenset({"confirmed", "paid_out"})
NOT_COLLECTED = frozenset({"failed", "charged_back", "customer_approval_denied", "cancelled"})
FINAL = COLLECTED | NOT_COLLECTED
# GoCardless's mandate statuses that end it: cancelled or expired by the payer or time, failed at the bank.
MANDATE_REVOKED = frozenset({"cancelled", "expired", "consumed", "transferred", "suspended_by_payer"})
MANDATE_FAILED = frozenset({"failed", "blocked"})
POLL_DAYS = 120


class DunningSepaMandate(models.Model):
    _inherit = "dunning.sepa.mandate"

    service_provider_id = fields.Many2one(
        "payment.provider", string="Collected through", readonly=True, copy=False, ondelete="restrict")
    service_reference = fields.Char(
        string="Service mandate", readonly=True, copy=False, index="btree_not_null",
        help="The mandate the payer authorised at the service (GoCardless: MD…) with their first payment: the "
             "service collects the plan's debits under it, no pain.008 file is made for them.",
    )

    def _apply_service_status(self, status):
        """What GoCardless says of the mandate, read back from it: an ended mandate asks the plans' customers
        for a new one, as a revoked or failed SEPA mandate does."""
        self.ensure_one()
        mandate = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang)
        if self.state != "active":
            return
        if status in MANDATE_FAILED:
            mandate._fail(mandate.env._("GoCardless reports the mandate %(reference)s as %(status)s.",
                                        reference=self.service_reference, status=status))
        elif status in MANDATE_REVOKED:
            mandate.write({"state": "revoked", "end_reason": mandate.env._(
                "GoCardless reports the mandate %(reference)s as %(status)s.", reference=self.service_reference,
                status=status)})
            mandate._ask_plans_for_new_mandate()


class DunningDirectDebitReturn(models.Model):
    _inherit = "dunning.direct.debit.return"

    source = fields.Selection(selection_add=[("gocardless", "GoCardless")], ondelete={"gocardless": "cascade"})


class DunningInstallment(models.Model):
    _inherit = "dunning.installment"

    service_payment_reference = fields.Char(
        string="Service payment", readonly=True, copy=False, index="btree_not_null",
        help="The payment the service collects for this installment under the plan's mandate (GoCardless: PM…).",
    )
    service_payment_status = fields.Char(string="Service status", readonly=True, copy=False)

    def _is_direct_debit_to_notify(self):
        """GoCardless pre-notifies the debits it collects itself: Odoo sends no schedule of its own for them."""
        return super()._is_direct_debit_to_notify() and not self.plan_id.mandate_id.service_reference

    def _service_provider(self):
        return self.plan_id.mandate_id.service_provider_id

    def _apply_service_payment(self, payment, reason_code=None):
        """Where GoCardless says this installment's payment stands (read back from it, never from a webhook):
        submitted → on its way; confirmed or paid out → a posted payment; failed or charged back → returned,
        due again, repeated failures break the plan, as the returns of direct-debit files do."""
        self.ensure_one()
        line = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang)
        state = payment["status"]
        amount = payment["amount"] / 100
        if payment.get("currency") != self.currency_id.name or (
                self.debit_amount and self.currency_id.compare_amounts(amount, self.debit_amount)):
            line.plan_id.message_post(body=line.env._(
                "GoCardless reports the payment %(payment)s of installment %(sequence)s for %(amount)s %(currency)s, "
                "not the %(expected)s asked: nothing was booked.", payment=payment["id"], sequence=self.sequence,
                amount=amount, currency=payment.get("currency"),
                expected=formatLang(line.env, self.debit_amount, currency_obj=self.currency_id)))
            return
        if state == self.service_payment_status and state not in COLLECTED:
            return
        self.service_payment_status = state
        today = fields.Date.context_today(self)
        if state in ON_ITS_WAY and self.debit_state == "none":
            self.debit_state = "exported"
        elif state in COLLECTED and self.debit_state in ("none", "exported"):
            provider = self._service_provider()
            invoices = self.env["dunning.direct.debit.batch"]._paid_invoices(self)
            self._book_debit(provider.journal_id, today, invoices)
            self.plan_id._watch(today)
        elif state in NOT_COLLECTED:
            if self.debit_state == "none" and state == "cancelled":
                self.write({"service_payment_reference": False})
                return
            if self.debit_state == "none":
                self.debit_state = "exported"
            if self.debit_state in ("exported", "collected"):
                code = reason_code if reason_code and reason_codes.meaning(reason_code) else None
                line._record_return(code, today, "gocardless")
                self.write({"service_payment_reference": False})

    def _service_adapter(self):
        return self._service_provider()._pay_by_bank_service_adapter()

    def _read_service_payment(self, reason_code=None):
        payment, _status = gocardless.read_payment(self._service_adapter().payment(self.service_payment_reference))
        self._apply_service_payment(payment, reason_code=reason_code)

    @api.model
    def _poll_service_payments(self, in_cron=False):
        """Fallback for GoCardless's webhooks that never come: read the installments' payments still on their way."""
        lines = self.search([
            ("service_payment_reference", "!=", False), ("plan_id.state", "in", ("active", "completed", "broken")),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=POLL_DAYS)),
        ]).filtered(lambda line: line.service_payment_status not in FINAL or line.debit_state != "collected")
        for line in lines:
            try:
                with self.env.cr.savepoint():
                    line._read_service_payment()
            except Exception as error:  # one bad payment, or the service down, never stops the poll
                _logger.warning("pay by bank: reading GoCardless payment %s failed: %s",
                                line.service_payment_reference, error)
            if in_cron:
                self.env["ir.cron"]._commit_progress(1)


class DunningInstallmentPlan(models.Model):
    _inherit = "dunning.installment.plan"

    def _service_debits(self):
        """The direct debits of the plan that the service collects, still to be asked of it."""
        return self.installment_ids.filtered(lambda line: line.method == "sepa_direct_debit"
                                             and line.debit_state in ("none", "rejected")
                                             and not line.service_payment_reference
                                             and not line.currency_id.is_zero(line.amount_due))

    def _service_mandate_wanted(self):
        """Whether the first payment should set up the mandate of the next debits with the service."""
        self.ensure_one()
        return self.state == "active" and self.needs_mandate and not self.mandate_id.service_reference \
            and bool(self._service_debits())

    def _attach_service_mandate(self, provider, mandate_reference):
        """The payer authorised a mandate at GoCardless with their first payment: the plan's mandate is that
        one from now on, and GoCardless collects the next installments under it."""
        self.ensure_one()
        mandate = self.mandate_id
        if not mandate or mandate.service_reference == mandate_reference:
            return
        mandate.write({"service_reference": mandate_reference, "service_provider_id": provider.id})
        plan = self._company_lang()
        plan.message_post(body=plan.env._(
            "The customer authorised the mandate %(reference)s at GoCardless with their payment: GoCardless "
            "collects the next installments under it.", reference=mandate_reference))
        self._collect_through_service()

    def _collect_through_service(self):
        """Ask GoCardless for each debit still to collect: a payment under the mandate, charged on its due date
        (or GoCardless's first possible date). A failure is said on the plan and tried again by the cron."""
        for plan in self.filtered(lambda plan: plan.state == "active" and plan.mandate_id.service_reference
                                  and plan.mandate_id.state == "active"):
            provider = plan.mandate_id.service_provider_id
            if not provider or provider.pay_by_bank_service != "gocardless":
                continue
            today = fields.Date.context_today(plan)
            for line in plan._service_debits().sorted("sequence"):
                attempt = len(line.return_ids) + 1
                try:
                    payment, _status = provider._pay_by_bank_service_adapter().collect(
                        plan.mandate_id.service_reference, line.amount_due, line.currency_id.name,
                        max(line.due_date, today + timedelta(days=1)),
                        plan.env._("%(plan)s, installment %(sequence)s", plan=plan.name, sequence=line.sequence),
                        {"odoo_plan": plan.name, "odoo_installment": line.id},
                        idempotency_key=f"installment-{line.id}-{attempt}",
                    )
                except BankError as error:
                    _logger.warning("pay by bank: GoCardless did not take installment %s of %s: %s", line.sequence,
                                    plan.name, error)
                    plan._company_lang().message_post(body=plan._company_lang().env._(
                        "GoCardless did not take the debit of installment %(sequence)s: %(error)s. It is asked "
                        "again tomorrow.", sequence=line.sequence, error=error))
                    break
                line.write({"service_payment_reference": payment["id"], "service_payment_status": payment["status"],
                            "end_to_end_id": payment["id"], "debit_amount": line.amount_due,
                            "debit_state": "none" if line.debit_state == "rejected" else line.debit_state})
                plan._company_lang().message_post(body=plan._company_lang().env._(
                    "GoCardless collects installment %(sequence)s, %(amount)s, on %(date)s (payment %(payment)s).",
                    sequence=line.sequence, payment=payment["id"],
                    amount=formatLang(plan.env, line.amount_due, currency_obj=line.currency_id),
                    date=format_date(plan.env, payment.get("charge_date") or line.due_date)))
