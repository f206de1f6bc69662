import json
import logging
from urllib.parse import urlencode, urlsplit

from odoo import http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.fields import Command
from odoo.http import request

from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.payment import utils as payment_utils

from .. import const
from ..models.payment_provider import CERTIFICATE_ROUTE, WEBHOOK_ROUTE, BankChoiceError
from ..models.payment_transaction import BANK_PAGE_URL, NOTIFICATION_URL, RETURN_URL, _current_payer
from ..payment_initiation import fintecture, gocardless
from ..payment_initiation.base import BankError

_logger = logging.getLogger(__name__)


class PayByBankController(PaymentPortal):
    """The payer's way: choose their bank, go there, come back to a page that follows the payment; and the
    bank's notifications, which only ever make Odoo read the status from the bank."""

    # === THE PAYER CHOOSES THEIR BANK === #

    @http.route("/my/invoices/<int:invoice_id>/pay_by_bank", type="http", auth="public", methods=["GET", "POST"],
                website=True, sitemap=False)
    def pay_by_bank_invoice(self, invoice_id, access_token=None, bank=None, iban=None, **_data):
        """One page: the amount, the payer's bank, and on to it. The link of reminders and of the invoice's dialog."""
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        provider_sudo = invoice_sudo._pay_by_bank_provider()
        amount = invoice_sudo._pay_by_bank_amount()
        values = {"invoice": invoice_sudo, "invoices": invoice_sudo, "amount": amount,
                  "currency": invoice_sudo.currency_id, "provider": provider_sudo, "access_token": access_token,
                  "error": None, "transfer": None,
                  "form": {"bank": bank or "", "iban": iban or ""}, "action": None, "can_pay": False}
        if not provider_sudo or not amount:
            values["error"] = request.env._("This invoice cannot be paid by bank: it is paid, or not payable online.")
        elif invoice_sudo._pay_by_bank_in_progress():
            values["error"] = self._in_progress_message()
        else:
            values["can_pay"] = True
        if values["can_pay"] and request.httprequest.method == "POST":
            redirect = self._pay_from_page(values, provider_sudo, amount, invoice_sudo, invoice_sudo.get_portal_url(),
                                           bank, iban)
            if redirect:
                return redirect
        return request.render("dunning_pis.pay_by_bank_page", self._page_values(values, provider_sudo))

    @http.route(BANK_PAGE_URL, type="http", auth="public", methods=["GET", "POST"], website=True, sitemap=False)
    def pay_by_bank_choose(self, reference=None, access_token=None, bank=None, iban=None, **_data):
        """The bank choice of a transaction made elsewhere: Odoo's own Pay button, an installment plan's page."""
        tx_sudo = self._pay_by_bank_transaction(reference, access_token)
        if not tx_sudo:
            raise request.not_found()
        if tx_sudo.provider_reference or tx_sudo.state != "draft":
            return request.redirect(tx_sudo._pay_by_bank_url(RETURN_URL), local=False)
        provider_sudo = tx_sudo.provider_id
        values = {"invoice": tx_sudo.invoice_ids[:1], "invoices": tx_sudo.invoice_ids, "amount": tx_sudo.amount,
                  "currency": tx_sudo.currency_id, "provider": provider_sudo, "access_token": access_token,
                  "error": None, "transfer": None, "form": {"bank": bank or "", "iban": iban or ""},
                  "action": BANK_PAGE_URL, "reference": reference, "can_pay": True}
        if request.httprequest.method == "POST":
            try:
                chosen, debtor_iban = self._chosen_bank(provider_sudo, bank, iban)
            except BankChoiceError as error:
                values.update(self._choice_error(error, provider_sudo, tx_sudo.invoice_ids[:1], tx_sudo.amount,
                                                 reference=tx_sudo._pay_by_bank_remittance()))
            else:
                tx_sudo.write({"pay_by_bank_aspsp_id": chosen.id if chosen else False,
                              "pay_by_bank_debtor_iban": debtor_iban})
                initiated = tx_sudo._pay_by_bank_initiate(payer=_current_payer())
                if initiated:
                    return request.redirect(initiated.approval_url, local=False)
                values.update(error=tx_sudo.state_message, can_pay=False)
        return request.render("dunning_pis.pay_by_bank_page", self._page_values(values, provider_sudo))

    @staticmethod
    def _chosen_bank(provider_sudo, bank, iban):
        """(the payer's bank, their IBAN); (None, None) through a contracted service, whose pages choose it."""
        if not provider_sudo._pay_by_bank_needs_bank_choice():
            return None, None
        return provider_sudo._pay_by_bank_find_bank(bank_name=bank, iban=iban)

    @staticmethod
    def _choice_error(error, provider_sudo, invoice_sudo, amount, reference=None):
        """What the payer reads when their bank cannot be used; when it is not in the directory, how to pay by
        an ordinary transfer instead."""
        values = {"error": error.args[0]}
        if error.offer_transfer:
            try:
                account = provider_sudo._pay_by_bank_creditor_account()
            except ValidationError:
                return values
            values["transfer"] = {
                "holder": provider_sudo.company_id.name, "iban": account.acc_number, "bic": account.bank_bic,
                "amount": amount,
                "reference": reference or invoice_sudo.payment_reference or invoice_sudo.name,
            }
        return values

    def _page_values(self, values, provider_sudo):
        banks = provider_sudo.pay_by_bank_aspsp_ids._offered() if provider_sudo else []
        service = dict(provider_sudo._fields["pay_by_bank_service"]._description_selection(request.env)).get(
            provider_sudo.pay_by_bank_service) if provider_sudo and provider_sudo._pay_by_bank_uses_service() else None
        values = {**values, "service": service}
        if values["can_pay"] and not banks and not values["transfer"] and not service:
            values = {**values, **self._choice_error(BankChoiceError(request.env._(
                "No bank can be paid from online yet."), offer_transfer=True), provider_sudo, values["invoice"],
                values["amount"])}
        return {**values, "banks": banks, "test_mode": provider_sudo and provider_sudo.state == "test"}

    @staticmethod
    def _in_progress_message():
        return request.env._(
            "A payment by bank is already on its way: the invoice is settled as soon as your bank confirms it.",
        )

    def _pay_from_page(self, values, provider_sudo, amount, moves_sudo, landing_route, bank, iban,
                       reference=None, communication_sudo=None):
        """The payer's answer on a pay-by-bank page (an invoice's, a reminder's total): the redirect to their
        bank, or None with what went wrong in ``values``. ``reference`` names the payment (see
        ``_start_pay_by_bank``) and is the one to quote on an ordinary transfer instead."""
        try:
            chosen, debtor_iban = self._chosen_bank(provider_sudo, bank, iban)
        except BankChoiceError as error:
            values.update(self._choice_error(error, provider_sudo, values["invoice"], amount, reference=reference))
            return None
        redirect, values["error"] = self._start_pay_by_bank(
            provider_sudo, amount, moves_sudo, landing_route, bank=chosen, debtor_iban=debtor_iban,
            reference_prefix=reference, communication_sudo=communication_sudo,
        )
        return redirect

    def _start_pay_by_bank(self, provider_sudo, amount, invoices_sudo, landing_route, bank=None, debtor_iban=None,
                           reference_prefix=None, communication_sudo=None):
        """Start a payment of ``amount`` for ``invoices_sudo``: (redirect to the bank, None) or (None, error).
        Without a bank, the payer is sent to the page where they choose theirs; ``reference_prefix`` names the
        payment (by default Odoo's, from the invoices); ``communication_sudo`` is the reminder whose total it pays."""
        if invoices_sudo._pay_by_bank_in_progress():
            return None, self._in_progress_message()
        tx_sudo = self._create_transaction(
            provider_id=provider_sudo.id, payment_method_id=provider_sudo._pay_by_bank_method().id,
            token_id=None, amount=amount, currency_id=invoices_sudo.currency_id.id,
            partner_id=invoices_sudo.partner_id[:1].id, flow="redirect", tokenization_requested=False,
            landing_route=landing_route, reference_prefix=reference_prefix,
            custom_create_values={"invoice_ids": [Command.set(invoices_sudo.ids)],
                                  "pay_by_bank_aspsp_id": bank.id if bank else False,
                                  "pay_by_bank_debtor_iban": debtor_iban,
                                  "dunning_communication_id": communication_sudo.id if communication_sudo else False},
        )
        values = tx_sudo._get_specific_rendering_values({})
        if values.get("api_url"):
            query = urlencode(values.get("url_params") or {})
            return request.redirect(urlsplit(values["api_url"])._replace(query=query).geturl(), local=False), None
        return None, tx_sudo.state_message or request.env._("The bank could not start the payment.")

    # === BACK FROM THE BANK === #

    @http.route(RETURN_URL, type="http", auth="public", methods=["GET", "POST"], csrf=False, save_session=False,
                website=True, sitemap=False)
    def pay_by_bank_return(self, reference=None, access_token=None, **_data):
        """Back from the bank (or the bank's STET callback): ask the bank, not the browser, where the payment
        stands, and show it; the page reloads itself until the bank settles or rejects it."""
        tx_sudo = self._pay_by_bank_transaction(reference, access_token)
        if not tx_sudo:
            raise request.not_found()
        if tx_sudo._pay_by_bank_read_due():
            try:
                tx_sudo._pay_by_bank_fetch(payer=_current_payer())
            except BankError as error:
                _logger.warning("pay by bank: status of %s unavailable on return: %s", tx_sudo.reference, error)
        return request.render("dunning_pis.pay_by_bank_status_page", {
            "tx": tx_sudo, "invoices": tx_sudo.invoice_ids, "awaits_bank": tx_sudo._pay_by_bank_awaits_bank(),
            "refresh_seconds": 5,
        })

    @http.route(NOTIFICATION_URL, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def pay_by_bank_notification(self, reference=None, access_token=None, **_data):
        """A bank's notification (Berlin Group TPP-Notification-URI): whatever it says, only an authenticated
        status read from that bank changes the payment. 200 once read, 202 when the bank could not be read
        (the poll will), 404 for a payment this address does not name."""
        tx_sudo = self._pay_by_bank_transaction(reference, access_token)
        if not tx_sudo:
            return self._answer(404, "unknown payment")
        if tx_sudo._pay_by_bank_read_due():
            try:
                tx_sudo._pay_by_bank_fetch()
            except BankError as error:
                _logger.warning("pay by bank: status of %s unavailable on notification: %s", tx_sudo.reference, error)
                return self._answer(202, "status to be read later")
        return self._answer(200, tx_sudo.pay_by_bank_status or "")

    @http.route(WEBHOOK_ROUTE.replace("{provider_id}", "<int:provider_id>"), type="http", auth="public",
                methods=["POST"], csrf=False, save_session=False)
    def pay_by_bank_webhook(self, provider_id, **_data):
        """A contracted service's webhook (the URL set in its console): checked by the service's own scheme
        before anything of it is read (4xx otherwise, nothing changed), then only a hint to read back."""
        provider_sudo = request.env["payment.provider"].sudo().browse(provider_id).exists()
        if not provider_sudo or provider_sudo.code != const.PROVIDER_CODE \
                or not provider_sudo._pay_by_bank_uses_service():
            return self._answer(404, "unknown webhook")
        body = request.httprequest.get_data(cache=True)
        if not body and request.httprequest.form:
            # Odoo parsed a form-encoded body before this method runs: encoded again, as Fintecture's own SDK
            # does before checking the Digest.
            body = urlencode(list(request.httprequest.form.items(multi=True))).encode()
        headers = dict(request.httprequest.headers.items())
        try:
            provider_sudo._pay_by_bank_verify_webhook(headers, body)
        except (fintecture.WebhookRefused, gocardless.WebhookRefused) as refused:
            _logger.warning("pay by bank: webhook refused for provider %s: %s", provider_id, refused)
            # GoCardless asks for 498 Token Invalid on a bad signature; others read any 4xx as a refusal.
            return self._answer(498 if provider_sudo.pay_by_bank_service == "gocardless" else 401,
                                "invalid signature")
        try:
            status, message = provider_sudo._pay_by_bank_receive_webhook(headers, body)
        except gocardless.WebhookRefused as refused:
            _logger.warning("pay by bank: unreadable webhook for provider %s: %s", provider_id, refused)
            return self._answer(400, "unreadable webhook")
        return self._answer(status, message)

    @http.route(CERTIFICATE_ROUTE.replace("{provider_id}", "<int:provider_id>"), type="http", auth="public",
                methods=["GET"], save_session=False)
    def pay_by_bank_certificate(self, provider_id):
        """The QSEAL certificate, public, at the URL STET signatures name as their keyId."""
        provider_sudo = request.env["payment.provider"].sudo().browse(provider_id).exists()
        if not provider_sudo or provider_sudo.code != const.PROVIDER_CODE \
                or not provider_sudo.pay_by_bank_signing_certificate:
            raise request.not_found()
        return request.make_response(provider_sudo.pay_by_bank_signing_certificate,
                                     headers=[("Content-Type", "application/x-pem-file")])

    @staticmethod
    def _pay_by_bank_transaction(reference, access_token):
        """The pay-by-bank transaction the address names, if its token is right."""
        if not reference or not access_token or not access_token.isascii() \
                or not payment_utils.check_access_token(access_token, reference):
            return None
        return request.env["payment.transaction"].sudo().search(
            [("reference", "=", reference), ("provider_code", "=", const.PROVIDER_CODE)], limit=1,
        ) or None

    @staticmethod
    def _answer(status, message):
        return request.make_response(json.dumps({"status": message}), status=status,
                                     headers=[("Content-Type", "application/json")])
