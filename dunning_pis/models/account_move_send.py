from lxml import html as lxml_html
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
        paragraph = Markup('<p class="dunning-early-discount" style="margin: 0 0 12px 0; font-size: 13px;">%s</p>')
        return self._dunning_above_signature(body, paragraph % sentence)

    @api.model
    def _dunning_above_signature(self, body, paragraph):
        """``body`` with ``paragraph`` above the sender's signature (the block that opens with "--", as Odoo's
        templates and mail signatures write it), else at its end."""
        root = lxml_html.fragment_fromstring(str(body or ""), create_parent="div")
        signature = next((element for element in root.iter("div")
                          if (element.text or "").strip().startswith("--")), None)
        if signature is None:
            return Markup(body or "") + paragraph
        signature.addprevious(lxml_html.fragment_fromstring(str(paragraph)))
        inner = (root.text or "") + "".join(
            lxml_html.tostring(child, encoding="unicode") for child in root)
        return Markup(inner)
