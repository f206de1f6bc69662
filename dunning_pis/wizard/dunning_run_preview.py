from odoo import fields, models


class DunningRunPreview(models.TransientModel):
    """A dry run: what a run would send, with amounts, and nothing written."""

    _name = "dunning.run.preview"
    _description = "Dunning run preview"

    run_id = fields.Many2one("dunning.run", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="run_id.company_id.currency_id")
    line_ids = fields.One2many("dunning.run.preview.line", "preview_id")
    communication_count = fields.Integer(compute="_compute_totals")
    invoice_count = fields.Integer(compute="_compute_totals")
    amount_due = fields.Monetary(compute="_compute_totals")
    charges_total = fields.Monetary(compute="_compute_totals")

    def _compute_totals(self):
        for preview in self:
            lines = preview.line_ids
            preview.communication_count = len(lines)
            preview.invoice_count = sum(lines.mapped("invoice_count"))
            preview.amount_due = sum(lines.mapped("amount_due"))
            preview.charges_total = sum(lines.mapped("charges_total"))

    def _open(self, run, proposals):
        company = run.company_id
        lines = []
        for partner, level, _policy, invoices in proposals:
            due = charges = 0.0
            for move, _line_level, figures in invoices:
                def convert(amount, move=move):
                    return move.currency_id._convert(amount, company.currency_id, company, run.date)
                due += convert(figures["amount_residual"])
                charges += convert(figures["indemnity_amount"] + figures["interest_amount"])
            lines.append(fields.Command.create({
                "partner_id": partner.id,
                "level_id": level.id,
                "invoice_count": len(invoices),
                "invoice_names": ", ".join(move.name for move, _level, _figures in invoices),
                "amount_due": due,
                "charges_total": charges + level.fee_amount,
                "needs_validation": level.needs_validation,
                "channels": level._channel_labels(),
            }))
        preview = self.create({"run_id": run.id, "line_ids": lines})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview of %s", run.name),
            "res_model": self._name,
            "res_id": preview.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_run(self):
        return self.run_id.action_run()
