import hashlib
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config

from .. import const
from ..direct_debit.identifiers import is_valid_iban, normalize_iban
from ..payment_initiation import directory
from ..payment_initiation.berlin_group import BerlinGroupAdapter
from ..payment_initiation.stet import StetAdapter
from ..payment_initiation.transport import Credentials

BANK_ADAPTERS = {"stet": StetAdapter, "berlin_group": BerlinGroupAdapter}
CERTIFICATE_ROUTE = "/payment/pay_by_bank/{provider_id}/qseal.pem"
# Fields whose content requests reads from files (mutual TLS, the bank's authorities), on the provider
# and on its banks: their files are removed when the content changes.
KEY_FILE_FIELDS = {"payment.provider": ("pay_by_bank_tls_certificate", "pay_by_bank_tls_key"),
                   "dunning.pay.by.bank.aspsp": ("ca_certificates",)}


class BankChoiceError(UserError):
    """The payer's choice of bank cannot be used; ``offer_transfer``: their bank is not in the directory."""

    def __init__(self, message, offer_transfer=False):
        super().__init__(message)
        self.offer_transfer = offer_transfer


class PaymentProvider(models.Model):
    """Pay by bank: a PSD2 payment-initiation service, through the payers' banks' own APIs.

    The provider holds what the payment institution is (its QSEAL and QWAC certificates) and the
    directory of banks it can initiate payments at (``dunning.pay.by.bank.aspsp``), each with the
    credentials registered there.
    """

    _inherit = "payment.provider"

    code = fields.Selection(
        selection_add=[(const.PROVIDER_CODE, "Pay by bank")], ondelete={const.PROVIDER_CODE: "set default"},
    )
    pay_by_bank_service = fields.Selection(
        const.SERVICES, string="Service", default="banks", required_if_provider=const.PROVIDER_CODE,
        help="Through whom payments are initiated. The payers' banks directly: your company (or the integrator "
             "running this database) is a licensed payment initiation service provider with eIDAS certificates.",
    )
    pay_by_bank_aspsp_ids = fields.One2many(
        "dunning.pay.by.bank.aspsp", "provider_id", string="Banks", context={"active_test": False},
        help="The banks payers can pay from: a payment is initiated at the payer's own bank.",
    )
    pay_by_bank_signing_key = fields.Text(string="QSEAL private key (PEM)", copy=False, groups="base.group_system")
    pay_by_bank_signing_key_summary = fields.Char(
        string="QSEAL private key", compute="_compute_pay_by_bank_key_summaries", groups="base.group_system")
    pay_by_bank_signing_key_new = fields.Text(
        string="New QSEAL private key", compute="_compute_pay_by_bank_key_inputs",
        inverse="_inverse_pay_by_bank_signing_key_new", groups="base.group_system",
        help="PEM. When set, every request carries a Digest and a Signature made with it. Never shown again.",
    )
    pay_by_bank_signing_certificate = fields.Text(
        string="QSEAL certificate", copy=False, groups="base.group_system",
        help="PEM of the signing key's certificate: Berlin Group banks receive it with each request.",
    )
    pay_by_bank_signing_certificate_url = fields.Char(
        string="QSEAL certificate URL", copy=False,
        help="Where STET banks fetch the QSEAL certificate (the keyId of the signatures). Empty: this database "
             "publishes it itself, at the address shown.",
    )
    pay_by_bank_published_certificate_url = fields.Char(
        string="Published at", compute="_compute_pay_by_bank_published_certificate_url")
    pay_by_bank_tls_certificate = fields.Text(
        string="QWAC certificate", copy=False, groups="base.group_system",
        help="PEM. When set with its key, requests authenticate by mutual TLS.",
    )
    pay_by_bank_tls_key = fields.Text(string="QWAC private key (PEM)", copy=False, groups="base.group_system")
    pay_by_bank_tls_key_summary = fields.Char(
        string="QWAC private key", compute="_compute_pay_by_bank_key_summaries", groups="base.group_system")
    pay_by_bank_tls_key_new = fields.Text(
        string="New QWAC private key", compute="_compute_pay_by_bank_key_inputs",
        inverse="_inverse_pay_by_bank_tls_key_new", groups="base.group_system",
        help="PEM. Shown once typed, never again.",
    )

    # === COMPUTE METHODS === #

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

    @api.depends("pay_by_bank_signing_key", "pay_by_bank_tls_key")
    def _compute_pay_by_bank_key_summaries(self):
        for provider in self:
            provider.pay_by_bank_signing_key_summary = _key_summary(provider.env, provider.pay_by_bank_signing_key)
            provider.pay_by_bank_tls_key_summary = _key_summary(provider.env, provider.pay_by_bank_tls_key)

    def _compute_pay_by_bank_key_inputs(self):
        self.pay_by_bank_signing_key_new = False
        self.pay_by_bank_tls_key_new = False

    def _inverse_pay_by_bank_signing_key_new(self):
        for provider in self.filtered("pay_by_bank_signing_key_new"):
            provider.pay_by_bank_signing_key = provider.pay_by_bank_signing_key_new

    def _inverse_pay_by_bank_tls_key_new(self):
        for provider in self.filtered("pay_by_bank_tls_key_new"):
            provider.pay_by_bank_tls_key = provider.pay_by_bank_tls_key_new

    @api.depends("pay_by_bank_signing_certificate_url")
    def _compute_pay_by_bank_published_certificate_url(self):
        for provider in self:
            provider.pay_by_bank_published_certificate_url = provider.id and (
                provider.get_base_url().rstrip("/") + CERTIFICATE_ROUTE.format(provider_id=provider.id))

    # === CONSTRAINTS AND CRUD === #

    @api.constrains("pay_by_bank_signing_key", "pay_by_bank_tls_key", "pay_by_bank_signing_certificate",
                    "pay_by_bank_tls_certificate")
    def _check_pay_by_bank_pems(self):
        for provider in self.sudo():
            for key in (provider.pay_by_bank_signing_key, provider.pay_by_bank_tls_key):
                if key and _load_key(key) is None:
                    raise ValidationError(self.env._("This is not a PEM private key without a passphrase."))
            for certificate in (provider.pay_by_bank_signing_certificate, provider.pay_by_bank_tls_certificate):
                if certificate and _load_certificate(certificate) is None:
                    raise ValidationError(self.env._("This is not a PEM certificate."))

    def write(self, vals):
        old_files = _key_files_of(self.sudo(), vals)
        result = super().write(vals)
        _remove_unused_key_files(self.env, old_files)
        return result

    def unlink(self):
        old_files = _key_files_of(self.sudo()) | _key_files_of(self.sudo().pay_by_bank_aspsp_ids)
        result = super().unlink()
        _remove_unused_key_files(self.env, old_files)
        return result

    # === BUSINESS METHODS === #

    def _pay_by_bank_adapter(self, bank):
        """The API of ``bank`` (a directory entry of this provider), with the credentials registered there."""
        self.ensure_one()
        provider, bank = self.sudo(), bank.sudo()
        tls = None
        if provider.pay_by_bank_tls_certificate and provider.pay_by_bank_tls_key:
            tls = (_key_file(self.env, provider.pay_by_bank_tls_certificate),
                   _key_file(self.env, provider.pay_by_bank_tls_key))
        credentials = Credentials(
            client_id=bank.client_id, client_secret=bank.client_secret, token_url=bank.token_url,
            signing_key=provider.pay_by_bank_signing_key or None,
            signing_certificate=provider.pay_by_bank_signing_certificate or None,
            signing_certificate_url=(provider.pay_by_bank_signing_certificate_url
                                     or provider.pay_by_bank_published_certificate_url),
            tls_cert=tls, ca_bundle=_key_file(self.env, bank.ca_certificates) if bank.ca_certificates else None,
        )
        return BANK_ADAPTERS[bank.standard](bank.api_url, credentials)

    def _pay_by_bank_needs_bank_choice(self):
        """Whether the payer chooses their bank in Odoo; a service with its own bank selection would say no."""
        self.ensure_one()
        return self.pay_by_bank_service == "banks"

    def _pay_by_bank_find_bank(self, bank_name=None, iban=None):
        """(directory entry, compact IBAN or None) of the payer's choice: their IBAN, else the bank they named.

        :raise BankChoiceError: with what to tell the payer; nothing was sent anywhere.
        """
        self.ensure_one()
        banks = self.sudo().pay_by_bank_aspsp_ids._offered()
        bank_name, iban = (bank_name or "").strip(), (iban or "").strip()
        named = banks.filtered(lambda bank: bank.name.casefold() == bank_name.casefold())[:1]
        if iban:
            compact = normalize_iban(iban)
            if not is_valid_iban(compact):
                raise BankChoiceError(self.env._("%(iban)s is not a valid IBAN: check it on your bank details.",
                                                 iban=iban))
            country, code = directory.bank_of(compact)
            bank = banks.filtered(lambda bank: bank.country_id.code == country and code in bank._codes())[:1]
            if not bank and code is None and named:
                bank = named  # a country whose account numbers we cannot read: the bank they named
            if not bank:
                raise BankChoiceError(self.env._(
                    "The bank holding the account %(iban)s is not one we can send a payment to.", iban=iban,
                ), offer_transfer=True)
            return bank, compact
        if not bank_name:
            raise BankChoiceError(self.env._("Choose your bank, or type your IBAN."))
        if not named:
            raise BankChoiceError(self.env._("%(bank)s is not a bank we can send a payment to.", bank=bank_name),
                                  offer_transfer=True)
        if BANK_ADAPTERS[named.standard].needs_debtor_account:
            raise BankChoiceError(self.env._(
                "%(bank)s needs the IBAN of the account you pay from: type it, then continue.", bank=named.name,
            ))
        return named, None

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


