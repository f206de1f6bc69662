from odoo import fields, models

from ..models.dunning_aged_balance import PROFILES
from ..models.dunning_level import TONES


class DunningRunPreviewLine(models.TransientModel):
    _name = "dunning.run.preview.line"
    _description = "Dunning run preview line"
    _order = "level_sequence desc, amount_due desc"

    preview_id = fields.Many2one("dunning.run.preview", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="preview_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    level_id = fields.Many2one("dunning.level", readonly=True)
    level_sequence = fields.Integer(related="level_id.sequence")
    channels = fields.Char(readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)
    invoice_names = fields.Char(string="Invoice numbers", readonly=True)
    amount_due = fields.Monetary(readonly=True)
    charges_total = fields.Monetary(string="Fees and interest", readonly=True)
    needs_validation = fields.Boolean(readonly=True)
    payer_profile = fields.Selection(PROFILES, compute="_compute_payer_profile",
                                     help="The customer's degree of trust in the run's company.")
    tone = fields.Selection(TONES, compute="_compute_payer_profile", help="The tone the reminder will take.")

    def _compute_payer_profile(self):
        for line in self:
            company = line.preview_id.run_id.company_id
            partner = line.partner_id.with_company(company)
            line.payer_profile = partner.trust
            line.tone = partner._dunning_tone(company) or line.level_id.tone
