from odoo import fields, models

from ..receivables import legal_mentions


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_auto_run = fields.Boolean(related="company_id.dunning_auto_run", readonly=False)
    dunning_default_policy_id = fields.Many2one(related="company_id.dunning_default_policy_id", readonly=False)
    dunning_default_controller_id = fields.Many2one(
        related="company_id.dunning_default_controller_id", readonly=False,
    )
    dunning_indemnity_amount = fields.Monetary(related="company_id.dunning_indemnity_amount", readonly=False)
    dunning_interest_mode = fields.Selection(related="company_id.dunning_interest_mode", readonly=False)
    dunning_interest_margin = fields.Float(related="company_id.dunning_interest_margin", readonly=False)
    dunning_fixed_interest_rate = fields.Float(related="company_id.dunning_fixed_interest_rate", readonly=False)
    dunning_invoice_charges = fields.Boolean(related="company_id.dunning_invoice_charges", readonly=False)
    dunning_fee_account_id = fields.Many2one(related="company_id.dunning_fee_account_id", readonly=False)
    dunning_interest_account_id = fields.Many2one(related="company_id.dunning_interest_account_id", readonly=False)
    dunning_no_early_discount_default = fields.Boolean(
        related="company_id.dunning_no_early_discount_default", readonly=False,
    )
    dunning_legal_mentions = fields.Boolean(related="company_id.dunning_legal_mentions", readonly=False)
    dunning_mention_due_date = fields.Char(related="company_id.dunning_mention_due_date", readonly=False)
    dunning_mention_discount = fields.Char(related="company_id.dunning_mention_discount", readonly=False)
    dunning_mention_no_discount = fields.Char(related="company_id.dunning_mention_no_discount", readonly=False)
    dunning_mention_late_interest = fields.Char(related="company_id.dunning_mention_late_interest", readonly=False)
    dunning_mention_indemnity = fields.Char(related="company_id.dunning_mention_indemnity", readonly=False)
    # What an empty wording prints, and the placeholders a wording may use, under each field.
    dunning_mention_due_date_standard = fields.Char(compute="_compute_dunning_mention_standards")
    dunning_mention_discount_standard = fields.Char(compute="_compute_dunning_mention_standards")
    dunning_mention_no_discount_standard = fields.Char(compute="_compute_dunning_mention_standards")
    dunning_mention_late_interest_standard = fields.Char(compute="_compute_dunning_mention_standards")
    dunning_mention_indemnity_standard = fields.Char(compute="_compute_dunning_mention_standards")
    dunning_sepa_creditor_identifier = fields.Char(
        related="company_id.dunning_sepa_creditor_identifier", readonly=False,
    )
    dunning_sepa_prenotification_days = fields.Integer(
        related="company_id.dunning_sepa_prenotification_days", readonly=False,
    )
    dunning_plan_break_days = fields.Integer(related="company_id.dunning_plan_break_days", readonly=False)
    dunning_plan_break_rejections = fields.Integer(
        related="company_id.dunning_plan_break_rejections", readonly=False,
    )

    def _compute_dunning_mention_standards(self):
        standard = self.env["account.move"]._dunning_standard_mentions()
        for settings in self:
            for mention, wording in standard.items():
                names = ", ".join(f"{{{name}}}" for name in sorted(legal_mentions.PLACEHOLDERS[mention]))
                text = self.env._("Standard: “%(wording)s”", wording=wording)
                if names:
                    text += " " + self.env._("Placeholders: %(names)s.", names=names)
                settings[f"dunning_mention_{mention}_standard"] = text
