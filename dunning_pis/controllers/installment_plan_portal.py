from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from ..direct_debit import identifiers
from ..models.company_language import in_company_language
from .pay_by_bank import PayByBankController


class InstallmentPlanPortal(PayByBankController):
    """The customer's side of a plan: see it, accept it, sign the mandate, pay the first installment."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "installment_plan_count" in counters:
            plans = request.env["dunning.installment.plan"]
            values["installment_plan_count"] = plans.search_count([]) if plans.has_access("read") else 0
        return values

    @http.route("/my/installment_plans", type="http", auth="user", website=True, sitemap=False)
    def portal_my_installment_plans(self, **_kw):
        plans = request.env["dunning.installment.plan"].search([])
        values = self._prepare_portal_layout_values()
        values.update({"plans": plans, "page_name": "installment_plans"})
        return request.render("dunning_pis.portal_my_installment_plans", values)

    @http.route("/my/installment_plans/<int:plan_id>", type="http", auth="public", methods=["GET", "POST"],
                website=True, sitemap=False)
    def portal_installment_plan(self, plan_id, access_token=None, **post):
        try:
            plan_sudo = self._document_check_access("dunning.installment.plan", plan_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if plan_sudo.state == "draft":
            return request.redirect("/my")
        error = None
        if request.httprequest.method == "POST" and plan_sudo.state == "proposed":
            error = self._accept(plan_sudo, post)
        elif request.httprequest.method == "POST" and post.get("new_mandate") and plan_sudo.mandate_requested_on:
            error = self._accept(plan_sudo, post, new_mandate=True)
        return self._render_plan_page(plan_sudo, access_token, error, post)

    def _render_plan_page(self, plan_sudo, access_token, error=None, form=None):
        return request.render("dunning_pis.portal_installment_plan_page", {
            "plan": plan_sudo, "access_token": access_token, "error": error, "form": form or {},
            "next_installment": self._next_installment(plan_sudo),
            "provider": self._plan_provider(plan_sudo),
            "page_name": "installment_plan",
        })

    @staticmethod
    def _next_installment(plan_sudo):
        return plan_sudo._next_installment() if plan_sudo.state == "active" else None

    @staticmethod
    def _plan_provider(plan_sudo):
        invoices_sudo = plan_sudo._open_invoices()
        return invoices_sudo[:1]._pay_by_bank_provider() if invoices_sudo else None

    def _accept(self, plan_sudo, post, new_mandate=False):
        """Accept (or sign a new mandate) with the mandate typed in; a mistake is shown on the page and nothing
        is written."""
        signer = (post.get("signer") or "").strip()
        place = (post.get("place") or "").strip()[:64]
        iban = identifiers.normalize_iban(post.get("iban"))
        bic = (post.get("bic") or "").strip().upper()
        if not signer or not post.get("consent"):
            return request.env._("Type your name and tick the box to accept the plan.")
        needs_mandate = plan_sudo.needs_mandate or new_mandate
        if needs_mandate and not identifiers.is_valid_iban(iban):
            return request.env._("%(iban)s is not a valid IBAN: check it on your bank details.",
                                 iban=post.get("iban") or "")
        if needs_mandate and bic and not identifiers.is_valid_bic(bic):
            return request.env._("%(bic)s is not a valid BIC.", bic=bic)
        try:
            with request.env.cr.savepoint():
                plan_sudo = in_company_language(plan_sudo)
                if new_mandate:
                    plan_sudo._sign_new_mandate(signer, iban, bic=bic, place=place)
                else:
                    plan_sudo._accept(signer, iban=iban, bic=bic, place=place)
        except (UserError, ValidationError) as error:
            return str(error)
        return None

    @http.route("/my/installment_plans/<int:plan_id>/pay_by_bank", type="http", auth="public", methods=["POST"],
                website=True, sitemap=False)
    def portal_installment_plan_pay_by_bank(self, plan_id, access_token=None, **_post):
        try:
            plan_sudo = self._document_check_access("dunning.installment.plan", plan_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        installment = self._next_installment(plan_sudo)
        provider_sudo = self._plan_provider(plan_sudo)
        if not installment or not provider_sudo:
            return request.redirect(plan_sudo.get_portal_url())
        redirect, error = self._start_pay_by_bank(
            provider_sudo, min(installment.amount_due, plan_sudo.remaining_amount), plan_sudo._open_invoices(),
            plan_sudo.get_portal_url(),
        )
        return redirect or self._render_plan_page(plan_sudo, access_token, error)
