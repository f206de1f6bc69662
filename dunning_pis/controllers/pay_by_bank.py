import json
import logging

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.fields import Command
from odoo.http import request

from odoo.addons.account_payment.controllers.payment import PaymentPortal

from .. import const
from ..models.company_language import in_company_language
from ..models.payment_transaction import RETURN_URL, WEBHOOK_URL
from ..payment_initiation import signing
from ..payment_initiation.adapters import BankError, parse_notification

_logger = logging.getLogger(__name__)


class PayByBankController(PaymentPortal):
    """The payer's way to the bank and back, and the bank's notifications."""

    @http.route(RETURN_URL, type="http", auth="public", methods=["GET", "POST"], csrf=False, save_session=False)
    def pay_by_bank_return(self, reference=None, **_data):
        """The payer comes back from the bank: ask the bank, not the browser, where the payment stands."""
        tx_sudo = request.env["payment.transaction"].sudo().search(
            [("reference", "=", reference or ""), ("provider_code", "=", const.PROVIDER_CODE)], limit=1,
        )
        if tx_sudo and tx_sudo.provider_reference:
            try:
                tx_sudo._pay_by_bank_fetch()
            except BankError as error:
                _logger.warning("pay by bank: status of %s unavailable on return: %s", tx_sudo.reference, error)
        return request.redirect("/payment/status")

    @http.route(WEBHOOK_URL, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def pay_by_bank_webhook(self, **_data):
        """A signed notification from the bank: 200 once applied, 4xx (and nothing changed) otherwise."""
        body = request.httprequest.get_data()
        provider_sudo = self._pay_by_bank_signer(body, request.httprequest.headers.get(signing.NOTIFICATION_HEADER))
        if not provider_sudo:
            return self._answer(403, "bad signature")
        try:
            notification = parse_notification(body)
        except BankError:
            return self._answer(400, "unreadable notification")
        tx_sudo = request.env["payment.transaction"].sudo().search(
            [("reference", "=", notification.end_to_end_id), ("provider_id", "=", provider_sudo.id)], limit=1,
        )
        if not tx_sudo:
            _logger.warning("pay by bank: notification for unknown reference %r", notification.end_to_end_id)
            return self._answer(404, "unknown payment")
        if tx_sudo.provider_reference and notification.resource_id != tx_sudo.provider_reference:
            return self._answer(404, "unknown payment")
        in_company_language(tx_sudo)._pay_by_bank_process(notification)
        if tx_sudo.state == "error" and tx_sudo.pay_by_bank_status != "RJCT":
            _logger.error("pay by bank: notification for %s does not match the transaction: %s",
                          tx_sudo.reference, tx_sudo.state_message)
            return self._answer(422, "amount or currency mismatch")
        return self._answer(200, "ok")

    @staticmethod
    def _pay_by_bank_signer(body, signature):
        """The provider whose notification secret signed this body, checked before anything is read."""
        providers_sudo = request.env["payment.provider"].sudo().search(
            [("code", "=", const.PROVIDER_CODE), ("state", "!=", "disabled")],
        )
        for provider_sudo in providers_sudo:
            try:
                signing.verify_notification(body, signature, provider_sudo.pay_by_bank_notification_secret)
            except signing.SignatureError:
                continue
            return provider_sudo
        _logger.warning("pay by bank: notification refused: no provider's secret matches its signature")
        return providers_sudo.browse()

    @staticmethod
    def _answer(status, message):
        return request.make_response(json.dumps({"status": message}), status=status,
                                     headers=[("Content-Type", "application/json")])

    @http.route("/my/invoices/<int:invoice_id>/pay_by_bank", type="http", auth="public", methods=["GET", "POST"],
                website=True, sitemap=False)
    def pay_by_bank_invoice(self, invoice_id, access_token=None, **_data):
        """One page, one button: the link of reminders and of the invoice's pay-by-bank dialog."""
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        provider_sudo = invoice_sudo._pay_by_bank_provider()
        amount = invoice_sudo._pay_by_bank_amount()
        values = {"invoice": invoice_sudo, "amount": amount, "provider": provider_sudo,
                  "access_token": access_token, "error": None}
        if not provider_sudo or not amount:
            values["error"] = request.env._("This invoice cannot be paid by bank: it is paid, or not payable online.")
        elif invoice_sudo._pay_by_bank_in_progress():
            values["error"] = self._in_progress_message()
        elif request.httprequest.method == "POST":
            redirect, values["error"] = self._start_pay_by_bank(
                provider_sudo, amount, invoice_sudo, invoice_sudo.get_portal_url(),
            )
            if redirect:
                return redirect
        return request.render("dunning_pis.pay_by_bank_page", values)

    @staticmethod
    def _in_progress_message():
        return request.env._(
            "A payment by bank is already on its way: the invoice is settled as soon as your bank confirms it.",
        )

    def _start_pay_by_bank(self, provider_sudo, amount, invoices_sudo, landing_route):
        """Start a payment of ``amount`` for ``invoices_sudo``: (redirect to the bank, None) or (None, error)."""
        if invoices_sudo._pay_by_bank_in_progress():
            return None, self._in_progress_message()
        tx_sudo = self._create_transaction(
            provider_id=provider_sudo.id, payment_method_id=provider_sudo._pay_by_bank_method().id,
            token_id=None, amount=amount, currency_id=invoices_sudo.currency_id.id,
            partner_id=invoices_sudo.partner_id[:1].id, flow="redirect", tokenization_requested=False,
            landing_route=landing_route,
            custom_create_values={"invoice_ids": [Command.set(invoices_sudo.ids)]},
        )
        api_url = tx_sudo._get_specific_rendering_values({}).get("api_url")
        if api_url:
            return request.redirect(api_url, local=False), None
        return None, tx_sudo.state_message or request.env._("The bank could not start the payment.")
