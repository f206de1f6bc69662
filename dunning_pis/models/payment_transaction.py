import logging
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import const
from ..payment_initiation import statuses
from ..payment_initiation.adapters import BankError, PaymentOrder
from .company_language import in_company_language

_logger = logging.getLogger(__name__)

RETURN_URL = "/payment/pay_by_bank/return"
WEBHOOK_URL = "/payment/pay_by_bank/webhook"


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    pay_by_bank_status = fields.Char(
        string="Bank status", readonly=True, copy=False,
        help="The last ISO 20022 status the bank gave: a status never moves the transaction backwards.",
    )
    pay_by_bank_instant = fields.Boolean(string="Instant transfer", readonly=True, copy=False)

    def _get_specific_rendering_values(self, processing_values):
        """Initiate the payment at the bank and send the payer to its approval page."""
        if self.provider_code != const.PROVIDER_CODE:
            return super()._get_specific_rendering_values(processing_values)
        provider = self.provider_id
        base_url = provider.get_base_url().rstrip("/")
        return_url = f"{base_url}{RETURN_URL}?{urlencode({'reference': self.reference})}"
        try:
            account = provider._pay_by_bank_creditor_account()
            order = PaymentOrder(
                end_to_end_id=self.reference[:35],
                amount=Decimal(str(self.currency_id.round(self.amount))),
                currency=self.currency_id.name,
                creditor_name=self.company_id.name,
                creditor_iban=account.sanitized_acc_number,
                creditor_bic=account.bank_bic or None,
                remittance=self._pay_by_bank_remittance(),
                return_url=return_url,
                cancel_url=return_url,
                notification_url=f"{base_url}{WEBHOOK_URL}",
                instant=provider.pay_by_bank_instant,
            )
            initiated = provider._pay_by_bank_adapter().initiate(order)
        except (BankError, ValueError, UserError) as error:
            _logger.warning("pay by bank: initiation of %s failed: %s", self.reference, error)
            self._set_error(self.env._("The bank could not start the payment: %(error)s", error=error))
            return {}
        self.write({
            "provider_reference": initiated.resource_id,
            "pay_by_bank_status": initiated.status,
            "pay_by_bank_instant": order.instant,
        })
        return {"api_url": initiated.approval_url}

    def _pay_by_bank_remittance(self):
        invoice = self.invoice_ids[:1]
        return invoice.payment_reference or invoice.name or self.reference

    @api.model
    def _extract_reference(self, provider_code, payment_data):
        if provider_code != const.PROVIDER_CODE:
            return super()._extract_reference(provider_code, payment_data)
        return payment_data.get("endToEndId")

    def _extract_amount_data(self, payment_data):
        """The amount the bank reports; a Berlin Group status poll repeats none, and is not checked."""
        if self.provider_code != const.PROVIDER_CODE:
            return super()._extract_amount_data(payment_data)
        if payment_data.get("amount") is None:
            return None
        return {"amount": float(payment_data["amount"]), "currency_code": payment_data.get("currency")}

    def _apply_updates(self, payment_data):
        if self.provider_code != const.PROVIDER_CODE:
            return super()._apply_updates(payment_data)
        status = payment_data.get("status")
        if not statuses.moves_forward(self.pay_by_bank_status, status):
            _logger.info("pay by bank: %s ignores status %s after %s", self.reference, status, self.pay_by_bank_status)
            return
        self.pay_by_bank_status = status
        outcome = statuses.outcome(status)
        if outcome == statuses.PENDING:
            self._set_pending(state_message=self.env._("The bank reports the status %(status)s.", status=status))
        elif outcome == statuses.DONE:
            self._set_done()
        elif outcome == statuses.CANCEL:
            self._set_canceled(state_message=self.env._("The payment was cancelled at the bank."))
        else:
            self._set_error(self.env._("The bank rejected the payment."))

    def _pay_by_bank_process(self, status):
        """Apply what the bank says (a PaymentStatus), once even when it says it many times at once, and
        reconcile if paid."""
        self.ensure_one()
        self.env.cr.execute(SQL("SELECT 1 FROM payment_transaction WHERE id = %s FOR NO KEY UPDATE", self.id))
        self.invalidate_recordset()
        self._process(const.PROVIDER_CODE, {
            "endToEndId": status.end_to_end_id or self.reference, "resourceId": status.resource_id,
            "status": status.status, "amount": status.amount, "currency": status.currency,
        })
        if self.state == "done" and not self.is_post_processed:
            self._post_process()
            self.invoice_ids.dunning_active_plan_id._complete_if_paid()

    def _pay_by_bank_fetch(self):
        """Ask the bank where the payment stands, confirming it where the bank waits for that."""
        self.ensure_one()
        adapter = self.provider_id._pay_by_bank_adapter()
        status = adapter.status(self.provider_reference, instant=self.pay_by_bank_instant)
        if status.needs_confirmation:
            status = adapter.confirm(self.provider_reference, instant=self.pay_by_bank_instant)
        in_company_language(self)._pay_by_bank_process(status)

    @api.model
    def _cron_pay_by_bank_poll(self):
        """Fallback for notifications that never come: poll the transactions still pending at the bank."""
        pending = self.search([
            ("provider_code", "=", const.PROVIDER_CODE), ("state", "in", ("draft", "pending")),
            ("provider_reference", "!=", False),
            ("create_date", ">=", fields.Datetime.now() - timedelta(days=const.POLL_DAYS)),
        ])
        for tx in pending:
            try:
                with self.env.cr.savepoint():
                    tx._pay_by_bank_fetch()
            except BankError as error:
                _logger.warning("pay by bank: polling %s failed: %s", tx.reference, error)
