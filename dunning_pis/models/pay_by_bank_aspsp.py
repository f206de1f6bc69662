from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import const
from ..direct_debit.identifiers import is_valid_bic, normalize_bic
from ..payment_initiation.directory import normalize_bank_codes
from .payment_provider import _key_files_of, _remove_unused_key_files


class PayByBankAspsp(models.Model):
    """A bank the provider can initiate payments at (an ASPSP, in PSD2 terms), with what was registered there.

    A payment is initiated at the payer's own bank: the directory is the list of those banks. The payer
    picks theirs by name, or it is found from their IBAN through the national bank codes.
    """

    _name = "dunning.pay.by.bank.aspsp"
    _description = "Bank of the pay-by-bank directory"
    _order = "sequence, name, id"

    provider_id = fields.Many2one("payment.provider", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="provider_id.company_id")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    name = fields.Char(string="Bank", required=True, help="As payers know it: they find their bank by this name.")
    bic = fields.Char(string="BIC")
    country_id = fields.Many2one("res.country", required=True)
    bank_codes = fields.Char(
        string="National bank codes", required=True,
        help="The codes of this bank inside its customers' IBANs (France: the 5-digit code banque, Germany: the "
             "Bankleitzahl...), separated by commas; a payer's IBAN with one of them leads to this bank.",
    )
    standard = fields.Selection(const.STANDARDS, string="API standard", required=True, default="stet")
    api_version = fields.Char(string="API version", compute="_compute_api_version", store=True, readonly=False)
    api_url = fields.Char(
        string="API base URL", required=True,
        help="For STET, up to and including the version (…/stet/psd2/v1.6); for the Berlin Group, before /v1.",
    )
    token_url = fields.Char(string="Token URL", required=True, help="The bank's OAuth2 token endpoint.")
    client_id = fields.Char(string="Client ID", required=True, copy=False,
                            help="The identifier the bank gave your payment institution.")
    client_secret = fields.Char(string="Client secret", required=True, copy=False, groups="base.group_system")
    ca_certificates = fields.Text(
        string="Bank's certificate authorities", copy=False, groups="base.group_system",
        help="PEM. The authorities the bank's server certificate is checked against, when they are not public "
             "ones (some qualified trust service providers, bank sandboxes). Empty: the public authorities.",
    )
    sca_redirect = fields.Boolean(
        string="Redirect", default=True,
        help="The payer approves in the bank's own pages or app: the approach pay by bank uses.",
    )
    sca_decoupled = fields.Boolean(string="Decoupled")
    sca_embedded = fields.Boolean(string="Embedded")
    instant = fields.Boolean(string="Instant transfers",
                             help="Ask this bank for SEPA Instant Credit Transfers (SCT Inst) rather than SEPA ones.")

    @api.depends("standard")
    def _compute_api_version(self):
        for bank in self:
            bank.api_version = const.STANDARD_VERSIONS.get(bank.standard)

    def _codes(self):
        self.ensure_one()
        return normalize_bank_codes(self.bank_codes)

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._normalized(vals) for vals in vals_list])

    def write(self, vals):
        old_files = _key_files_of(self.sudo(), vals)
        result = super().write(self._normalized(vals))
        _remove_unused_key_files(self.env, old_files)
        return result

    def unlink(self):
        old_files = _key_files_of(self.sudo())
        result = super().unlink()
        _remove_unused_key_files(self.env, old_files)
        return result

    @staticmethod
    def _normalized(vals):
        if vals.get("bank_codes"):
            vals = {**vals, "bank_codes": ", ".join(normalize_bank_codes(vals["bank_codes"]))}
        if vals.get("bic"):
            vals = {**vals, "bic": normalize_bic(vals["bic"])}
        return vals

    @api.constrains("bic", "bank_codes", "country_id", "api_url", "token_url", "provider_id", "active")
    def _check_directory_entry(self):
        for bank in self:
            if bank.bic and not is_valid_bic(bank.bic):
                raise ValidationError(self.env._("%(bic)s is not a valid BIC (%(bank)s).", bic=bank.bic,
                                                 bank=bank.name))
            for url in (bank.api_url, bank.token_url):
                if not (url or "").startswith(("https://", "http://")):
                    raise ValidationError(self.env._("The URLs of %(bank)s must start with https://.", bank=bank.name))
            others = bank.provider_id.with_context(active_test=True).pay_by_bank_aspsp_ids.filtered(
                lambda other, bank=bank: other != bank and other.country_id == bank.country_id)
            shared = set(bank._codes()) & {code for other in others for code in other._codes()}
            if bank.active and shared:
                raise ValidationError(self.env._(
                    "The bank code %(code)s of %(bank)s is already another bank's in the directory: a payer's "
                    "IBAN must lead to one bank.", code=", ".join(sorted(shared)), bank=bank.name,
                ))

    def _offered(self):
        """The banks a payer may choose: active, and approving by redirection to the bank."""
        return self.filtered(lambda bank: bank.active and bank.sca_redirect)