def _load_key(pem):
    try:
        return serialization.load_pem_private_key(pem.encode("ascii"), None)
    except (ValueError, TypeError, UnicodeEncodeError):
        return None


def _load_certificate(pem):
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None


def _key_summary(env, pem):
    """What a private key is, without any of it: "RSA 2048-bit key, SHA-256 3f2a…9c01"."""
    if not pem:
        return env._("Not set")
    key = _load_key(pem)
    fingerprint = hashlib.sha256(pem.encode()).hexdigest()
    size = getattr(key, "key_size", None)
    return env._("%(kind)s key, fingerprint %(start)s…%(end)s", kind=f"RSA {size}-bit" if size else "PEM",
                 start=fingerprint[:4], end=fingerprint[-4:])


def _key_folder(env):
    folder = Path(config["data_dir"]) / "pay_by_bank" / env.cr.dbname
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _key_file(env, pem):
    """The file holding ``pem``, written once per content (0600, under Odoo's data directory): requests reads
    client certificates, their keys and extra authorities only from files."""
    path = _key_folder(env) / f"{hashlib.sha256(pem.encode()).hexdigest()}.pem"
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return str(path)
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(pem)
    return str(path)


def _key_files_of(records, vals=None):
    """The files of the key contents of ``records`` that ``vals`` replaces (all of them without ``vals``)."""
    names = [name for name in KEY_FILE_FIELDS.get(records._name, ()) if vals is None or name in vals]
    return {hashlib.sha256(record[name].encode()).hexdigest() for record in records for name in names if record[name]}


def _remove_unused_key_files(env, digests):
    """Remove the files of key contents no provider or bank of this database holds any more."""
    if not digests:
        return
    in_use = _key_files_of(env["payment.provider"].sudo().search([("code", "=", const.PROVIDER_CODE)])) | \
        _key_files_of(env["dunning.pay.by.bank.aspsp"].sudo().with_context(active_test=False).search([]))
    folder = Path(config["data_dir"]) / "pay_by_bank" / env.cr.dbname
    for digest in digests - in_use:
        (folder / f"{digest}.pem").unlink(missing_ok=True)
