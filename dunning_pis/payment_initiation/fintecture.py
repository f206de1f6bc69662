"""Fintecture PIS v2: a licensed French payment-initiation service whose hosted pages let the payer pick
their bank, then send them there to approve the transfer.

``POST /pis/v2/connect`` opens a payment session for a payer in front of us (the redirect flow: invoice,
reminder link, portal, installment plan); ``POST /pis/v2/request-to-pay`` makes a payment link that
expires, for a payer who is not (a link sent to them); ``GET /pis/v2/payments/{session_id}`` reads where a
session stands. Calls carry an OAuth2 client-credentials token (``/oauth/accesstoken``, Basic
``app_id:app_secret``, scope PIS) and are signed with the application's RSA key as Fintecture's SDKs sign
them (draft-cavage HTTP signatures): ``Digest`` of the body when there is one, ``Date``, ``X-Request-ID``,
and ``Signature: keyId="<app_id>",algorithm="rsa-sha256",headers="(request-target) date digest
x-request-id",signature="…"``.

Webhooks (form-encoded, or JSON) carry ``Digest``, ``Date``, ``X-Request-ID`` and a ``Signature`` whose
value is the signing string of those headers *encrypted with the application's public key* (RSA-OAEP with
SHA-1, as the official SDK decrypts it): only the private key reads it, and it must name this very body
(Digest), this request (X-Request-ID) and a recent Date. A webhook is only ever a hint: the session's
status is then read from Fintecture.

Fintecture's session statuses and transfer states are mapped to the ISO 20022 codes the rest of the addon
reasons with (``statuses``): only a created payment whose transfer is completed, received or sent (their
"final" transfer states) settles an invoice; a created payment still on its way is ACSP.
"""

import base64
import binascii
import datetime
import hmac
import json
import re
import uuid
from decimal import Decimal, InvalidOperation
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from . import signing, statuses
from .base import BankError, PaymentStatus, ServiceAdapter, amount_text
from .tokens import TOKENS, usable_token

SANDBOX_URL = "https://api-sandbox.fintecture.com"
PRODUCTION_URL = "https://api.fintecture.com"
TOKEN_PATH = "/oauth/accesstoken"  # noqa: S105 (a path, not a secret)
SCOPE = "PIS"
SIGNED_HEADERS = ("(request-target)", "date", "digest", "x-request-id")
WEBHOOK_SIGNED_HEADERS = ("date", "digest", "x-request-id")
WEBHOOK_TOLERANCE = 300  # seconds, the official SDK's default
REQUEST_TO_PAY_EXPIRY = 7 * 24 * 3600

# Session status (doc "API Payment Session Status") → ISO 20022 code, when the payment is not created yet
# or did not go through. payment_created is read with its transfer state (doc "Payment Transfer States").
SESSION_STATUSES = {
    "payment_waiting": "RCVD",  # a request to pay waits for the payer
    "provider_required": "RCVD",  # prepared, the payer has yet to choose their bank
    "sca_required": "RCVD",  # at the payer's bank, to authenticate
    "payment_pending": "PDNG",
    "payment_unknown": "PDNG",  # waiting for the bank or Fintecture
    "payment_error": "PDNG",  # a technical failure Fintecture calls intermediate
    "payment_partial": "PART",
    "payment_unsuccessful": "RJCT",  # rejected by the payer or the bank
    "payment_cancelled": "CANC",
}
TRANSFER_SETTLED = frozenset({"completed", "received", "sent"})
TRANSFER_ON_ITS_WAY = frozenset({"processing", "pending", "authorized", "accepted", "initiated", "blocked",
                                 "multi-signature", "insufficient", "overpaid"})
TRANSFER_ENDED = {"rejected": "RJCT", "cancelled": "CANC"}
_SIGNATURE_PARAMETER = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')


class WebhookRefused(ValueError):
    """A webhook whose signature does not hold: it is answered 4xx and nothing is read from it."""


def base_url(test_mode):
    return SANDBOX_URL if test_mode else PRODUCTION_URL


def iso_status(session_status, transfer_state=None):
    """The ISO 20022 code of a session; UnknownStatus for words Fintecture does not document."""
    if session_status == "payment_created":
        if transfer_state in TRANSFER_ENDED:
            return TRANSFER_ENDED[transfer_state]
        if transfer_state in TRANSFER_SETTLED:
            return "ACSC"
        if not transfer_state or transfer_state in TRANSFER_ON_ITS_WAY:
            return "ACSP"
        raise statuses.UnknownStatus(f"{session_status} / {transfer_state}")
    if session_status not in SESSION_STATUSES:
        raise statuses.UnknownStatus(str(session_status))
    return SESSION_STATUSES[session_status]


# === Requests: bodies and signed headers (the provider's request hooks call these) === #

def token_request(app_id, app_secret):
    """(form, headers) of the client-credentials token request."""
    basic = base64.b64encode(f"{app_id}:{app_secret}".encode()).decode()
    return ({"grant_type": "client_credentials", "app_id": app_id, "scope": SCOPE},
            {"Accept": "application/json", "Authorization": f"Basic {basic}",
             "Content-Type": "application/x-www-form-urlencoded"})


