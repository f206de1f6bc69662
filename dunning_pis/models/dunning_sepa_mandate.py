from odoo import api, fields, models
from odoo.exceptions import ValidationError

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
    bic = fields.Char(string="BIC", tracking=True)
    signature_date = fields.Date(string="Signed on", tracking=True)
    signed_on_portal = fields.Boolean(readonly=True, help="Signed by the customer on the portal.")
    state = fields.Selection(
        [("draft", "To sign"), ("active", "Active"), ("revoked", "Revoked")],
        default="draft", required=True, tracking=True,
    )
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

    def action_revoke(self):
        self.write({"state": "revoked"})
