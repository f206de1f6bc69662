"""GoCardless: Instant Bank Pay and SEPA Direct Debit in one API (``GoCardless-Version: 2015-07-06``).

A payment by bank is a *billing request* with a ``payment_request`` (the amount, in cents); for an
installment plan the same request carries a ``mandate_request``, so that the payer who pays the first
installment now also authorises the direct debits of the next ones. A *billing request flow* gives the
payer's authorisation URL (GoCardless's pages, which let them pick their bank). Once fulfilled, the
billing request links the payment (``payment_request_payment``) and the mandate
(``mandate_request_mandate``); later installments are ``payments`` with a ``charge_date`` under that
mandate. Bodies are wrapped in their resource's name (``{"billing_requests": {...}}``), as the official
client ``gocardless-pro`` and its fixtures show; every creation carries an ``Idempotency-Key``.

Webhooks carry ``Webhook-Signature``: the hex HMAC-SHA256 of the raw body with the endpoint's secret.
They list events (``resource_type``, ``action``, ``links``); each is only a hint, and the resource is read
back from GoCardless before anything changes.

GoCardless's payment statuses are mapped to the ISO 20022 codes the addon reasons with (``statuses``):
``confirmed`` and ``paid_out`` settle (the money was collected from the payer); ``submitted`` is on its
way (ACSP); ``pending_submission`` is approved but not yet sent (ACTC).
"""

import hashlib
import hmac
import json
import string
from decimal import Decimal, InvalidOperation

from .base import BankError, PaymentStatus, ServiceAdapter

SANDBOX_URL = "https://api-sandbox.gocardless.com"
PRODUCTION_URL = "https://api.gocardless.com"
API_VERSION = "2015-07-06"
CENTS = Decimal(100)

PAYMENT_STATUSES = {
    "pending_customer_approval": "RCVD",
    "pending_submission": "ACTC",
    "submitted": "ACSP",
    "confirmed": "ACSC",
    "paid_out": "ACSC",
    "failed": "RJCT",
    "customer_approval_denied": "RJCT",
    "charged_back": "RJCT",
    "cancelled": "CANC",
}
BILLING_REQUEST_STATUSES = {"pending": "RCVD", "ready_to_fulfil": "RCVD", "fulfilling": "RCVD", "cancelled": "CANC"}
MANDATE_STATUSES = frozenset({
    "pending_customer_approval", "pending_submission", "submitted", "active", "suspended_by_payer", "failed",
    "cancelled", "expired", "consumed", "blocked", "transferred",
})
_HEX = frozenset(string.hexdigits)


class WebhookRefused(ValueError):
    """A webhook whose signature does not hold: answered 4xx, nothing read from it."""


def base_url(test_mode):
    return SANDBOX_URL if test_mode else PRODUCTION_URL


def cents(amount):
    return int((Decimal(amount) * CENTS).to_integral_value())


