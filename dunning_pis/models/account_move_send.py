from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date, formatLang


class AccountMoveSend(models.AbstractModel):
    """The invoice email says, while the early-payment discount still applies, what to pay and by when."""

    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_body(self, move, mail_template, mail_lang):
        body = super()._get_default_mail_body(move, mail_template, mail_lang)
        offer = move.move_type == "out_invoice" and move._dunning_early_discount_offer(fields.Date.context_today(move))
        if not offer:
            return body
        env = self.with_context(lang=mail_lang).env
        discount_date, amount = offer
        sentence = env._(
            "Pay before %(date)s: %(discounted)s instead of %(amount)s.",
            date=format_date(env, discount_date),
            discounted=formatLang(env, amount, currency_obj=move.currency_id),
            amount=formatLang(env, move.amount_residual, currency_obj=move.currency_id),
        )
        return Markup(body or "") + Markup("<p class=\"dunning-early-discount\">%s</p>") % sentence
