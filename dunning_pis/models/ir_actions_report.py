from odoo import models


class IrActionsReport(models.Model):
    """A posted invoice is an invoice: the portal shows it under that title even before its PDF was generated."""

    _inherit = "ir.actions.report"

    def _get_rendering_context(self, report, docids, data):
        data = super()._get_rendering_context(report, docids, data)
        # Odoo's portal asks for a proforma whenever the invoice's PDF was never generated (an invoice posted and
        # never sent, yet dunned or paid); the number, the mentions and the amounts are already those of the
        # invoice, so only a draft is one.
        if data.get("proforma") and self.env.context.get("proforma_invoice") and report.model == "account.move":
            moves = self.env["account.move"].sudo().browse(docids)
            if moves and all(move.state == "posted" and move.is_sale_document() for move in moves):
                data["proforma"] = False
        return data
