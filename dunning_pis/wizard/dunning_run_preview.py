from odoo import fields, models


class DunningRunPreview(models.TransientModel):
    """A dry run: what a run would send, with amounts, and nothing written."""

    _name = "dunning.run.preview"
    _description = "Dunning run preview"

    run_id = fields.Many2one("dunning.run", string="Dunning run", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="run_id.company_id.currency_id")
    line_ids = fields.One2many("dunning.run.preview.line", "preview_id")
    problem_note = fields.Text(string="Customers left out", readonly=True)
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

    def _open(self, run, proposals, problems=None):
        company = run.company_id
        Currency, Move = self.env["res.currency"], self.env["account.move"]
        lines = []
        for proposal in proposals:
            items = {item["id"]: item for item in proposal.position.items}
            charges = sum(
                Currency.browse(items[item_id]["currency_id"])._convert(
                    figures["indemnity_amount"] + figures["interest_amount"], company.currency_id, company, run.date)
                for item_id, figures in proposal.figures.items()
            )
            moves = Move.browse(dict.fromkeys(items[item_id]["move_id"] for item_id in proposal.due_item_ids()))
            fee = proposal.level._fee_for(proposal.partner._dunning_regime())
            lines.append(fields.Command.create({
                "partner_id": proposal.partner.id,
                "level_id": proposal.level.id,
                "invoice_count": len(moves),
                "invoice_names": ", ".join(moves.mapped("name")),
                "amount_due": float(proposal.claimed()),
                "charges_total": charges + fee,
                "needs_validation": proposal.level.needs_validation,
                "channels": proposal.level._channel_labels(),
            }))
        preview = self.create({"run_id": run.id, "line_ids": lines,
                               "problem_note": "\n".join(problems.values()) if problems else False})
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
