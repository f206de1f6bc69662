import hashlib
import logging
import os
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import config

from .. import const
from ..direct_debit.identifiers import is_valid_iban, normalize_iban
from ..payment_initiation import directory, fintecture, gocardless
from ..payment_initiation.base import BankError, json_answer, refusal
from ..payment_initiation.berlin_group import BerlinGroupAdapter
from ..payment_initiation.stet import StetAdapter
from ..payment_initiation.transport import Credentials

_logger = logging.getLogger(__name__)

BANK_ADAPTERS = {"stet": StetAdapter, "berlin_group": BerlinGroupAdapter}
SERVICE_MODULES = {"fintecture": fintecture, "gocardless": gocardless}
WEBHOOK_ROUTE = "/payment/pay_by_bank/{provider_id}/webhook"
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
    """Pay by bank: a PSD2 payment-initiation service, through the payers' banks' own APIs, or through a
    contracted service that talks to the banks for the business (the methods below).

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
                _check_private_key(self.env, key)
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
        """The API of ``bank`` (a directory entry of this provider), with the credentials registered there;
        for a contracted service, the service's (the methods below), whatever the bank."""
        self.ensure_one()
        if self._pay_by_bank_uses_service():
            return self._pay_by_bank_service_adapter()
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

    # === THROUGH A CONTRACTED SERVICE (Fintecture, GoCardless) === #
    # The service shows the payer the banks and talks to them; the business holds API keys, never eIDAS
    # certificates. Requests, signatures and answers are those of ``payment_initiation.fintecture`` and
    # ``payment_initiation.gocardless``; these methods give them the keys and send them through Odoo's
    # provider request hooks.

    pay_by_bank_service_url = fields.Char(
        string="API address", groups="base.group_system",
        help="Empty: the service's own address, its sandbox while the provider is in test mode. Set it only to "
             "talk to another environment (a loopback sandbox in development).",
    )
    pay_by_bank_webhook_url = fields.Char(string="Webhook URL", compute="_compute_pay_by_bank_webhook_url",
                                          help="Copy it into the service's console: its notifications come here.")
    pay_by_bank_fintecture_app_id = fields.Char(string="Application ID", groups="base.group_system", copy=False)
    pay_by_bank_fintecture_app_secret = fields.Char(string="Application secret", groups="base.group_system",
                                                    copy=False)
    pay_by_bank_fintecture_private_key = fields.Text(
        string="Application private key (PEM)", groups="base.group_system", copy=False)
    pay_by_bank_fintecture_private_key_summary = fields.Char(
        string="Application private key", compute="_compute_pay_by_bank_fintecture_key",
        groups="base.group_system")
    pay_by_bank_fintecture_private_key_new = fields.Text(
        string="New application private key", compute="_compute_pay_by_bank_fintecture_key",
        inverse="_inverse_pay_by_bank_fintecture_private_key_new", groups="base.group_system",
        help="PEM of the key whose public half is registered in Fintecture's console: it signs every request "
             "and reads every webhook. Never shown again.",
    )
    pay_by_bank_gocardless_access_token = fields.Char(string="Access token", groups="base.group_system",
                                                      copy=False)
    pay_by_bank_gocardless_webhook_secret = fields.Char(string="Webhook endpoint secret",
                                                        groups="base.group_system", copy=False)

    @api.depends("pay_by_bank_service")
    def _compute_pay_by_bank_webhook_url(self):
        for provider in self:
            provider.pay_by_bank_webhook_url = bool(provider.id) and provider.get_base_url().rstrip("/") + \
                WEBHOOK_ROUTE.format(provider_id=provider.id)

    @api.depends("pay_by_bank_fintecture_private_key")
    def _compute_pay_by_bank_fintecture_key(self):
        for provider in self:
            provider.pay_by_bank_fintecture_private_key_summary = _key_summary(
                provider.env, provider.pay_by_bank_fintecture_private_key)
            provider.pay_by_bank_fintecture_private_key_new = False

    def _inverse_pay_by_bank_fintecture_private_key_new(self):
        for provider in self.filtered("pay_by_bank_fintecture_private_key_new"):
            provider.pay_by_bank_fintecture_private_key = provider.pay_by_bank_fintecture_private_key_new

    @api.constrains("pay_by_bank_fintecture_private_key")
    def _check_pay_by_bank_fintecture_private_key(self):
        for provider in self.sudo():
            _check_private_key(provider.env, provider.pay_by_bank_fintecture_private_key)

    # === THE SERVICE === #

    def _pay_by_bank_uses_service(self):
        self.ensure_one()
        return self.code == const.PROVIDER_CODE and self.pay_by_bank_service in const.CONTRACTED_SERVICES

    def _pay_by_bank_service_base_url(self):
        self.ensure_one()
        provider = self.sudo()
        return (provider.pay_by_bank_service_url or SERVICE_MODULES[provider.pay_by_bank_service].base_url(
            provider.state == "test")).rstrip("/")

    def _pay_by_bank_service_adapter(self):
        """The adapter of the provider's service, sending through ``_pay_by_bank_send``."""
        self.ensure_one()
        provider = self.sudo()
        if provider.pay_by_bank_service == "fintecture":
            if not (provider.pay_by_bank_fintecture_app_id and provider.pay_by_bank_fintecture_app_secret
                    and provider.pay_by_bank_fintecture_private_key):
                raise BankError(self.env._("Fintecture's application ID, secret and private key are not all set."))
            return fintecture.FintectureAdapter(
                provider._pay_by_bank_send, provider._pay_by_bank_service_base_url(),
                provider.pay_by_bank_fintecture_app_id, provider.pay_by_bank_fintecture_app_secret)
        if not provider.pay_by_bank_gocardless_access_token:
            raise BankError(self.env._("GoCardless's access token is not set."))
        return gocardless.GoCardlessAdapter(provider._pay_by_bank_send)

    def _pay_by_bank_send(self, method, endpoint, payload=None, reference=None, **options):
        """One call to the service through Odoo's ``_send_api_request``: its JSON answer, or a BankError."""
        self.ensure_one()
        try:
            return self._send_api_request(method, endpoint, data=payload, reference=reference, **options)
        except ValidationError as error:  # Odoo's words for a service that cannot be reached
            raise BankError(str(error)) from error
        except requests.RequestException as error:
            raise BankError(self.env._("The service cannot be reached: %(error)s", error=error)) from error

    # === ODOO'S PROVIDER REQUEST HOOKS === #

    def _build_request_url(self, endpoint, **kwargs):
        if self.code != const.PROVIDER_CODE:
            return super()._build_request_url(endpoint, **kwargs)
        return self._pay_by_bank_service_base_url() + endpoint

    def _build_request_headers(self, method, endpoint, payload, *, access_token=None, token_request=False,
                               language=None, idempotency_key=None, **kwargs):
        if self.code != const.PROVIDER_CODE:
            return super()._build_request_headers(method, endpoint, payload, **kwargs)
        provider = self.sudo()
        if provider.pay_by_bank_service == "gocardless":
            # Keys name this database's records: another database's (a copy, a test) never collides with them.
            database = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
            return gocardless.request_headers(provider.pay_by_bank_gocardless_access_token,
                                              idempotency_key and f"{database}:{idempotency_key}")
        if token_request:
            return fintecture.token_request(provider.pay_by_bank_fintecture_app_id,
                                            provider.pay_by_bank_fintecture_app_secret)[1]
        headers = fintecture.request_headers(method, endpoint, payload, provider.pay_by_bank_fintecture_app_id,
                                             provider.pay_by_bank_fintecture_private_key, access_token)
        if language:
            headers["x-language"] = language
        return headers

    def _parse_response_content(self, response, **kwargs):
        if self.code != const.PROVIDER_CODE:
            return super()._parse_response_content(response, **kwargs)
        return json_answer(response)

    def _parse_response_error(self, response):
        """The service's refusal as a BankError: the adapter needs its HTTP status (401: renew the token)."""
        if self.code != const.PROVIDER_CODE:
            return super()._parse_response_error(response)
        raise refusal(response, SERVICE_MODULES[self.sudo().pay_by_bank_service].error_message)

    def _log_response(self, response, *, reference=None):
        """Odoo logs answers whole: never an access token of the service's token endpoint."""
        if self.code == const.PROVIDER_CODE and response.url.split("?")[0].endswith(fintecture.TOKEN_PATH):
            _logger.info("Received HTTP %s from %s for provider %s (token not logged).", response.status_code,
                         response.url.split("?")[0], self.id)
            return
        super()._log_response(response, reference=reference)

    # === SETUP === #

    def action_pay_by_bank_test_connection(self):
        """Say what works and what is wrong with the service's setup, from real calls to it."""
        self.ensure_one()
        provider = self.sudo()
        labels = {"credentials": self.env._("Credentials"),
                  "signature": self.env._("Requests signed with your private key")}
        try:
            checks = provider._pay_by_bank_service_adapter().check_connection()
        except BankError as error:
            checks = [("credentials", False, str(error))]
        if provider.pay_by_bank_service == "gocardless":
            checks.append(("webhook", bool(provider.pay_by_bank_gocardless_webhook_secret), self.env._(
                "no webhook endpoint secret: notifications cannot be checked, so they are refused")))
            labels["webhook"] = self.env._("Webhook endpoint secret")
        lines = [self.env._("%(what)s: works", what=labels[what]) + (f" ({detail})" if detail else "")
                 if works else self.env._("%(what)s: wrong. %(detail)s", what=labels[what], detail=detail)
                 for what, works, detail in checks]
        lines.append(self.env._("Webhook URL to set in the service's console: %(url)s",
                                url=provider.pay_by_bank_webhook_url))
        works = all(check[1] for check in checks)
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": self.env._("%(service)s at %(url)s", url=provider._pay_by_bank_service_base_url(), service=dict(
                self._fields["pay_by_bank_service"]._description_selection(self.env))[provider.pay_by_bank_service]),
            "message": "\n".join(lines), "type": "success" if works else "danger", "sticky": not works,
        }}

    # === WEBHOOKS === #

    def _pay_by_bank_verify_webhook(self, headers, body):
        """Check a webhook by the service's own scheme, before anything of it is read.

        :raise fintecture.WebhookRefused | gocardless.WebhookRefused: with why, for the log.
        """
        self.ensure_one()
        provider = self.sudo()
        if provider.pay_by_bank_service == "fintecture":
            if not provider.pay_by_bank_fintecture_private_key:
                raise fintecture.WebhookRefused("no application private key is set")
            fintecture.verify_webhook(headers, body, provider.pay_by_bank_fintecture_private_key)
        else:
            gocardless.verify_webhook(headers, body, provider.pay_by_bank_gocardless_webhook_secret)

    def _pay_by_bank_receive_webhook(self, headers, body):
        """A verified webhook: (HTTP status, what to answer). Whatever it says, what it names is read back from
        the service; 202 when the service could not be read (the poll will), 200 otherwise, unknown events
        included (logged)."""
        self.ensure_one()
        provider = self.sudo().with_context(lang=self.company_id.partner_id.lang or self.env.lang)
        if provider.pay_by_bank_service == "fintecture":
            return provider._pay_by_bank_receive_fintecture(headers, body)
        applied, later = 0, 0
        for event in gocardless.webhook_events(body):
            try:
                with self.env.cr.savepoint():
                    claimed = self.env["dunning.pay.by.bank.event"].sudo()._claim(provider, event)
                    if not claimed:
                        continue  # applied before: acknowledged, nothing done twice
                    known = provider._pay_by_bank_handle_event(event)
                    claimed.outcome = "applied" if known else "ignored"
                    if not known:
                        _logger.info("pay by bank: GoCardless event %s (%s %s) concerns nothing of Odoo's",
                                     event["id"], event.get("resource_type"), event.get("action"))
                    applied += 1
            except BankError as error:
                later += 1
                _logger.warning("pay by bank: GoCardless event %s cannot be read back now: %s", event["id"], error)
        return (202 if later else 200), f"{applied} applied, {later} to read later"

    def _pay_by_bank_receive_fintecture(self, headers, body):
        lower = {name.lower(): value for name, value in headers.items()}
        session_id = fintecture.webhook_fields(body, lower.get("content-type")).get("session_id")
        tx = session_id and self.env["payment.transaction"].sudo().search(
            [("provider_id", "=", self.id), ("provider_reference", "=", session_id)], limit=1)
        if not tx:
            _logger.info("pay by bank: Fintecture webhook about session %s, which is none of Odoo's", session_id)
            return 200, "unknown session"
        try:
            tx._pay_by_bank_fetch()
        except BankError as error:
            _logger.warning("pay by bank: status of %s unavailable on Fintecture's webhook: %s", tx.reference, error)
            return 202, "status to be read later"
        return 200, tx.pay_by_bank_status or ""

    def _pay_by_bank_handle_event(self, event):
        """One verified GoCardless event: what it names is read back from GoCardless, then applied.
        Returns False for an event of a kind Odoo has nothing to do with (acknowledged and logged)."""
        self.ensure_one()
        links = event.get("links") or {}
        resource_type = event.get("resource_type")
        Transaction = self.env["payment.transaction"].sudo()
        if resource_type == "billing_requests" and links.get("billing_request"):
            tx = Transaction.search([("provider_id", "=", self.id),
                                     ("provider_reference", "=", links["billing_request"])], limit=1)
            if tx:
                tx._pay_by_bank_fetch()
            return bool(tx)
        if resource_type == "payments" and links.get("payment"):
            tx = Transaction.search([("provider_id", "=", self.id),
                                     ("pay_by_bank_service_payment", "=", links["payment"])], limit=1)
            if tx:
                tx._pay_by_bank_fetch()
                return True
            line = self.env["dunning.installment"].sudo().search([
                ("service_payment_reference", "=", links["payment"]),
                ("plan_id.mandate_id.service_provider_id", "=", self.id)], limit=1)
            if line:
                line._read_service_payment(reason_code=(event.get("details") or {}).get("reason_code"))
            return bool(line)
        if resource_type == "mandates" and links.get("mandate"):
            mandate = self.env["dunning.sepa.mandate"].sudo().search([
                ("service_reference", "=", links["mandate"]), ("service_provider_id", "=", self.id)], limit=1)
            if mandate:
                mandate._apply_service_status(self._pay_by_bank_service_adapter().mandate(links["mandate"])["status"])
            return bool(mandate)
        return False


def _load_key(pem):
    try:
        return serialization.load_pem_private_key(pem.encode("ascii"), None)
    except (ValueError, TypeError, UnicodeEncodeError):
        return None


def _check_private_key(env, pem):
    if pem and _load_key(pem) is None:
        raise ValidationError(env._("This is not a PEM private key without a passphrase."))


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
