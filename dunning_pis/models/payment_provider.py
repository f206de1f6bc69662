import hashlib
import tempfile
from pathlib import Path

from odoo import fields, models
from odoo.exceptions import ValidationError

from .. import const
from ..direct_debit.identifiers import is_valid_iban
from ..payment_initiation.adapters import ADAPTERS, Credentials

# QWAC and CA files written once per content: requests only reads certificates from files.
_TLS_FILES = {}


class PaymentProvider(models.Model):
    """Pay by bank: a PSD2 payment-initiation service, over the STET or the Berlin Group API."""

    _inherit = "payment.provider"

    code = fields.Selection(
        selection_add=[(const.PROVIDER_CODE, "Pay by bank")], ondelete={const.PROVIDER_CODE: "set default"},
    )
    pay_by_bank_standard = fields.Selection(
        const.STANDARDS, string="Bank API", default="stet", required_if_provider=const.PROVIDER_CODE,
        help="The API of the bank or of the payment initiation service provider you contracted with.",
    )
    pay_by_bank_api_url = fields.Char(
        string="API base URL", required_if_provider=const.PROVIDER_CODE,
        help="For STET, up to and including the version (…/stet/v1); for the Berlin Group, before /v1.",
    )
    pay_by_bank_token_url = fields.Char(
        string="Token URL", required_if_provider=const.PROVIDER_CODE, help="The OAuth2 token endpoint.",
    )
    pay_by_bank_client_id = fields.Char(string="Client ID", required_if_provider=const.PROVIDER_CODE, copy=False)
    pay_by_bank_client_secret = fields.Char(
        string="Client secret", required_if_provider=const.PROVIDER_CODE, copy=False, groups="base.group_system",
    )
    pay_by_bank_key_id = fields.Char(string="Signing key ID", copy=False,
                                     help="The keyId of HTTP signatures, as registered with the bank.")
    pay_by_bank_signing_key = fields.Text(
        string="QSEAL private key", copy=False, groups="base.group_system",
        help="PEM. When set, every request carries a Digest and a Signature made with it.",
    )
    pay_by_bank_signing_certificate = fields.Text(
        string="QSEAL certificate", copy=False, groups="base.group_system",
        help="PEM of the signing key's certificate.",
    )
    pay_by_bank_tls_certificate = fields.Text(
        string="QWAC certificate", copy=False, groups="base.group_system",
        help="PEM. When set with its key, requests authenticate by mutual TLS.",
    )
    pay_by_bank_tls_key = fields.Text(string="QWAC private key", copy=False, groups="base.group_system")
    pay_by_bank_ca_certificates = fields.Text(
        string="Bank's certificate authorities", copy=False, groups="base.group_system",
        help="PEM. The authorities the bank's server certificate is checked against, when they are not "
             "public ones (some qualified trust service providers, bank sandboxes). Empty: the public authorities.",
    )
    pay_by_bank_notification_secret = fields.Char(
        string="Notification secret", copy=False, groups="base.group_system",
        help="The secret the bank signs its notifications with; notifications that do not match are refused.",
    )
    pay_by_bank_instant = fields.Boolean(
        string="Instant transfers", help="Ask for SEPA Instant Credit Transfers (SCT Inst) rather than SEPA ones.",
    )

    def _get_supported_currencies(self):
        supported = super()._get_supported_currencies()
        if self.code == const.PROVIDER_CODE:
            supported = supported.filtered(lambda currency: currency.name in const.SUPPORTED_CURRENCIES)
        return supported

    def _get_default_payment_method_codes(self):
        self.ensure_one()
        if self.code != const.PROVIDER_CODE:
            return super()._get_default_payment_method_codes()
        return const.DEFAULT_PAYMENT_METHOD_CODES

    def _pay_by_bank_adapter(self):
        """The bank API of this provider, with its credentials."""
        self.ensure_one()
        provider = self.sudo()
        tls = None
        if provider.pay_by_bank_tls_certificate and provider.pay_by_bank_tls_key:
            tls = (_tls_file(provider.pay_by_bank_tls_certificate), _tls_file(provider.pay_by_bank_tls_key))
        credentials = Credentials(
            client_id=provider.pay_by_bank_client_id, client_secret=provider.pay_by_bank_client_secret,
            token_url=provider.pay_by_bank_token_url, signing_key=provider.pay_by_bank_signing_key or None,
            key_id=provider.pay_by_bank_key_id or None,
            certificate=provider.pay_by_bank_signing_certificate or None, tls_cert=tls,
            ca_bundle=_tls_file(provider.pay_by_bank_ca_certificates) if provider.pay_by_bank_ca_certificates else None,
        )
        return ADAPTERS[provider.pay_by_bank_standard](provider.pay_by_bank_api_url, credentials)

    def _pay_by_bank_method(self):
        return self.env["payment.method"].with_context(active_test=False)._get_from_code(const.PROVIDER_CODE)

    def _pay_by_bank_creditor_account(self):
        """The company's bank account the customers pay into: the journal's, else the company's first IBAN."""
        self.ensure_one()
        candidates = self.journal_id.bank_account_id | self.company_id.partner_id.bank_ids
        account = candidates.filtered(lambda bank: is_valid_iban(bank.acc_number))[:1]
        if not account:
            raise ValidationError(self.env._(
                "Pay by bank needs the IBAN of %(company)s: set a bank account on the journal of the "
                "provider %(provider)s or on the company.", company=self.company_id.name, provider=self.name,
            ))
        return account


def _tls_file(pem):
    digest = hashlib.sha256(pem.encode()).hexdigest()
    if digest not in _TLS_FILES:
        path = Path(tempfile.mkdtemp(prefix="pay_by_bank_")) / f"{digest}.pem"
        path.write_text(pem, encoding="ascii")
        path.chmod(0o600)
        _TLS_FILES[digest] = str(path)
    return _TLS_FILES[digest]
