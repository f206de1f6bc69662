from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    dunning_auto_run = fields.Boolean(related="company_id.dunning_auto_run", readonly=False)
