"""The banks' payment-initiation APIs behind one small interface: initiate, status, confirm.

``StetAdapter`` speaks STET PSD2 API v1.6 (the French banks' standard), ``BerlinGroupAdapter`` speaks
NextGenPSD2 XS2A 1.3. Both get OAuth2 client-credentials tokens (cached until shortly before they
expire), put an ``X-Request-ID`` on every call, sign requests with the QSEAL key when one is given,
present the QWAC client certificate for mutual TLS when one is given, check the bank's server
certificate (against the bank's own authorities where it has them), time out, and retry only what
is safe to repeat: reads, and any call the bank refused with 401 before doing anything.
"""

import base64
import dataclasses
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from email.utils import formatdate
from urllib.parse import urlsplit

import requests

from . import signing
from .statuses import UnknownStatus, outcome

TIMEOUT = 10
READ_ATTEMPTS = 3
TOKEN_MARGIN = 30  # seconds before its expiry when a token is renewed
MAX_AMOUNT = Decimal(10) ** 12


class BankError(Exception):
    """The bank could not be reached, refused the call, or answered something we cannot read."""

    def __init__(self, message, http_status=None):
        super().__init__(message)
        self.http_status = http_status


@dataclasses.dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    token_url: str
    signing_key: str | None = None  # PEM of the QSEAL private key
    key_id: str | None = None
    certificate: str | None = None  # PEM of the QSEAL certificate, sent to Berlin Group banks
    tls_cert: tuple | None = None  # (certificate file, key file) of the QWAC, for mutual TLS
    ca_bundle: str | None = None  # file of the authorities the bank's server certificate may come from

    @property
    def verify(self):
        """What requests checks the bank's server certificate against: the given authorities, else the public ones."""
        return self.ca_bundle or True


