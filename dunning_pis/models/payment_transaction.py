import logging
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL

from odoo.addons.payment import utils as payment_utils

from .. import const
from ..direct_debit.latin import to_sepa_latin
from ..payment_initiation import statuses
from ..payment_initiation.base import BankError, Payer, PaymentOrder

_logger = logging.getLogger(__name__)

BANK_PAGE_URL = "/payment/pay_by_bank/bank"
RETURN_URL = "/payment/pay_by_bank/return"
NOTIFICATION_URL = "/payment/pay_by_bank/notification"


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    pay_by_bank_aspsp_id = fields.Many2one(
        "dunning.pay.by.bank.aspsp", string="Payer's bank", readonly=True, copy=False, ondelete="restrict",
    )
    pay_by_bank_debtor_iban = fields.Char(string="Payer's IBAN", readonly=True, copy=False)
    dunning_communication_id = fields.Many2one(
        "dunning.communication", string="Reminder paid", readonly=True, copy=False, index="btree_not_null",
        help="The reminder whose total this payment pays, from its Pay by bank button.",
    )
    pay_by_bank_status = fields.Char(
        string="Bank status", readonly=True, copy=False,
        help="The last ISO 20022 status the bank gave: a status never moves the transaction backwards.",
    )
    pay_by_bank_instant = fields.Boolean(string="Instant transfer", readonly=True, copy=False)
    pay_by_bank_read_at = fields.Datetime(string="Status read at", readonly=True, copy=False)
    pay_by_bank_service_status = fields.Char(
        string="Service status", readonly=True, copy=False,
        help="Where the contracted service (Fintecture, GoCardless) says the payment stands, in its own words.",
    )
    pay_by_bank_service_payment = fields.Char(
        string="Service payment", readonly=True, copy=False, index="btree_not_null",
        help="The service's payment behind the request the payer approved (GoCardless: PM…).",
    )

    # === PAYER'S WAY === #

    def _get_specific_rendering_values(self, processing_values):
        """Initiate the payment at the payer's bank and send them to its approval page, every query parameter
        of it kept (as payment_mollie does); while the payer has not chosen their bank, to Odoo's page for it."""
        if self.provider_code != const.PROVIDER_CODE:
            return super()._get_specific_rendering_values(processing_values)
        if not self.pay_by_bank_aspsp_id and self.provider_id._pay_by_bank_needs_bank_choice():
            return _form_values(self._pay_by_bank_url(BANK_PAGE_URL))
        initiated = self._pay_by_bank_initiate()
        return _form_values(initiated.approval_url) if initiated else {}

    def _pay_by_bank_initiate(self, payer=None, request_to_pay=False):
        """The payment initiated at the payer's bank (a PaymentStatus with its approval link), or None and the
        transaction in error with the reason. ``request_to_pay``: a link for a payer who is not in front of us,
        which expires (Fintecture's request to pay)."""
        self.ensure_one()
        if self.provider_reference:
            raise UserError(self.env._("This payment was already sent to the bank."))
        provider, bank = self.provider_id, self.pay_by_bank_aspsp_id
        return_url = self._pay_by_bank_url(RETURN_URL)
        service = provider._pay_by_bank_uses_service()
        try:
            # A contracted service pays into the account the business registered with it.
            account = provider._pay_by_bank_creditor_account() if not service else \
                (provider.journal_id.bank_account_id | provider.company_id.partner_id.bank_ids)[:1]
            order = PaymentOrder(
                end_to_end_id=_sepa_reference(self.reference),
                amount=Decimal(str(self.currency_id.round(self.amount))),
                currency=self.currency_id.name,
                creditor_name=to_sepa_latin(self.company_id.name),
                creditor_iban=account.sanitized_acc_number or "",
                creditor_bic=account.bank_bic or None,
                remittance=to_sepa_latin(self._pay_by_bank_remittance()),
                return_url=return_url, cancel_url=return_url,
                notification_url=self._pay_by_bank_url(NOTIFICATION_URL),
                payer=payer or _current_payer(),
                instant=bank.instant,
                debtor_iban=self.pay_by_bank_debtor_iban or None,
                payer_name=self.partner_id.commercial_partner_id.name or None,
                payer_email=self.partner_id.email or None,
                language=(self.partner_id.lang or self.company_id.partner_id.lang or "fr")[:2],
                set_up_mandate=service and self._pay_by_bank_sets_up_mandate(),
            )
            adapter = provider._pay_by_bank_adapter(bank)
            initiated = adapter.request_to_pay(order) if request_to_pay else adapter.initiate(order)
        except (BankError, ValueError, UserError) as error:
            _logger.warning("pay by bank: initiation of %s at %s failed: %s", self.reference, bank.name, error)
            self._set_error(self.env._("The bank could not start the payment: %(error)s", error=error))
            return None
        self.write({
            "provider_reference": initiated.resource_id,
            "pay_by_bank_status": initiated.status,
            "pay_by_bank_instant": order.instant,
            "pay_by_bank_service_status": initiated.service_status,
        })
        return initiated

    def _pay_by_bank_sets_up_mandate(self):
        """Whether the payment also asks the payer for the mandate of the plan's next debits: GoCardless takes
        both in one billing request, and then collects those debits itself."""
        plan = self.invoice_ids.dunning_active_plan_id[:1]
        return self.provider_id.pay_by_bank_service == "gocardless" and bool(plan) and plan._service_mandate_wanted()

    def _pay_by_bank_remittance(self):
        """What the payee's bank statement shows: the invoice's payment reference; for a reminder's total or a
        payment of several invoices, the payment's own reference (the reminder's number, which its letter asks
        the customer to quote)."""
        if self.dunning_communication_id or len(self.invoice_ids) != 1:
            return self.reference
        return self.invoice_ids.payment_reference or self.invoice_ids.name or self.reference

    def _pay_by_bank_access_token(self):
        return payment_utils.generate_access_token(self.reference, env=self.env)

    def _pay_by_bank_url(self, route):
        """One of the payment's public addresses; its token lets the payer in from any browser, and the bank."""
        self.ensure_one()
        query = urlencode({"reference": self.reference, "access_token": self._pay_by_bank_access_token()})
        return f"{self.provider_id.get_base_url().rstrip('/')}{route}?{query}"

    # === WHAT THE BANK SAYS === #

    @api.model
    def _extract_reference(self, provider_code, payment_data):
        if provider_code != const.PROVIDER_CODE:
            return super()._extract_reference(provider_code, payment_data)
        return payment_data.get("reference")

    def _extract_amount_data(self, payment_data):
        """The amount the bank reports, checked against the transaction's."""
        if self.provider_code != const.PROVIDER_CODE:
            return super()._extract_amount_data(payment_data)
        if payment_data.get("amount") is None:
            return None
        return {"amount": float(payment_data["amount"]), "currency_code": payment_data.get("currency")}

    def _apply_updates(self, payment_data):
        if self.provider_code != const.PROVIDER_CODE:
            return super()._apply_updates(payment_data)
        status = payment_data.get("status")
        if self._pay_by_bank_amount_differs(payment_data):
            # Odoo's _validate_amount put it in error once; a later read of the same answer, the transaction
            # already in error, would otherwise go on and settle it.
            return
        if status == self.pay_by_bank_status and self.state != "error":
            return  # nothing new
        if not statuses.moves_forward(self.pay_by_bank_status, status):
            _logger.info("pay by bank: %s ignores status %s after %s", self.reference, status, self.pay_by_bank_status)
            return
        self.pay_by_bank_status = status
        outcome = statuses.outcome(status)
        if status in statuses.BEFORE_APPROVAL:
            if self.state == "error":  # an unreadable answer before; this one says the payer has yet to approve
                self._update_state(("error",), "draft", None)
        elif outcome == statuses.PENDING:
            self._set_pending(state_message=self.env._("The bank reports the status %(status)s.", status=status),
                              extra_allowed_states=("error",))
        elif outcome == statuses.DONE:
            self._set_done()
        elif outcome == statuses.CANCEL:
            self._set_canceled(state_message=self.env._("The payment was cancelled at the bank."),
                               extra_allowed_states=("error",))
        else:
            self._set_error(self.env._("The bank rejected the payment."), extra_allowed_states=("error",))

    def _pay_by_bank_amount_differs(self, payment_data):
        amount_data = self._extract_amount_data(payment_data)
        return bool(amount_data) and (
            self.currency_id.compare_amounts(amount_data["amount"], self.amount) != 0
            or amount_data["currency_code"] != self.currency_id.name)

    def _pay_by_bank_process(self, status):
        """Apply what the bank says (a PaymentStatus), once even when it says it many times at once, and
        reconcile if paid."""
        self.ensure_one()
        self.env.cr.execute(SQL("SELECT 1 FROM payment_transaction WHERE id = %s FOR NO KEY UPDATE", self.id))
        self.invalidate_recordset()
        self._process(const.PROVIDER_CODE, {
            "reference": self.reference, "resourceId": status.resource_id,
            "status": status.status, "amount": status.amount, "currency": status.currency,
        })
        if status.service_status or status.payment_reference:
            self.write({"pay_by_bank_service_status": status.service_status or self.pay_by_bank_service_status,
                        "pay_by_bank_service_payment": status.payment_reference or self.pay_by_bank_service_payment})
        if self.state == "done" and not self.is_post_processed:
            self._post_process()
            self.invoice_ids.dunning_active_plan_id._complete_if_paid()
        if status.mandate_reference and self.state == "done":
            self._pay_by_bank_attach_mandate(status.mandate_reference)

    def _pay_by_bank_attach_mandate(self, mandate_reference):
        """The service set up a mandate with the payment: the plan's next debits go under it."""
        plan = self.invoice_ids.dunning_active_plan_id[:1]
        if plan:
            plan._attach_service_mandate(self.provider_id, mandate_reference)

    def _pay_by_bank_fetch(self, payer=None):
        """Read from the bank where the payment stands, confirming it where the bank waits for that. An answer
        the bank's standard does not allow puts the transaction in error (the poll reads it again); a bank
        that cannot be reached leaves it as it is."""
        self.ensure_one()
        tx = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang)
        tx.pay_by_bank_read_at = fields.Datetime.now()
        adapter = tx.provider_id._pay_by_bank_adapter(tx.pay_by_bank_aspsp_id)
        try:
            status = adapter.status(tx.provider_reference, instant=tx.pay_by_bank_instant, payer=payer)
            if status.needs_confirmation:
                status = adapter.confirm(tx.provider_reference, instant=tx.pay_by_bank_instant, payer=payer)
        except BankError as error:
            if not error.unreadable:
                raise
            _logger.warning("pay by bank: unreadable status of %s from %s: %s", tx.reference,
                            tx.pay_by_bank_aspsp_id.name, error)
            tx._set_error(tx.env._("The bank's answer about this payment could not be read: %(error)s",
                                   error=error), extra_allowed_states=("error",))
            return
        tx._pay_by_bank_process(status)

    def _pay_by_bank_awaits_bank(self):
        """Whether the bank has yet to give its final word on this payment (polled, read on the payer's return)."""
        self.ensure_one()
        return bool(self.provider_reference) and self.state in ("draft", "pending", "error") \
            and not statuses.is_final(self.pay_by_bank_status)

    def _pay_by_bank_read_due(self):
        read_at = self.pay_by_bank_read_at
        return self._pay_by_bank_awaits_bank() and (
            not read_at or fields.Datetime.now() - read_at >= timedelta(seconds=const.READ_INTERVAL))

    @api.model
    def _cron_pay_by_bank_poll(self):
        """Fallback for notifications that never come: read the status of the payments the bank has yet to
        settle or reject, error ones included (an unreadable answer may be followed by a good one). One bank
        that fails does not stop the others."""
        candidates = self.search([
            ("provider_code", "=", const.PROVIDER_CODE), ("state", "in", ("draft", "pending", "error")),
            ("provider_reference", "!=", False),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=const.POLL_DAYS)),
        ])
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        for tx in candidates.filtered(lambda tx: tx._pay_by_bank_awaits_bank()):
            try:
                with self.env.cr.savepoint():
                    tx._pay_by_bank_fetch()
            except Exception as error:  # one bad payment, or bank, never stops the poll
                _logger.warning("pay by bank: polling %s failed: %s", tx.reference, error)
            if in_cron:
                self.env["ir.cron"]._commit_progress(1)
        # The debits a service (GoCardless) collects under a plan's mandate, whose webhooks may not come either.
        self.env["dunning.installment"]._poll_service_payments(in_cron=in_cron)


def _form_values(url):
    """The redirect form's values for ``url``: a GET form drops the query of its action, so each parameter of
    it travels as a field of the form."""
    parts = urlsplit(url)
    return {"api_url": parts._replace(query="").geturl(), "url_params": dict(parse_qsl(parts.query))}


def _current_payer():
    """The payer's browser behind the current request: its address as Odoo sees it (behind a proxy too, in
    proxy mode) and its user agent."""
    if not request:
        return Payer()
    return Payer(ip_address=payment_utils.get_customer_ip_address() or None,
                 user_agent=request.httprequest.headers.get("User-Agent"))


def _sepa_reference(reference):
    """The transaction reference as both standards accept an end-to-end id: 35 characters of the SEPA set."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,' ")
    return "".join(char if char in allowed else "-" for char in reference)[:35]
