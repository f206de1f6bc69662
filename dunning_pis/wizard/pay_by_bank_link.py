from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..receivables import qr_codes


class PayByBankLink(models.TransientModel):
    """The pay-by-bank link of an invoice, to copy, email or show as a QR code to a customer on the phone."""

    _name = "dunning.pay.by.bank.link"
    _description = "Pay-by-bank link"

    invoice_id = fields.Many2one("account.move", required=True, readonly=True, ondelete="cascade")
    partner_id = fields.Many2one(related="invoice_id.partner_id")
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    amount = fields.Monetary(string="Amount to pay", compute="_compute_link")
    link = fields.Char(compute="_compute_link")
    qr_code = fields.Binary(string="QR code", compute="_compute_link")
    pay_by_bank_state = fields.Selection(related="invoice_id.pay_by_bank_state")
    can_request_to_pay = fields.Boolean(compute="_compute_can_request_to_pay")
    service_link = fields.Char(string="Fintecture payment link", readonly=True,
                               help="A link of Fintecture's own, for the amount above, valid for 7 days.")
    service_qr_code = fields.Binary(string="QR code of the Fintecture link", compute="_compute_service_qr_code")

    @api.depends("invoice_id")
    def _compute_can_request_to_pay(self):
        for wizard in self:
            wizard.can_request_to_pay = wizard.invoice_id._pay_by_bank_provider().pay_by_bank_service == "fintecture"

    @api.depends("service_link")
    def _compute_service_qr_code(self):
        for wizard in self:
            wizard.service_qr_code = wizard.service_link and qr_codes.png(wizard.service_link)

    @api.depends("invoice_id")
    def _compute_link(self):
        for wizard in self:
            invoice = wizard.invoice_id
            wizard.amount = invoice._pay_by_bank_amount()
            wizard.link = invoice.pay_by_bank_url
            wizard.qr_code = wizard.link and qr_codes.png(wizard.link)

    @api.model
    def _open(self, invoice):
        wizard = self.create({"invoice_id": invoice.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Pay by bank"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_send_by_email(self):
        """The invoice's customer gets the link in an email they can open on their phone."""
        self.ensure_one()
        template = self.env.ref("dunning_pis.mail_template_pay_by_bank_link")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": "account.move",
                "default_res_ids": self.invoice_id.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }


    def action_request_to_pay(self):
        """A payment link of Fintecture's own (its request to pay) for a customer who is not in front of us: it
        expires, and Odoo follows it as any payment by bank (webhook, status read, poll)."""
        self.ensure_one()
        invoice = self.invoice_id
        provider = invoice._pay_by_bank_provider()
        if not self.can_request_to_pay or not invoice._pay_by_bank_amount():
            raise UserError(self.env._("This invoice cannot be paid through a Fintecture link."))
        waiting = invoice.transaction_ids.filtered(
            lambda tx: tx.provider_id == provider and tx.state == "draft" and tx.provider_reference
            and tx.pay_by_bank_service_status == "payment_waiting")
        if waiting or invoice._pay_by_bank_in_progress():
            raise UserError(self.env._(
                "A payment by bank of %(invoice)s is already on its way, or a Fintecture link of it waits to be paid.",
                invoice=invoice.display_name))
        transaction = self.env["payment.transaction"].sudo().create({
            "provider_id": provider.id, "payment_method_id": provider._pay_by_bank_method().id,
            "reference": self.env["payment.transaction"]._compute_reference(
                provider.code, invoice_ids=[Command.set(invoice.ids)]),
            "amount": invoice._pay_by_bank_amount(), "currency_id": invoice.currency_id.id,
            "partner_id": invoice.partner_id.id, "operation": "online_redirect",
            "invoice_ids": [Command.set(invoice.ids)], "landing_route": invoice.get_portal_url(),
        })
        initiated = transaction._pay_by_bank_initiate(request_to_pay=True)
        if not initiated:
            raise UserError(transaction.state_message)
        self.service_link = initiated.approval_url
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "views": [(False, "form")], "target": "new", "name": self.env._("Pay by bank")}
