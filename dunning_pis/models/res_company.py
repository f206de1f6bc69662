from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    dunning_auto_run = fields.Boolean(
        string="Automatic dunning",
        default=True,
        help="Send the reminders that are due every day, without anyone starting a run.",
    )
