from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class ReminderPortal(CustomerPortal):
    """The page an SMS reminder links to: the invoices it is about, each with its link to pay."""

    @http.route("/my/reminders/<int:communication_id>", type="http", auth="public", website=True, sitemap=False)
    def portal_reminder(self, communication_id, access_token=None, **_kw):
        try:
            communication_sudo = self._document_check_access("dunning.communication", communication_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if communication_sudo.state not in ("sending", "sent"):
            return request.redirect("/my")
        # The reminder's table is the one of its email, whose rendering context (ctx) says it is no letter.
        return request.render("dunning_pis.portal_reminder_page", {
            "object": communication_sudo, "page_name": "reminder", "ctx": {},
        })
