from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date, mute_logger

from ..direct_debit import identifiers, mandates


class DunningSepaMandate(models.Model):
    """A SEPA Core direct-debit mandate a customer signed, which installment plans collect under.

    The first collection under a mandate goes out as FRST, the next ones as RCUR (EPC rulebook), so
    the mandate remembers whether it was ever collected. A customer's later plans on the same account
    collect under the same mandate while it has not lapsed, as a bank expects of one creditor.
    """

    _name = "dunning.sepa.mandate"
    _description = "SEPA direct-debit mandate"
    _inherit = ["mail.thread"]
    _order = "signature_date desc, id desc"

    name = fields.Char(
        string="Mandate reference", required=True, readonly=True, copy=False, default=lambda self: self.env._("New"),
        help="The unique mandate reference (UMR) the customer's bank checks each debit against.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, tracking=True)
    debtor_name = fields.Char(string="Account holder", required=True, tracking=True)
    iban = fields.Char(string="IBAN", required=True, tracking=True)
    iban_display = fields.Char(string="IBAN, grouped", compute="_compute_iban_display",
                               help="The IBAN in groups of four characters, as written on paper.")
    bic = fields.Char(string="BIC", tracking=True)
    signature_date = fields.Date(string="Signed on", tracking=True)
    signed_on_portal = fields.Boolean(readonly=True, help="Signed by the customer on the portal.")
    state = fields.Selection(
        [("draft", "To sign"), ("active", "Active"), ("revoked", "Revoked"), ("failed", "Failed")],
        default="draft", required=True, tracking=True,
        help="Revoked: the customer withdrew it. Failed: their bank returned a debit because the mandate or the "
             "account cannot be used (closed account, no mandate, ...). Neither collects anything any more.",
    )
    signature_place = fields.Char(string="Signed at", tracking=True)
    end_reason = fields.Char(string="Ended because", readonly=True, copy=False)
    document_id = fields.Many2one("ir.attachment", string="Signed mandate", readonly=True, copy=False)
    collected = fields.Boolean(
        readonly=True, copy=False, help="A debit was collected under this mandate: the next ones are recurrent.",
    )
    plan_ids = fields.One2many("dunning.installment.plan", "mandate_id", string="Installment plans", readonly=True)
    sequence_type = fields.Selection(
        [("FRST", "First"), ("RCUR", "Recurrent")], compute="_compute_sequence_type",
        help="The sequence type of the next debit under this mandate.",
    )

    _name_company_unique = models.Constraint(
        "UNIQUE (name, company_id)", "A mandate reference must be unique within a company.",
    )

    @api.depends("collected")
    def _compute_sequence_type(self):
        for mandate in self:
            mandate.sequence_type = "RCUR" if mandate.collected else "FRST"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("dunning.sepa.mandate") or "/"
            vals.update(self._normalized(vals))
        return super().create(vals_list)

    def write(self, vals):
        return super().write({**vals, **self._normalized(vals)})

    @api.model
    def _normalized(self, vals):
        normalized = {}
        if vals.get("iban"):
            normalized["iban"] = identifiers.normalize_iban(vals["iban"])
        if vals.get("bic"):
            normalized["bic"] = identifiers.normalize_bic(vals["bic"])
        return normalized

    @api.depends("iban")
    def _compute_iban_display(self):
        for mandate in self:
            mandate.iban_display = self.env["dunning.communication"]._format_iban(mandate.iban)

    @api.constrains("iban", "bic", "signature_date", "state")
    def _check_mandate(self):
        for mandate in self:
            if not identifiers.is_valid_iban(mandate.iban):
                raise ValidationError(self.env._("%(iban)s is not a valid IBAN.", iban=mandate.iban))
            if mandate.bic and not identifiers.is_valid_bic(mandate.bic):
                raise ValidationError(self.env._("%(bic)s is not a valid BIC.", bic=mandate.bic))
            if mandate.state == "active" and not mandate.signature_date:
                raise ValidationError(self.env._(
                    "Mandate %(mandate)s cannot be active without its date of signature.", mandate=mandate.name,
                ))

    @api.model
    def _reusable(self, partner, company, iban, today):
        """The customer's active mandate on this account that has not lapsed: a new plan collects under it."""
        candidates = self.search([
            ("company_id", "=", company.id), ("partner_id", "child_of", partner.commercial_partner_id.id),
            ("iban", "=", identifiers.normalize_iban(iban)), ("state", "=", "active"),
        ])
        return candidates.filtered(lambda mandate: mandates.is_usable(
            mandate.signature_date, mandate._presented_dates(), today,
        ))[:1]

    def _presented_dates(self):
        """The collection dates of the files sent to the bank with debits under this mandate."""
        self.ensure_one()
        presented = self.plan_ids.installment_ids.debit_batch_id.filtered(lambda batch: batch.state != "draft")
        return presented.mapped("collection_date")

    def _collect_issue(self, collection_date):
        """Why no debit may be collected under this mandate on ``collection_date``, as a sentence; False if one may."""
        if not self:
            return self.env._("The plan has no signed SEPA mandate.")
        self.ensure_one()
        if self.state == "revoked":
            return self.env._("Mandate %(mandate)s was revoked.", mandate=self.name)
        if self.state == "failed":
            return self.env._("Mandate %(mandate)s failed: %(reason)s", mandate=self.name, reason=self.end_reason)
        if self.state != "active":
            return self.env._("Mandate %(mandate)s is not signed.", mandate=self.name)
        if not mandates.is_usable(self.signature_date, self._presented_dates(), collection_date):
            return self.env._(
                "Mandate %(mandate)s has lapsed: no debit was presented under it for %(months)s months (since "
                "%(date)s).", mandate=self.name, months=mandates.LAPSE_MONTHS,
                date=format_date(self.env, max([self.signature_date, *self._presented_dates()])),
            )
        return False

    def action_revoke(self):
        self.write({"state": "revoked", "end_reason": self.env._("Revoked by the customer.")})
        self._ask_plans_for_new_mandate()

    def _fail(self, reason):
        self.write({"state": "failed", "end_reason": reason})
        self._ask_plans_for_new_mandate()

    def _ask_plans_for_new_mandate(self):
        for mandate in self:
            mandate.plan_ids.filtered(lambda plan: plan.state == "active")._ask_new_mandate(
                mandate._collect_issue(fields.Date.context_today(mandate)))

    def _attach_document(self):
        """Keep the mandate as signed, as a PDF on the mandate: the proof a creditor must produce on request."""
        report = self.env.ref("dunning_pis.action_report_sepa_mandate")
        for mandate in self:
            # A real PDF even while Odoo runs its tests (it then renders HTML unless told otherwise). Debian's
            # wkhtmltopdf, built without patched Qt, warns about header options on every document: that
            # notice is muted here, where the mandate has no header to lose; failures still raise.
            with mute_logger("odoo.addons.base.models.ir_actions_report"):
                content, _kind = report.with_context(force_report_rendering=True)._render_qweb_pdf(
                    report.report_name, res_ids=mandate.ids)
            mandate.document_id = self.env["ir.attachment"].create({
                "name": f"{mandate.name}.pdf", "raw": content, "mimetype": "application/pdf",
                "res_model": mandate._name, "res_id": mandate.id,
            })

    def action_open_document(self):
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": f"/web/content/{self.document_id.id}?download=true",
                "target": "download"}
