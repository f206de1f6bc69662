from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.dunning_communication import OPEN_PAYMENT_STATES

NOTE_MAX_LENGTH = 2000


class DunningSelfService(CustomerPortal):
    """The customer's answer to a reminder, from the link of the invoice (portal, access token): "I will pay on
    <date>" or "I dispute this invoice", with a reason and a message. Dunning pauses as when the credit
    controller records it, and the controller gets an activity."""

    @http.route("/my/invoices/<int:invoice_id>/dunning", type="http", auth="public", methods=["GET", "POST"],
                website=True, sitemap=False)
    def dunning_self_service(self, invoice_id, access_token=None, **post):
        try:
            invoice_sudo = self._document_check_access("account.move", invoice_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if invoice_sudo.move_type != "out_invoice" or invoice_sudo.state != "posted":
            return request.redirect("/my")
        error, done = None, None
        if request.httprequest.method == "POST" and self._dunning_can_answer(invoice_sudo):
            error, done = self._dunning_record_answer(invoice_sudo, post)
        return request.render("dunning_pis.dunning_self_service_page", {
            "invoice": invoice_sudo, "access_token": access_token, "error": error, "done": done,
            "form": post if error else {}, "can_answer": self._dunning_can_answer(invoice_sudo),
            "reasons": invoice_sudo._fields["dunning_dispute_reason"]._description_selection(request.env),
            "today": fields.Date.context_today(invoice_sudo),
            "latest": fields.Date.add(fields.Date.context_today(invoice_sudo),
                                      days=invoice_sudo.company_id.dunning_promise_max_days),
            "page_name": "dunning_self_service",
        })

    @staticmethod
    def _dunning_can_answer(invoice_sudo):
        return (invoice_sudo.payment_state in OPEN_PAYMENT_STATES and not invoice_sudo.dunning_disputed
                and not invoice_sudo.dunning_active_plan_id)

    @staticmethod
    def _dunning_record_answer(invoice_sudo, post):
        """(error, None) and nothing written, or (None, 'promise' or 'dispute')."""
        note = (post.get("note") or "").strip()[:NOTE_MAX_LENGTH] or False
        kind = post.get("answer")
        try:
            with request.env.cr.savepoint():
                if kind == "promise":
                    try:
                        date = fields.Date.to_date(post.get("date") or None)
                    except ValueError:
                        date = None
                    if not date:
                        return request.env._("Give the date you will pay on."), None
                    invoice_sudo._dunning_record_promise(date, note=note, from_customer=True)
                elif kind == "dispute":
                    invoice_sudo._dunning_record_dispute(post.get("reason"), note=note, from_customer=True)
                else:
                    return request.env._("Choose what you want to tell us."), None
        except UserError as error:
            return str(error), None
        return None, kind