@dataclasses.dataclass(frozen=True)
class PaymentOrder:
    """One credit transfer the payer is asked to approve."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_name: str
    creditor_iban: str
    remittance: str
    return_url: str
    cancel_url: str
    notification_url: str
    instant: bool = False
    creditor_bic: str | None = None
    payer_ip: str = "127.0.0.1"


@dataclasses.dataclass(frozen=True)
class PaymentStatus:
    """What the bank says of a payment; ``amount`` is None where its answer does not repeat it."""

    resource_id: str
    status: str
    approval_url: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    end_to_end_id: str | None = None
    needs_confirmation: bool = False


class _TokenCache:
    """Access tokens by (token URL, client id), shared by every adapter of the process."""

    def __init__(self):
        self._tokens = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            token, expires_at = self._tokens.get(key, (None, 0))
        return token if time.monotonic() < expires_at else None

    def put(self, key, token, expires_in):
        with self._lock:
            self._tokens[key] = (token, time.monotonic() + max(0, int(expires_in) - TOKEN_MARGIN))

    def drop(self, key):
        with self._lock:
            self._tokens.pop(key, None)


TOKENS = _TokenCache()


def amount_text(amount):
    return f"{Decimal(amount):.2f}"


def parse_notification(body):
    """A bank notification, as our sandbox bank and our bank connectors send it, into a PaymentStatus."""
    try:
        data = json.loads(body)
        status = PaymentStatus(
            resource_id=_identifier(data["resourceId"]), status=str(data["status"]),
            amount=Decimal(str(data["amount"])), currency=_identifier(data["currency"]),
            end_to_end_id=_identifier(data["endToEndId"]),
        )
        outcome(status.status)
        if not status.amount.is_finite() or not 0 <= status.amount < MAX_AMOUNT:
            raise ValueError(f"amount out of range: {status.amount}")
    except (ValueError, KeyError, TypeError, ArithmeticError, UnknownStatus, AttributeError) as error:
        raise BankError(f"unreadable notification: {error!r}", http_status=400) from error
    return status


def _identifier(value):
    """A reference as banks send them: printable text of at most 140 characters."""
    if not isinstance(value, str) or not value or len(value) > 140 or not value.isprintable():
        raise ValueError(f"not an identifier: {value!r}")
    return value


class BankAdapter:
    scope = ""
    signed_headers = ()

    def __init__(self, base_url, credentials, session=None):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.session = session or requests.Session()

    def initiate(self, order):
        raise NotImplementedError

    def status(self, resource_id, instant=False):
        raise NotImplementedError

    def confirm(self, resource_id, instant=False):
        """Confirm a payment the payer approved, where the bank asks for it; most banks do not."""
        return self.status(resource_id, instant=instant)

    def _token(self, refresh=False):
        key = (self.credentials.token_url, self.credentials.client_id)
        token = None if refresh else TOKENS.get(key)
        if token:
            return token
        try:
            response = self.session.post(
                self.credentials.token_url, timeout=TIMEOUT, cert=self.credentials.tls_cert,
                verify=self.credentials.verify,
                data={"grant_type": "client_credentials", "scope": self.scope},
                auth=(self.credentials.client_id, self.credentials.client_secret),
            )
        except requests.RequestException as error:
            raise BankError(f"the bank's token endpoint cannot be reached: {error}") from error
        if response.status_code != 200:
            raise BankError(f"the bank refused the client credentials (HTTP {response.status_code})",
                            http_status=response.status_code)
        data = response.json()
        TOKENS.put(key, data["access_token"], data.get("expires_in", 0))
        return data["access_token"]

    def _headers(self, method, path, body, extra):
        headers = {
            "Content-Type": "application/json", "Accept": "application/json",
            "X-Request-ID": str(uuid.uuid4()), "Date": formatdate(usegmt=True), **extra,
        }
        if self.credentials.signing_key:
            headers.update(signing.sign_request(method, path, headers, body, self.credentials.signing_key,
                                                self.credentials.key_id or self.credentials.client_id,
                                                self.signed_headers))
        return headers

    def _call(self, method, path, payload=None, extra_headers=None):
        """JSON answer and headers of one API call; reads are retried, writes only after a 401."""
        url = self.base_url + path
        body = json.dumps(payload).encode() if payload is not None else b""
        attempts = READ_ATTEMPTS if method == "GET" else 1
        refreshed = False
        while True:
            attempts -= 1
            headers = self._headers(method, urlsplit(url).path, body, {
                **(extra_headers or {}), "Authorization": f"Bearer {self._token(refresh=refreshed)}",
            })
            try:
                response = self.session.request(method, url, data=body or None, headers=headers, timeout=TIMEOUT,
                                                cert=self.credentials.tls_cert, verify=self.credentials.verify)
            except requests.RequestException as error:
                if attempts > 0:
                    continue
                raise BankError(f"the bank cannot be reached: {error}") from error
            if response.status_code == 401 and not refreshed:
                refreshed, attempts = True, attempts + 1
                continue
            if response.status_code >= 500 and attempts > 0:
                continue
            if response.status_code >= 400:
                raise BankError(f"the bank answered HTTP {response.status_code}: {response.text[:300]}",
                                http_status=response.status_code)
            try:
                return (response.json() if response.content else {}), response.headers
            except ValueError as error:
                raise BankError("the bank's answer is not JSON") from error


def stet_payment_request(order, now=None):
    """The STET v1.6 PaymentRequestResource of one credit transfer, approved by redirection."""
    now = now or datetime.now(timezone.utc)
    creditor_agent = {"bicFi": order.creditor_bic} if order.creditor_bic else None
    transfer = {
        "paymentId": {"instructionId": order.end_to_end_id, "endToEndId": order.end_to_end_id},
        "instructedAmount": {"currency": order.currency, "amount": amount_text(order.amount)},
        "remittanceInformation": {"unstructured": [order.remittance[:140]]},
    }
    request = {
        "paymentInformationId": order.end_to_end_id,
        "creationDateTime": now.isoformat(timespec="seconds"),
        "numberOfTransactions": 1,
        "initiatingParty": {"name": order.creditor_name[:70]},
        "paymentTypeInformation": {"serviceLevel": "SEPA", **({"localInstrument": "INST"} if order.instant else {}),
                                   "categoryPurpose": "DVPM"},
        "beneficiary": {"creditor": {"name": order.creditor_name[:70]},
                        "creditorAccount": {"iban": order.creditor_iban},
                        **({"creditorAgent": creditor_agent} if creditor_agent else {})},
        "chargeBearer": "SLEV",
        "creditTransferTransaction": [transfer],
        "supplementaryData": {
            "acceptedAuthenticationApproach": ["REDIRECT"],
            "successfulReportUrl": order.return_url,
            "unsuccessfulReportUrl": order.cancel_url,
        },
    }
    return request


class StetAdapter(BankAdapter):
    scope = "pisp"
    signed_headers = ("(request-target)", "digest", "x-request-id", "date")

    def initiate(self, order):
        data, headers = self._call("POST", "/payment-requests", stet_payment_request(order), {
            "PSU-IP-Address": order.payer_ip, "X-Notification-URL": order.notification_url,
        })
        location = headers.get("Location", "")
        resource_id = location.rstrip("/").rsplit("/", 1)[-1]
        approval = data.get("_links", {}).get("consentApproval", {}).get("href")
        if not resource_id or not approval:
            raise BankError("the bank's answer has no payment request location or approval link")
        return PaymentStatus(resource_id=resource_id, status="RCVD", approval_url=approval,
                             amount=order.amount, currency=order.currency, end_to_end_id=order.end_to_end_id)

    def status(self, resource_id, instant=False):
        data, _headers = self._call("GET", f"/payment-requests/{resource_id}")
        return self._read(resource_id, data)

    def confirm(self, resource_id, instant=False):
        data, _headers = self._call("POST", f"/payment-requests/{resource_id}/confirmation", {})
        return self._read(resource_id, data)

    @staticmethod
    def _read(resource_id, data):
        try:
            request = data["paymentRequest"]
            transfer = request["creditTransferTransaction"][0]
            status = transfer.get("transactionStatus") or request["paymentInformationStatus"]
            outcome(status)
            return PaymentStatus(
                resource_id=resource_id, status=status,
                amount=Decimal(transfer["instructedAmount"]["amount"]),
                currency=transfer["instructedAmount"]["currency"],
                end_to_end_id=transfer["paymentId"]["endToEndId"],
                needs_confirmation="confirmation" in request.get("_links", {}),
            )
        except (KeyError, IndexError, TypeError, ArithmeticError, UnknownStatus) as error:
            raise BankError(f"unreadable payment request status: {error!r}") from error


def berlin_group_payment(order):
    """The Berlin Group 1.3 body of a SEPA (instant) credit transfer."""
    return {
        "endToEndIdentification": order.end_to_end_id,
        "instructedAmount": {"currency": order.currency, "amount": amount_text(order.amount)},
        "creditorAccount": {"iban": order.creditor_iban},
        **({"creditorAgent": order.creditor_bic} if order.creditor_bic else {}),
        "creditorName": order.creditor_name[:70],
        "remittanceInformationUnstructured": order.remittance[:140],
    }


class BerlinGroupAdapter(BankAdapter):
    scope = "PIS"
    signed_headers = ("digest", "x-request-id", "date")

    @staticmethod
    def product(instant):
        return "instant-sepa-credit-transfers" if instant else "sepa-credit-transfers"

    def _headers(self, method, path, body, extra):
        if self.credentials.certificate:
            extra = {**extra, "TPP-Signature-Certificate":
                     base64.b64encode(self.credentials.certificate.encode()).decode()}
        return super()._headers(method, path, body, extra)

    def initiate(self, order):
        data, _headers = self._call("POST", f"/v1/payments/{self.product(order.instant)}",
                                    berlin_group_payment(order), {
            "PSU-IP-Address": order.payer_ip, "TPP-Redirect-Preferred": "true",
            "TPP-Redirect-URI": order.return_url, "TPP-Nok-Redirect-URI": order.cancel_url,
            "TPP-Notification-URI": order.notification_url,
        })
        try:
            outcome(data["transactionStatus"])
            return PaymentStatus(resource_id=data["paymentId"], status=data["transactionStatus"],
                                 approval_url=data["_links"]["scaRedirect"]["href"],
                                 amount=order.amount, currency=order.currency, end_to_end_id=order.end_to_end_id)
        except (KeyError, TypeError, UnknownStatus) as error:
            raise BankError(f"unreadable payment initiation answer: {error!r}") from error

    def status(self, resource_id, instant=False):
        data, _headers = self._call("GET", f"/v1/payments/{self.product(instant)}/{resource_id}/status")
        try:
            outcome(data["transactionStatus"])
        except (KeyError, TypeError, UnknownStatus) as error:
            raise BankError(f"unreadable payment status: {error!r}") from error
        return PaymentStatus(resource_id=resource_id, status=data["transactionStatus"])


ADAPTERS = {"stet": StetAdapter, "berlin_group": BerlinGroupAdapter}
