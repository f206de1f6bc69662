from odoo import api, fields, models

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