def request_headers(method, target, body, app_id, key_pem, access_token, now=None, request_id=None):
    """The headers of one signed API call to ``target`` (path and query) with ``body`` (bytes or None)."""
    headers = {
        "Accept": "application/json", "app_id": app_id, "Authorization": f"Bearer {access_token}",
        "Date": formatdate(now, usegmt=True), "X-Request-ID": request_id or str(uuid.uuid4()),
    }
    if body:
        headers.update({"Content-Type": "application/json", "Digest": signing.digest(body)})
    present = {name.lower() for name in headers} | {"(request-target)"}
    names = [name for name in SIGNED_HEADERS if name in present]
    headers["Signature"] = signing.sign(method, target, headers, names, key_pem, app_id,
                                        key_name="the application's private key")
    return headers


def json_body(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _meta(order):
    meta = {"psu_name": (order.payer_name or "")[:140], "psu_email": order.payer_email or ""}
    if order.payer.ip_address:
        meta["psu_ip"] = order.payer.ip_address
    return {key: value for key, value in meta.items() if value}


def connect(order):
    """(target, body) of the payment session of a payer in front of us: Fintecture's bank choice, then theirs."""
    target = "/pis/v2/connect?" + urlencode({"state": order.end_to_end_id, "redirect_uri": order.return_url})
    return target, {"meta": _meta(order), "data": {"type": "PIS", "attributes": {
        "amount": amount_text(order.amount), "currency": order.currency,
        "communication": order.remittance[:140], "end_to_end_id": order.end_to_end_id[:35],
    }}}


def request_to_pay(order, expires_in=REQUEST_TO_PAY_EXPIRY):
    """(target, body) of a payment link that expires after ``expires_in`` seconds."""
    target = "/pis/v2/request-to-pay?" + urlencode({"redirect_uri": order.return_url, "state": order.end_to_end_id})
    return target, {"meta": {**_meta(order), "expire": int(expires_in)}, "data": {
        "type": "request-to-pay", "attributes": {
            "amount": amount_text(order.amount), "currency": order.currency, "communication": order.remittance[:140],
        }}}


def error_message(data):
    """What Fintecture says went wrong, from its JSON error body ({"errors": [{"title", "detail"}...]})."""
    errors = data.get("errors") if isinstance(data, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("detail") or first.get("title") or first.get("code") or "")[:300]
    if isinstance(data, dict) and data.get("error"):
        return str(data.get("error_description") or data["error"])[:300]
    return ""


# === Answers === #

def read_session(data):
    """(session_id, url) of a connect or request-to-pay answer."""
    meta = data.get("meta") if isinstance(data, dict) else None
    session_id = meta.get("session_id") if isinstance(meta, dict) else None
    url = meta.get("url") if isinstance(meta, dict) else None
    if not isinstance(session_id, str) or not session_id or not isinstance(url, str) or not url.startswith("http"):
        raise BankError("Fintecture's answer has no session id or payment URL", unreadable=True)
    return session_id, url


def read_payment(session_id, data):
    """The PaymentStatus of ``GET /pis/v2/payments/{session_id}``: the status from the payment's attributes
    (else its meta), the amount received when Fintecture reports one, else the amount asked."""
    try:
        meta = data.get("meta") or {}
        attributes = data["data"]["attributes"]
        if str(data["data"].get("id") or session_id) != session_id:
            raise ValueError("the answer is about another session")
        session_status = attributes.get("status") or meta.get("status")
        transfer_state = attributes.get("transfer_state") or meta.get("transfer_state")
        status = iso_status(session_status, transfer_state)
        received = attributes.get("received_amount")
        amount = Decimal(str(received if received not in (None, "") else attributes["amount"]))
        if not amount.is_finite():
            raise InvalidOperation(amount)
        return PaymentStatus(
            resource_id=session_id, status=status, amount=amount, currency=str(attributes["currency"]),
            end_to_end_id=attributes.get("end_to_end_id"),
            service_status=" / ".join(part for part in (session_status, transfer_state) if part),
        )
    except (KeyError, TypeError, AttributeError, ValueError, InvalidOperation, statuses.UnknownStatus) as error:
        raise BankError(f"unreadable Fintecture payment: {error!r}", unreadable=True) from error


# === Webhooks === #

def parse_signature(value):
    """The parameters of a Signature header; WebhookRefused if it is not one."""
    if not value or not value.isascii() or not value.isprintable():
        raise WebhookRefused("the Signature header is missing or not printable ASCII")
    parameters, position = {}, 0
    while position < len(value):
        match = _SIGNATURE_PARAMETER.match(value, position)
        if not match or match.group(1) in parameters:
            raise WebhookRefused("the Signature header is malformed")
        parameters[match.group(1)] = match.group(2)
        position = match.end()
    if "signature" not in parameters:
        raise WebhookRefused("the Signature header has no signature")
    return parameters


def verify_webhook(headers, body, key_pem, now=None, tolerance=WEBHOOK_TOLERANCE):
    """Check a webhook's signature before anything of its body is read; WebhookRefused says why not."""
    lower = {name.lower(): value for name, value in headers.items()}
    parameters = parse_signature(lower.get("signature"))
    try:
        encrypted = base64.b64decode(parameters["signature"], validate=True)
        key = signing.private_key(key_pem.encode("ascii"))
        plain = key.decrypt(encrypted, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(),  # noqa: S303
                                                    label=None)).decode("ascii")
    except (binascii.Error, ValueError, TypeError, UnicodeError) as error:
        raise WebhookRefused("the signature cannot be decrypted with the application's key") from error
    signed = {}
    for line in plain.split("\n"):
        name, separator, value = line.partition(": ")
        if not separator:
            raise WebhookRefused("the decrypted signature is not a list of headers")
        signed[name.strip().lower()] = value.strip()
    names = parameters.get("headers", " ".join(WEBHOOK_SIGNED_HEADERS)).lower().split()
    missing = [name for name in WEBHOOK_SIGNED_HEADERS if name not in names or name not in signed]
    if missing:
        raise WebhookRefused(f"the signature does not cover {', '.join(missing)}")
    for name in names:
        received = lower.get(name)
        if received is None or not hmac.compare_digest(signed.get(name, "").encode(), received.encode("latin-1")):
            raise WebhookRefused(f"the signed {name} is not the request's")
    if not hmac.compare_digest(lower["digest"].encode("latin-1"), signing.digest(body).encode()):
        raise WebhookRefused("the Digest does not match the body")
    try:
        sent_at = parsedate_to_datetime(lower["date"])
    except (TypeError, ValueError, IndexError) as error:
        raise WebhookRefused("the Date header cannot be read") from error
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if sent_at.tzinfo is None or abs((now - sent_at).total_seconds()) > tolerance:
        raise WebhookRefused("the webhook is stale: its Date is too far from now")


