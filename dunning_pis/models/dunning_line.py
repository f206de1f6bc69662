from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from .dunning_communication import ACTIVE_STATES, STATES

LINE_TYPES = [("due", "Amount due"), ("credit", "Credit"), ("transit", "Payment on its way")]
# Columns a run writes, in the order of _insert_for_communications; their SQL types.
INSERTED_COLUMNS = {
    "communication_id": "int", "move_line_id": "int", "invoice_id": "int", "line_type": "varchar",
    "escalation": "bool", "level_id": "int", "currency_id": "int", "due_date": "date", "days_late": "int",
    "amount_residual": "numeric", "indemnity_amount": "numeric", "indemnity_claimed_date": "date",
    "interest_amount": "numeric", "interest_date_from": "date", "interest_date_to": "date",
    "earlier_charges_amount": "numeric",
}


class DunningLine(models.Model):
    """One item of the customer's account in one communication: the history of its dunning.

    A due line is an open maturity of an invoice (or of another debit of the receivable account): with
    ``escalation``, the communication takes it to ``level_id``; without, it lists it at the level it
    reached. Credit lines are the customer's open credits, transit lines the money on its way for an
    item, both negative. An item holds a level once: a unique index over the escalations pending or
    sent is what makes two runs, even concurrent ones, unable to remind it twice at the same level.
    """

    _name = "dunning.line"
    _description = "Dunning line"
    _order = "date desc, communication_id, line_type desc, due_date, id"
    # A run writes tens of thousands of lines: every stored reference costs a foreign-key check per
    # line, so the communication alone holds who and when, the run, the customer and the company.
    _log_access = False

    communication_id = fields.Many2one("dunning.communication", required=True, index=True, ondelete="cascade")
    run_id = fields.Many2one(related="communication_id.run_id")
    partner_id = fields.Many2one(related="communication_id.partner_id")
    company_id = fields.Many2one(related="communication_id.company_id")
    date = fields.Date(related="communication_id.date", store=True)
    state = fields.Selection(STATES, required=True, default="to_validate", index=True)
    line_type = fields.Selection(LINE_TYPES, string="Type", required=True, default="due")
    move_line_id = fields.Many2one("account.move.line", string="Journal item", required=True, index=True,
                                   ondelete="cascade")
    invoice_id = fields.Many2one("account.move", string="Document", required=True, index=True, ondelete="cascade",
                                 help="The invoice, credit note or entry of the journal item.")
    escalation = fields.Boolean(string="New level", help="This communication takes the item to this level.")
    level_id = fields.Many2one("dunning.level", index=True, ondelete="restrict",
                               help="The level the item reaches with this communication, or had reached.")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True, help="The item's currency.")
    due_date = fields.Date(help="The due date of this maturity; the date of a credit.")
    days_late = fields.Integer(help="Days between the due date and the date of the communication.")
    amount_residual = fields.Monetary(string="Amount due", help="Negative for credits and money on its way.")
    indemnity_amount = fields.Monetary(string="Recovery indemnity")
    indemnity_claimed_date = fields.Date(
        string="Indemnity claimed on",
        help="The recovery indemnity of this invoice was claimed by an earlier reminder.",
    )
    interest_amount = fields.Monetary(string="Interest")
    interest_date_from = fields.Date(string="Interest from")
    interest_date_to = fields.Date(string="Interest until")
    earlier_charges_amount = fields.Monetary(
        string="Charges claimed earlier",
        help="Indemnity and interest claimed on this item by earlier reminders and not invoiced yet.",
    )
    charges_invoice_id = fields.Many2one("account.move", string="Charges invoice", readonly=True, copy=False)
    label = fields.Char(compute="_compute_label")
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

    _item_level_once = models.UniqueIndex(
        f"(move_line_id, level_id) WHERE escalation AND state IN ({', '.join(repr(s) for s in ACTIVE_STATES)})",
        "This item already has a reminder at this level.",
    )
    _invoice_state_idx = models.Index("(invoice_id, state)")
    _item_state_idx = models.Index("(move_line_id, state)")

    @api.model
    def _insert_for_communications(self, rows):
        """Create lines in one INSERT, as a run does for tens of thousands of items at once.

        ``rows`` are dicts of INSERTED_COLUMNS; the state and date of the communication are copied from
        it in SQL. The ORM's create spent most of a run's time on these lines, value by value; dependent
        fields (communication totals, the invoices' reached level) are then marked for recomputation as
        a create would.
        """
        if not rows:
            return self.browse()
        self.env["dunning.communication"].flush_model()
        columns = {name: [row.get(name) for row in rows] for name in INSERTED_COLUMNS}
        names = SQL(", ").join(SQL.identifier(name) for name in INSERTED_COLUMNS)
        self.env.cr.execute(SQL(
            """
            INSERT INTO dunning_line (%(names)s, state, date)
                 SELECT %(values)s, c.state, c.date
                   FROM unnest(%(arrays)s) AS v(%(names)s)
                   JOIN dunning_communication c ON c.id = v.communication_id
              RETURNING id
            """,
            names=names,
            values=SQL(", ").join(SQL("v.%s", SQL.identifier(name)) for name in INSERTED_COLUMNS),
            arrays=SQL(", ").join(SQL("%s::%s[]", columns[name], SQL(kind)) for name, kind in INSERTED_COLUMNS.items()),
        ))
        lines = self.browse([line_id for (line_id,) in self.env.cr.fetchall()])
        communications = self.env["dunning.communication"].browse(set(columns["communication_id"]))
        communications.invalidate_recordset(["line_ids"])
        self.env["account.move"].browse(set(columns["invoice_id"])).invalidate_recordset(["dunning_line_ids"])
        self.env["account.move.line"].browse(set(columns["move_line_id"])).invalidate_recordset(["dunning_line_ids"])
        lines.modified(["invoice_id", "state", "amount_residual", "indemnity_amount", "interest_amount",
                        "earlier_charges_amount", "line_type"], create=True)
        return lines

    @api.model
    def _row(self, communication, item, line_type, digits, figures=None, level_id=None, escalation=False):
        """The values of one line for ``_insert_for_communications``; ``item`` is the journal item as the
        customer's position holds it (``id``, ``move_id``, ``currency_id``, ``due_date``...)."""
        figures = figures or {}
        places = digits[item["currency_id"]]
        return {
            "communication_id": communication.id, "move_line_id": item["id"], "invoice_id": item["move_id"],
            "line_type": line_type, "escalation": escalation, "level_id": level_id or None,
            "currency_id": item["currency_id"], "due_date": figures.get("due_date") or item.get("due_date"),
            "days_late": figures.get("days_late", 0),
            # The figures are already rounded half-up to their currency: round() only drops float noise
            # that the numeric columns would otherwise keep.
            "amount_residual": round(figures.get("amount_residual", 0.0), places),
            "indemnity_amount": round(figures.get("indemnity_amount", 0.0), places),
            "indemnity_claimed_date": figures.get("indemnity_claimed_date") or None,
            "interest_amount": round(figures.get("interest_amount", 0.0), places),
            "interest_date_from": figures.get("interest_date_from") or None,
            "interest_date_to": figures.get("interest_date_to") or None,
            "earlier_charges_amount": round(figures.get("earlier_charges_amount", 0.0), places),
        }

    def _total_due(self):
        self.ensure_one()
        return self.amount_residual + self.indemnity_amount + self.interest_amount + self.earlier_charges_amount

    @api.depends("line_type", "invoice_id", "due_date")
    def _compute_label(self):
        for line in self:
            name = line.invoice_id.name or ""
            if line.line_type == "transit":
                line.label = self.env._("%(document)s: payment on its way", document=name)
            elif line.line_type == "credit":
                line.label = self.env._("%(document)s: credit", document=name)
            else:
                term_lines = line.invoice_id.line_ids.filtered(lambda aml: aml.display_type == "payment_term")
                line.label = name if len(term_lines) <= 1 else self.env._(
                    "%(document)s, due %(date)s", document=name, date=format_date(self.env, line.due_date))

    def _compute_early_discount(self):
        """Odoo's own early-payment discount of the invoice, when still open on the communication's date."""
        for line in self:
            offer = line.line_type == "due" and not line.invoice_id.dunning_charges_kind and \
                line.invoice_id._dunning_early_discount_offer(line.date or fields.Date.context_today(line))
            line.early_discount_date, line.early_discount_amount = offer or (False, 0.0)

    def _compute_pay_url(self):
        for line in self:
            invoice = line.invoice_id.sudo()
            is_invoice = line.line_type == "due" and invoice.move_type == "out_invoice"
            portal_url = is_invoice and f"{invoice.get_base_url()}{invoice.get_portal_url()}"
            line.pay_url = is_invoice and (invoice.pay_by_bank_url or portal_url)

    def _invoice_charges(self, communications):
        """Bill the fees, indemnities and interest not billed yet on draft invoices, one per currency.

        Each line bills only what it claimed itself: the interest of its own period and the indemnity if
        it was the one to claim it, so that no day and no indemnity is ever billed twice.
        """
        company = communications.company_id
        if len(company) != 1 or not company.dunning_invoice_charges:
            raise UserError(self.env._("Invoicing dunning charges is not enabled for this company."))
        if not (company.dunning_fee_account_id and company.dunning_interest_account_id):
            raise UserError(self.env._("Set the fees and interest accounts in the Dunning settings first."))
        if len(communications.partner_id) != 1:
            raise UserError(self.env._("Charges are invoiced one customer at a time."))
        customer = communications.partner_id.with_company(company)
        if customer.dunning_proceedings:
            raise UserError(self.env._(
                "%(customer)s is in collective proceedings: its claims, charges included, are declared to the "
                "creditors' representative, not invoiced (L622-24).", customer=customer.display_name,
            ))
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
                "dunning_charges_kind": "charges",
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    *currency_lines._charge_lines(),
                    *(self._charge_line(self.env._("Justified recovery costs, %s", fee.name), fee.fee_amount,
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
                    self.env._("Late-payment interest, %(item)s due on %(due)s, from %(start)s to %(end)s",
                               item=line.label, due=format_date(self.env, line.due_date),
                               start=format_date(self.env, line.interest_date_from),
                               end=format_date(self.env, line.interest_date_to)),
                    line.interest_amount, accounts.dunning_interest_account_id,
                )

    @api.model
    def _charge_line(self, label, amount, account):
        """Late charges are damages, not a supply: no VAT on them."""
        return fields.Command.create({
            "name": label, "quantity": 1, "price_unit": amount, "account_id": account.id, "tax_ids": [],
        })