def request_headers(access_token, idempotency_key=None):
    headers = {"Accept": "application/json", "Authorization": f"Bearer {access_token}",
               "GoCardless-Version": API_VERSION, "Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def json_body(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def error_message(data):
    """``{"error": {"message", "type", "errors": [{"field", "message"}]}}`` as one sentence."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return ""
    details = [f"{item.get('field') or item.get('reason') or ''} {item.get('message') or ''}".strip()
               for item in error.get("errors") or [] if isinstance(item, dict)]
    return "; ".join(part for part in [str(error.get("message") or error.get("type") or ""), *details] if part)[:300]


# Payments GoCardless will never collect: a key that created one cannot stand for a debit still to collect.
NOT_COLLECTED = frozenset({"cancelled", "customer_approval_denied", "failed", "charged_back"})


def conflicting_resource(error):
    """The id of what an idempotency key already created, from GoCardless's 409 ``idempotent_creation_conflict``;
    None for any other refusal. Its official clients fetch that resource and return it as the creation's result."""
    body = error.details if error.http_status == 409 and isinstance(error.details, dict) else {}
    refusal_body = body.get("error") if isinstance(body.get("error"), dict) else {}
    for item in refusal_body.get("errors") or []:
        if isinstance(item, dict) and item.get("reason") == "idempotent_creation_conflict":
            resource_id = (item.get("links") if isinstance(item.get("links"), dict) else {}).get(
                "conflicting_resource_id")
            if isinstance(resource_id, str):
                return resource_id
    return None


def billing_request(order):
    """The ``billing_requests`` body: pay now by bank, and a SEPA mandate for later where the plan needs one."""
    request = {
        "payment_request": {
            "amount": cents(order.amount), "currency": order.currency, "description": order.remittance[:140],
            "scheme": "sepa_instant_credit_transfer" if order.instant else "sepa_credit_transfer",
            "metadata": {"odoo_reference": order.end_to_end_id[:500]},
        },
        "metadata": {"odoo_reference": order.end_to_end_id[:500]},
    }
    if order.set_up_mandate:
        request["mandate_request"] = {"currency": order.currency, "scheme": "sepa_core",
                                      "description": order.remittance[:140]}
    return {"billing_requests": request}


def billing_request_flow(billing_request_id, order):
    flow = {"redirect_uri": order.return_url, "exit_uri": order.cancel_url,
            "links": {"billing_request": billing_request_id}}
    if order.language:
        flow["language"] = order.language[:2]
    prefilled = {key: value for key, value in (("email", order.payer_email),
                                               ("company_name", order.payer_name)) if value}
    if prefilled:
        flow["prefilled_customer"] = prefilled
    return {"billing_request_flows": flow}


def collection(mandate_reference, amount, currency, charge_date, description, metadata):
    """A later installment: a ``payments`` body collected under the mandate on ``charge_date``."""
    return {"payments": {
        "amount": cents(amount), "currency": currency, "charge_date": charge_date.isoformat(),
        "description": description[:140], "metadata": {key: str(value)[:500] for key, value in metadata.items()},
        "links": {"mandate": mandate_reference},
    }}


def _resource(data, name):
    resource = data.get(name) if isinstance(data, dict) else None
    if not isinstance(resource, dict) or not isinstance(resource.get("id"), str) or not resource["id"]:
        raise BankError(f"GoCardless's answer has no {name}", unreadable=True)
    return resource


def read_payment(data):
    """(PaymentStatus without resource id, GoCardless status, charge date) of a ``payments`` answer."""
    payment = _resource(data, "payments")
    try:
        status = PAYMENT_STATUSES[payment["status"]]
        amount = Decimal(int(payment["amount"])) / CENTS
        return payment, PaymentStatus(resource_id=payment["id"], status=status, amount=amount,
                                      currency=str(payment["currency"]), service_status=payment["status"])
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise BankError(f"unreadable GoCardless payment: {error!r}", unreadable=True) from error


def read_mandate(data):
    mandate = _resource(data, "mandates")
    if mandate.get("status") not in MANDATE_STATUSES:
        raise BankError(f"unreadable GoCardless mandate status {mandate.get('status')!r}", unreadable=True)
    return mandate


def verify_webhook(headers, body, secret):
    """Check ``Webhook-Signature`` (hex HMAC-SHA256 of the raw body) before anything of the body is read."""
    lower = {name.lower(): value for name, value in headers.items()}
    signature = lower.get("webhook-signature") or ""
    if not signature or not signature.isascii() or len(signature) != 64 or not set(signature) <= _HEX:
        raise WebhookRefused("Webhook-Signature is missing or is not a SHA-256 hex digest")
    if not secret:
        raise WebhookRefused("no webhook secret is set")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise WebhookRefused("Webhook-Signature does not match the body")


def webhook_events(body):
    """The events of a verified webhook: dicts with an id, a resource_type, an action and links."""
    try:
        data = json.loads(body)
    except ValueError as error:
        raise WebhookRefused("the webhook is not JSON") from error
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise WebhookRefused("the webhook has no list of events")
    return [event for event in events if isinstance(event, dict) and isinstance(event.get("id"), str)
            and isinstance(event.get("links") or {}, dict)]


class GoCardlessAdapter(ServiceAdapter):
    """GoCardless over ``send`` (see ``ServiceAdapter``), told ``idempotency_key`` for creations."""

    standard = "gocardless"

    def initiate(self, order):
        created = _resource(self.send("POST", "/billing_requests", json_body(billing_request(order)),
                                      idempotency_key=f"{order.end_to_end_id}-billing-request"), "billing_requests")
        flow = _resource(self.send("POST", "/billing_request_flows",
                                   json_body(billing_request_flow(created["id"], order)),
                                   idempotency_key=f"{order.end_to_end_id}-flow"), "billing_request_flows")
        url = flow.get("authorisation_url")
        if not isinstance(url, str) or not url.startswith("http"):
            raise BankError("GoCardless's billing request flow has no authorisation URL", unreadable=True)
        return PaymentStatus(resource_id=created["id"], status="RCVD", approval_url=url, amount=order.amount,
                             currency=order.currency, end_to_end_id=order.end_to_end_id,
                             service_status=created.get("status"))

    def status(self, resource_id, instant=False, payer=None):
        """Where a billing request stands: its payment's status once it has one, else its own."""
        request = _resource(self.send("GET", f"/billing_requests/{resource_id}"), "billing_requests")
        links = request.get("links") if isinstance(request.get("links"), dict) else {}
        payment_id = links.get("payment_request_payment")
        mandate_id = links.get("mandate_request_mandate") or None
        if not payment_id:
            code = BILLING_REQUEST_STATUSES.get(request.get("status"))
            if code is None:
                raise BankError(f"unreadable GoCardless billing request status {request.get('status')!r}",
                                unreadable=True)
            return PaymentStatus(resource_id=resource_id, status=code, service_status=request.get("status"))
        _payment, status = read_payment(self.payment(payment_id))
        return PaymentStatus(resource_id=resource_id, status=status.status, amount=status.amount,
                             currency=status.currency, service_status=status.service_status,
                             mandate_reference=mandate_id, payment_reference=payment_id)

    def payment(self, payment_id):
        return self.send("GET", f"/payments/{payment_id}")

    def mandate(self, mandate_id):
        return read_mandate(self.send("GET", f"/mandates/{mandate_id}"))

    def collect(self, mandate_reference, amount, currency, charge_date, description, metadata, idempotency_key):
        """A later installment collected under the mandate: (payment dict, PaymentStatus). Asked again with the same
        key (Odoo rolled back the transaction that had asked for it), the payment already created is read back,
        as GoCardless's official clients do: never a second one, never a failure."""
        try:
            return read_payment(self.send("POST", "/payments", json_body(collection(
                mandate_reference, amount, currency, charge_date, description, metadata)),
                idempotency_key=idempotency_key))
        except BankError as error:
            existing = conflicting_resource(error)
            if not existing:
                raise
        payment, status = read_payment(self.payment(existing))
        # Only the same debit, still on its way or collected, is this one; a payment cancelled or failed since, or
        # for another amount, is not: said (and asked again every night) rather than taken for this debit.
        if payment["status"] in NOT_COLLECTED or payment["amount"] != cents(amount):
            raise BankError(f"GoCardless already has payment {existing} for this debit, {payment['status']}, "
                            f"{status.amount} {status.currency}: cancel it at GoCardless or settle the installment "
                            f"by hand", http_status=409)
        return payment, status

    def check_connection(self):
        try:
            data = self.send("GET", "/creditors")
        except BankError as error:
            return [("credentials", False, str(error))]
        creditors = data.get("creditors") if isinstance(data, dict) else None
        if not isinstance(creditors, list) or not creditors:
            return [("credentials", False, "GoCardless knows no creditor for this access token")]
        return [("credentials", True, str(creditors[0].get("name") or creditors[0].get("id") or ""))]