def webhook_fields(body, content_type):
    """The fields of a verified webhook (session_id, status, transfer_state, …), form-encoded or JSON."""
    text = body.decode("utf-8", errors="replace")
    if "json" in (content_type or ""):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(key): str(value) for key, value in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


class FintectureAdapter(ServiceAdapter):
    """Fintecture's PIS v2 over ``send`` (see ``ServiceAdapter``); ``send`` is told ``access_token`` to
    sign with, and ``token_request=True`` for the token call itself."""

    standard = "fintecture"

    def __init__(self, send, base, app_id, app_secret):
        super().__init__(send)
        self.token_key = (base.rstrip("/") + TOKEN_PATH, app_id)
        self.app_id, self.app_secret = app_id, app_secret

    def token(self, refresh=False):
        token = None if refresh else TOKENS.get(self.token_key)
        if token:
            return token
        form, _headers = token_request(self.app_id, self.app_secret)
        data = self.send("POST", TOKEN_PATH, form, token_request=True)
        try:
            token, expires_in = usable_token(data)
        except ValueError as error:
            raise BankError(f"Fintecture's token endpoint answered no usable access token: {error}",
                            unreadable=True) from error
        TOKENS.put(self.token_key, token, expires_in)
        return token

    def call(self, method, target, payload=None, **options):
        """One signed call; a 401 (token expired or revoked) gets a new token and is sent once more."""
        body = json_body(payload) if payload is not None else None
        for attempt in range(2):
            try:
                return self.send(method, target, body, access_token=self.token(refresh=attempt > 0), **options)
            except BankError as error:
                if error.http_status != 401 or attempt:
                    raise
        raise AssertionError("unreachable")

    def initiate(self, order):
        target, payload = connect(order)
        session_id, url = read_session(self.call("POST", target, payload))
        return PaymentStatus(resource_id=session_id, status="RCVD", approval_url=url, amount=order.amount,
                             currency=order.currency, end_to_end_id=order.end_to_end_id,
                             service_status="provider_required")

    def request_to_pay(self, order, expires_in=REQUEST_TO_PAY_EXPIRY):
        target, payload = request_to_pay(order, expires_in)
        session_id, url = read_session(self.call("POST", target, payload,
                                                 language=(order.language or "fr")[:2]))
        return PaymentStatus(resource_id=session_id, status="RCVD", approval_url=url, amount=order.amount,
                             currency=order.currency, end_to_end_id=order.end_to_end_id,
                             service_status="payment_waiting")

    def status(self, resource_id, instant=False, payer=None):
        return read_payment(resource_id, self.call("GET", f"/pis/v2/payments/{resource_id}"))

    def check_connection(self):
        checks = []
        try:
            self.token(refresh=True)
        except BankError as error:
            return [("credentials", False, str(error))]
        checks.append(("credentials", True, ""))
        try:
            self.call("GET", "/res/v1/applications")
        except (BankError, signing.SigningError) as error:
            checks.append(("signature", False, str(error)))
        else:
            checks.append(("signature", True, ""))
        return checks
