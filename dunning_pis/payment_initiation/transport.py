"""HTTP to one bank's API, for a licensed PISP talking to the payers' banks directly: OAuth2
client-credentials tokens, mutual TLS, request ids, signatures, retries.

Tokens are cached per (token URL, client id) until shortly before they expire. Every call carries an
``X-Request-ID`` and a ``Date``, is signed when a signer is given (the standard's adapter says which
headers the signature covers), presents the QWAC when one is given, checks the bank's server
certificate (against the bank's own authorities where it has them), times out, and is retried only
when that is safe: reads, and any call the bank refused with 401 before doing anything. Whatever the
bank answers that is not JSON where JSON is due is a ``BankError``, never another exception.

This is where talking to banks stops: Odoo's provider request hooks (``_send_api_request``) cannot
present a client certificate nor trust a bank's own authorities. The contracted services (``fintecture``,
``gocardless``) need neither and go through those hooks; only their token cache is shared (``tokens``).
"""

import dataclasses
import json
import uuid
from email.utils import formatdate
from urllib.parse import urlsplit

import requests

from . import signing
from .base import BankError
from .tokens import TOKENS

TIMEOUT = 10
READ_ATTEMPTS = 3


@dataclasses.dataclass(frozen=True)
class Credentials:
    """What the payment institution registered with one bank, and its eIDAS certificates."""

    client_id: str
    client_secret: str
    token_url: str
    signing_key: str | None = None  # PEM of the QSEAL private key
    signing_certificate: str | None = None  # PEM of the QSEAL certificate
    signing_certificate_url: str | None = None  # where the bank can fetch it (STET keyId)
    tls_cert: tuple | None = None  # (certificate file, key file) of the QWAC, for mutual TLS
    ca_bundle: str | None = None  # file of the authorities the bank's server certificate may come from

    @property
    def verify(self):
        """What requests checks the bank's server certificate against: the given authorities, else the public ones."""
        return self.ca_bundle or True




@dataclasses.dataclass(frozen=True)
class Answer:
    status_code: int
    headers: dict
    data: dict


class ApiClient:
    """Calls to one bank. ``sign`` is given (method, target, headers) and returns the headers to add."""

    def __init__(self, base_url, credentials, scope, sign=None, session=None):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.scope = scope
        self.sign = sign
        self.session = session or requests.Session()

    def token(self, refresh=False):
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
        try:
            data = response.json()
            token, expires_in = data["access_token"], int(data.get("expires_in") or 0)
            if not isinstance(token, str) or not token.isascii() or not token.isprintable() or not token:
                raise ValueError("not a token")
        except (ValueError, KeyError, TypeError) as error:
            raise BankError(f"the bank's token endpoint answered no usable access token: {error!r}",
                            unreadable=True) from error
        TOKENS.put(key, token, expires_in)
        return token

    def call(self, method, path, payload=None, headers=None):
        """The answer to one API call; reads are retried, writes only after a 401."""
        url = self.base_url + path
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        attempts = READ_ATTEMPTS if method == "GET" else 1
        refreshed = False
        while True:
            attempts -= 1
            request_headers = {
                "Accept": "application/json", "X-Request-ID": str(uuid.uuid4()), "Date": formatdate(usegmt=True),
                **({"Content-Type": "application/json"} if body else {}), **(headers or {}),
                "Authorization": f"Bearer {self.token(refresh=refreshed)}",
            }
            if self.sign:
                request_headers.update(self.sign(method, _target(url), request_headers, body))
            try:
                response = self.session.request(method, url, data=body or None, headers=request_headers,
                                                timeout=TIMEOUT, cert=self.credentials.tls_cert,
                                                verify=self.credentials.verify)
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
            return Answer(response.status_code, response.headers, _json_object(response))


def digest_and_signature(names_for, key_id, key_pem, extra=None):
    """A ``sign`` for ApiClient: Digest, then a Signature over the headers ``names_for(headers)`` picks."""

    def sign(method, target, headers, body):
        added = {"Digest": signing.digest(body), **(extra or {})}
        signed = {**headers, **added}
        return {**added, "Signature": signing.sign(method, target, signed, names_for(signed), key_pem, key_id)}

    return sign


def _target(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _json_object(response):
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError as error:
        raise BankError("the bank's answer is not JSON", unreadable=True) from error
    if not isinstance(data, dict):
        raise BankError("the bank's answer is not a JSON object", unreadable=True)
    return data
