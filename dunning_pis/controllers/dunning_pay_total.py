from odoo import http
from odoo.http import request

from odoo.addons.payment import utils as payment_utils

from .pay_by_bank import PayByBankController


class DunningPayTotal(PayByBankController):
    """The reminder's "Pay by bank" button: one payment for the total of the invoices it claims, net of the
    credits it lists, through the same payment by bank as an invoice's own button."""

    @http.route("/my/reminders/<int:communication_id>/pay_by_bank", type="http", auth="public",
                methods=["GET", "POST"], website=True, sitemap=False)
    def dunning_pay_total(self, communication_id, access_token=None, **_data):
        communication_sudo = request.env["dunning.communication"].sudo().browse(communication_id).exists()
        if not communication_sudo or not payment_utils.check_access_token(
                access_token, communication_sudo.id, communication_sudo.name):
            raise request.not_found()
        communication_sudo = communication_sudo.with_context(lang=request.env.lang)
        moves_sudo, total = communication_sudo._pay_total()
        invoices_sudo = moves_sudo.filtered(lambda move: move.move_type == "out_invoice")
        provider_sudo = invoices_sudo[:1]._pay_by_bank_provider() if invoices_sudo else None
        values = {"communication": communication_sudo, "moves": moves_sudo, "amount": total,
                  "currency": moves_sudo.currency_id[:1], "access_token": access_token, "error": None}
        if not provider_sudo or total <= 0:
            values["error"] = request.env._(
                "Nothing is left to pay by bank on this reminder: its invoices are paid or covered by credits.")
        elif moves_sudo._pay_by_bank_in_progress():
            values["error"] = self._in_progress_message()
        elif request.httprequest.method == "POST":
            # The payment is referenced by the reminder, as its letter asks the customer to quote it, rather
            # than by the names of all its invoices (longer than the 35 characters of an end-to-end id).
            request.update_context(dunning_reference_prefix=communication_sudo.name)
            landing = f"/my/reminders/{communication_sudo.id}/pay_by_bank?access_token={access_token}"
            redirect, values["error"] = self._start_pay_by_bank(provider_sudo, total, moves_sudo, landing)
            if redirect:
                return redirect
        return request.render("dunning_pis.dunning_pay_total_page", values)

    def _create_transaction(self, *args, reference_prefix=None, **kwargs):
        return super()._create_transaction(
            *args, reference_prefix=reference_prefix or request.env.context.get("dunning_reference_prefix"), **kwargs)
