from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .dunning_communication import ACTIVE_STATES, STATES


class DunningLine(models.Model):
    """One invoice at one level in one communication: the history of an invoice's dunning.

    An invoice holds a level once: a unique index over its pending and sent lines is what makes two
    runs, even concurrent ones, unable to remind the same invoice twice at the same level.
    """

    _name = "dunning.line"
    _description = "Dunning line"
    _order = "date desc, id desc"
    # A run writes tens of thousands of lines: every stored reference costs a foreign-key check per
    # line, so the communication alone holds who and when, the run, the customer and the company.
    _log_access = False

    communication_id = fields.Many2one("dunning.communication", required=True, index=True, ondelete="cascade")
    run_id = fields.Many2one(related="communication_id.run_id")
    partner_id = fields.Many2one(related="communication_id.partner_id")
    company_id = fields.Many2one(related="communication_id.company_id")
    date = fields.Date(related="communication_id.date", store=True)
    state = fields.Selection(STATES, required=True, default="to_validate", index=True)
    invoice_id = fields.Many2one("account.move", required=True, index=True, ondelete="cascade")
    level_id = fields.Many2one("dunning.level", required=True, index=True, ondelete="restrict")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True, help="The invoice's currency.")
    due_date = fields.Date(related="invoice_id.invoice_date_due")
    days_late = fields.Integer(help="Days between the due date and the date of the communication.")
    amount_residual = fields.Monetary(string="Amount due")
    indemnity_amount = fields.Monetary(string="Recovery indemnity")
    interest_amount = fields.Monetary(string="Interest")
    charges_invoice_id = fields.Many2one("account.move", string="Charges invoice", readonly=True, copy=False)
    pay_url = fields.Char(
        compute="_compute_pay_url",
        help="Where the customer pays the invoice: its pay-by-bank page, else its portal page.",
    )

    early_discount_date = fields.Date(
        compute="_compute_early_discount", help="Last day of the invoice's early-payment discount, if still open.",
    )
    early_discount_amount = fields.Monetary(
        compute="_compute_early_discount", help="What the customer pays if they pay by the discount date.",
    )

    _invoice_level_once = models.UniqueIndex(
        f"(invoice_id, level_id) WHERE state IN ({', '.join(repr(s) for s in ACTIVE_STATES)})",
        "This invoice already has a reminder at this level.",
    )
    _invoice_state_idx = models.Index("(invoice_id, state)")

    @api.model
    def _insert_for_communications(self, rows):
        """Create lines in one INSERT, as a run does for tens of thousands of invoices at once.

        ``rows`` are (communication, invoice, level, figures); the state and date of the communication
        are copied from it in SQL. The ORM's create spent most of a run's time on these lines, value by
        value; dependent fields (communication totals, the invoices' reached level) are then marked
        for recomputation as a create would.
        """
        if not rows:
            return self.browse()
        self.env["dunning.communication"].flush_model()
        columns = {"communication_id": [], "invoice_id": [], "level_id": [], "currency_id": [], "days_late": [],
                   "amount_residual": [], "indemnity_amount": [], "interest_amount": []}
        # The figures are already rounded half-up to their currency: round() only drops float noise that
        # the numeric columns would otherwise keep.
        for communication, invoice, level, figures in rows:
            digits = invoice.currency_id.decimal_places
            for name, value in (("communication_id", communication.id), ("invoice_id", invoice.id),
                                ("level_id", level.id), ("currency_id", invoice.currency_id.id),
                                ("days_late", figures["days_late"]),
                                ("amount_residual", round(figures["amount_residual"], digits)),
                                ("indemnity_amount", round(figures["indemnity_amount"], digits)),
                                ("interest_amount", round(figures["interest_amount"], digits))):
                columns[name].append(value)
        self.env.cr.execute(SQL(
            """
            INSERT INTO dunning_line (communication_id, invoice_id, level_id, currency_id, days_late,
                                      amount_residual, indemnity_amount, interest_amount,
                                      state, date)
                 SELECT v.communication_id, v.invoice_id, v.level_id, v.currency_id, v.days_late,
                        v.amount_residual, v.indemnity_amount, v.interest_amount,
                        c.state, c.date
                   FROM unnest(%(communication_id)s::int[], %(invoice_id)s::int[], %(level_id)s::int[],
                               %(currency_id)s::int[], %(days_late)s::int[], %(amount_residual)s::numeric[],
                               %(indemnity_amount)s::numeric[], %(interest_amount)s::numeric[])
                        AS v(communication_id, invoice_id, level_id, currency_id, days_late,
                             amount_residual, indemnity_amount, interest_amount)
                   JOIN dunning_communication c ON c.id = v.communication_id
              RETURNING id
            """,
            **columns,
        ))
        lines = self.browse([line_id for (line_id,) in self.env.cr.fetchall()])
        communications = self.env["dunning.communication"].browse(set(columns["communication_id"]))
        communications.invalidate_recordset(["line_ids"])
        self.env["account.move"].browse(set(columns["invoice_id"])).invalidate_recordset(["dunning_line_ids"])
        lines.modified(["invoice_id", "state", "amount_residual", "indemnity_amount", "interest_amount"], create=True)
        return lines

    def _total_due(self):
        self.ensure_one()
        return self.amount_residual + self.indemnity_amount + self.interest_amount

    def _compute_early_discount(self):
        """Odoo's own early-payment discount of the invoice, when still open on the communication's date."""
        for line in self:
            offer = line.invoice_id and line.invoice_id._dunning_early_discount_offer(
                line.date or fields.Date.context_today(line),
            )
            line.early_discount_date, line.early_discount_amount = offer or (False, 0.0)

    def _compute_pay_url(self):
        for line in self:
            invoice = line.invoice_id.sudo()
            portal_url = invoice and f"{invoice.get_base_url()}{invoice.get_portal_url()}"
            line.pay_url = invoice and (invoice.pay_by_bank_url or portal_url)

    def _compute_charges(self):
        """Bring amount due, indemnity and interest up to date, as of each communication's date."""
        for communication, lines in self.grouped("communication_id").items():
            level = communication.level_id
            figures = lines.invoice_id._dunning_figures(
                communication.date, indemnity=level.charge_indemnity, interest=level.charge_interest,
                ignore_lines=lines,
            )
            for line in lines:
                line.write(figures[line.invoice_id.id])

    def _invoice_charges(self, communications):
        """Bill the fees, indemnities and interest not billed yet on draft invoices, one per currency."""
        company = communications.company_id
        if len(company) != 1 or not company.dunning_invoice_charges:
            raise UserError(self.env._("Invoicing dunning charges is not enabled for this company."))
        if not (company.dunning_fee_account_id and company.dunning_interest_account_id):
            raise UserError(self.env._("Set the fees and interest accounts in the Dunning settings first."))
        if len(communications.partner_id) != 1:
            raise UserError(self.env._("Charges are invoiced one customer at a time."))
        lines = self.filtered(
            lambda line: not line.charges_invoice_id and line.communication_id.state == "sent"
            and (line.indemnity_amount or line.interest_amount)
        )
        fees = communications.filtered(lambda c: c.state == "sent" and c.fee_amount and not c.fee_invoice_id)
        invoices = self.env["account.move"]
        for currency in lines.currency_id | fees.currency_id:
            currency_lines = lines.filtered(lambda line, currency=currency: line.currency_id == currency)
            currency_fees = fees.filtered(lambda c, currency=currency: c.currency_id == currency)
            invoice = self.env["account.move"].create({
                "move_type": "out_invoice",
                "company_id": company.id,
                "partner_id": communications.partner_id.id,
                "currency_id": currency.id,
                "invoice_line_ids": [
                    *currency_lines._charge_lines(),
                    *(self._charge_line(self.env._("Dunning fee, %s", fee.name), fee.fee_amount,
                                        company.dunning_fee_account_id) for fee in currency_fees),
                ],
            })
            currency_lines.charges_invoice_id = invoice
            currency_fees.fee_invoice_id = invoice
            invoices |= invoice
        if not invoices:
            raise UserError(self.env._("These reminders have no charges left to invoice."))
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({"domain": [("id", "in", invoices.ids)], "context": {"create": False}})
        if len(invoices) == 1:
            action.update({"res_id": invoices.id, "views": [(False, "form")], "view_mode": "form"})
        return action

    def _charge_lines(self):
        accounts = self.company_id
        for line in self:
            if line.indemnity_amount:
                yield self._charge_line(
                    self.env._("Recovery indemnity, invoice %s", line.invoice_id.name),
                    line.indemnity_amount, accounts.dunning_fee_account_id,
                )
            if line.interest_amount:
                yield self._charge_line(
                    self.env._("Late-payment interest, invoice %(invoice)s due on %(due)s, until %(date)s",
                      invoice=line.invoice_id.name, due=line.due_date, date=line.date),
                    line.interest_amount, accounts.dunning_interest_account_id,
                )

    @api.model
    def _charge_line(self, label, amount, account):
        """Late charges are damages, not a supply: no VAT on them."""
        return fields.Command.create({
            "name": label, "quantity": 1, "price_unit": amount, "account_id": account.id, "tax_ids": [],
        })
