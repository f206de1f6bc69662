import logging

import requests

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import const
from ..payment_initiation import fintecture, gocardless
from ..payment_initiation.base import BankError, json_answer, refusal
from .payment_provider import _check_private_key, _key_summary

_logger = logging.getLogger(__name__)

SERVICE_MODULES = {"fintecture": fintecture, "gocardless": gocardless}
WEBHOOK_ROUTE = "/payment/pay_by_bank/{provider_id}/webhook"


class PaymentProvider(models.Model):
    """Pay by bank through a contracted service (Fintecture, GoCardless): its credentials, its address (its
    sandbox in test mode), its HTTP through Odoo's provider request hooks, and its webhooks.

    The service shows the payer the banks and talks to them; the business holds API keys, never eIDAS
    certificates. Requests, signatures and answers are those of ``payment_initiation.fintecture`` and
    ``payment_initiation.gocardless``; this model only gives them the keys and sends them.
    """

    _inherit = "payment.provider"

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
