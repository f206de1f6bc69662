from odoo import http
from odoo.http import request

from odoo.addons.payment import utils as payment_utils

from .pay_by_bank import PayByBankController


class DunningPayTotal(PayByBankController):
    """The reminder's "Pay by bank" button: one payment for the total of the invoices it claims, net of the
    customer's credits, on the same page and through the same payment by bank as an invoice's own link."""

    @http.route("/my/reminders/<int:communication_id>/pay_by_bank", type="http", auth="public",
                methods=["GET", "POST"], website=True, sitemap=False)
    def dunning_pay_total(self, communication_id, access_token=None, bank=None, iban=None, **_data):
        communication_sudo = request.env["dunning.communication"].sudo().browse(communication_id).exists()
        if not communication_sudo or not payment_utils.check_access_token(
                access_token, communication_sudo.id, communication_sudo.name):
            raise request.not_found()
        moves_sudo, total = communication_sudo._pay_total()
        invoices_sudo = moves_sudo.filtered(lambda move: move.move_type == "out_invoice")
        provider_sudo = invoices_sudo[:1]._pay_by_bank_provider() if invoices_sudo else None
        values = {"invoice": invoices_sudo[:1], "invoices": invoices_sudo, "amount": total,
                  "currency": moves_sudo.currency_id[:1], "provider": provider_sudo, "access_token": access_token,
                  "error": None, "transfer": None, "form": {"bank": bank or "", "iban": iban or ""},
                  "action": f"/my/reminders/{communication_sudo.id}/pay_by_bank", "can_pay": False}
        if not provider_sudo or total <= 0:
            values["error"] = request.env._(
                "Nothing is left to pay by bank on this reminder: its invoices are paid or covered by credits.")
        elif moves_sudo._pay_by_bank_in_progress():
            values["error"] = self._in_progress_message()
        else:
            values["can_pay"] = True
        if values["can_pay"] and request.httprequest.method == "POST":
            # The payment is referenced by the reminder, as its letter asks the customer to quote it, rather than
            # by the names of all its invoices (longer than the 35 characters of an end-to-end id).
            landing = f"/my/reminders/{communication_sudo.id}/pay_by_bank?access_token={access_token}"
            redirect = self._pay_from_page(values, provider_sudo, total, moves_sudo, landing, bank, iban,
                                           reference=communication_sudo.name, communication_sudo=communication_sudo)
            if redirect:
                return redirect
        return request.render("dunning_pis.pay_by_bank_page", self._page_values(values, provider_sudo))
