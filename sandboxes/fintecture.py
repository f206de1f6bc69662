"""Fintecture PIS v2 on loopback: client-credentials tokens, signed API calls, hosted payment pages, and
webhooks signed the way Fintecture signs them.

Built from Fintecture's API reference and its official SDKs: ``POST /oauth/accesstoken`` (Basic
``app_id:app_secret``, ``grant_type=client_credentials``, ``scope=PIS``); ``POST /pis/v2/connect`` and
``POST /pis/v2/request-to-pay`` answer ``{"meta": {"session_id", "url"}}``; ``GET
/pis/v2/payments/{session_id}`` answers the session with its status and transfer state; ``GET
/res/v1/applications`` tells the application. Every API call must carry a Bearer token and be signed with
the application's key (Signature keyId = app_id, rsa-sha256, covering (request-target), date, digest when
there is a body, and x-request-id), which this sandbox checks with the application's public key through
its own reading of draft-cavage (``http_signatures``); bodies that do not have the documented shape are
refused with 400 and ``{"errors": [...]}``.

Webhooks are POSTed form-encoded to the URL of the application (as set in Fintecture's console) with
``Digest``, ``Date``, ``X-Request-ID`` and a ``Signature`` whose value is the signing string of those three
headers encrypted with the application's *public* key (RSA-OAEP, SHA-1): only the application can read it.

What happens when the payer pays is scripted per session: ``settle`` (payment_created, completed),
``pending`` (payment_created, processing, settled later by ``settle``), ``reject`` (payment_unsuccessful),
``short`` (completed, but less received than asked), ``silent`` (no webhook), ``twice``; ``broken`` makes the
API answer 503, garbage, or slowly.

    python -m sandboxes.fintecture --port 8073 --app-id demo-app --app-secret s3cret --public-key app.pub.pem \\
        --webhook-url http://127.0.0.1:8069/payment/pay_by_bank/1/webhook
"""

import argparse
import base64
import hashlib
import html
import json
import re
import secrets
import time
import uuid
from decimal import Decimal
from email.utils import formatdate
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from . import http_signatures
from .loopback import LoopbackSandbox, QuietHandler

SCRIPTS = ("settle", "pending", "reject", "short", "silent", "twice")
BROKEN = (None, "down", "garbage", "slow", "no_token")
TOKEN_LIFETIME = 3600
AMOUNT = re.compile(r"^\d{1,10}\.\d{2}$")


class _PublicKey:
    """What http_signatures.check_signature asks of a certificate: its public key."""

    def __init__(self, key):
        self._key = key

    def public_key(self):
        return self._key


class SandboxFintecture(LoopbackSandbox):
    """The service's state: its one application, tokens, sessions, scripts, what it received and sent."""

    name = "sandbox-fintecture"
    scripts_known = SCRIPTS

    def __init__(self, app_id, app_secret, public_key_pem, webhook_url=None, port=0):
        self.app_id, self.app_secret = app_id, app_secret
        self.public_key = serialization.load_pem_public_key(
            public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem)
        self.webhook_url = webhook_url
        self.tokens = {}
        self.sessions = {}
        super().__init__(_Handler, port)

    # The service's own doings ------------------------------------------------------------------------

    def approve(self, session_id, approve=True):
        """The payer's click on Fintecture's page (bank chosen, approved there): the URL they go back to."""
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] not in ("provider_required", "payment_waiting", "sca_required"):
                return self._back(session)
            script = session["script"]
            if not approve or script == "reject":
                session.update(status="payment_unsuccessful", transfer_state="rejected")
            else:
                session["status"] = "payment_created"
                session["provider"] = "sandboxbank"
                session["transfer_state"] = "processing" if script == "pending" else "completed"
                if script == "short":
                    session["received_amount"] = f"{Decimal(session['amount']) - Decimal('1.00'):.2f}"
        if script != "silent":
            self.send_webhook(session_id, times=2 if script == "twice" else 1)
        return self._back(session)

    def settle(self, session_id, transfer_state="completed", notify=True):
        with self.lock:
            self.sessions[session_id].update(status="payment_created", transfer_state=transfer_state)
        if notify:
            self.send_webhook(session_id)

    def _back(self, session):
        query = urlencode({"session_id": session["id"], "status": session["status"], "state": session["state"],
                           "provider": session.get("provider", "")})
        return session["redirect_uri"] + ("&" if "?" in session["redirect_uri"] else "?") + query

    def webhook_request(self, session_id, public_key=None, date=None):
        """(headers, body) of the webhook telling where ``session_id`` stands, signed for ``public_key``."""
        session = self.sessions[session_id]
        body = urlencode({
            "session_id": session["id"], "status": session["status"], "transfer_state": session["transfer_state"],
            "customer_id": session["customer_id"], "provider": session.get("provider", ""),
            "state": session["state"], "event": f"payment_session.status.{session['status']}",
            "amount": session["amount"], "currency": session["currency"],
        }).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Date": formatdate(date, usegmt=True), "X-Request-ID": str(uuid.uuid4()),
                   "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()}
        signing_string = "\n".join(f"{name}: {headers[header]}" for name, header in
                                   (("date", "Date"), ("digest", "Digest"), ("x-request-id", "X-Request-ID")))
        encrypted = (public_key or self.public_key).encrypt(signing_string.encode(), padding.OAEP(
            mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))  # noqa: S303 (Fintecture's scheme)
        headers["Signature"] = (f'keyId="{self.app_id}",algorithm="rsa-sha256",headers="date digest x-request-id",'
                                f'signature="{base64.b64encode(encrypted).decode()}"')
        return headers, body

    def send_webhook(self, session_id, times=1):
        headers, body = self.webhook_request(session_id)
        answers = []
        for _index in range(times):
            if not self.webhook_url:
                break
            try:
                answers.append(requests.post(self.webhook_url, data=body, headers=headers, timeout=30).status_code)
            except requests.RequestException as error:
                answers.append(repr(error))
        self.webhooks.append((session_id, self.sessions[session_id]["status"], answers))
        return answers


class _Refused(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code = status, code


class _Handler(QuietHandler):
    server_version = "SandboxFintecture/1.0"

    def _dispatch(self, method):  # noqa: PLR0911 (one answer per route)
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
        self.sandbox.calls.append((method, self.path, dict(self.headers.items()), body))
        parts = [part for part in url.path.split("/") if part]
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        try:
            if parts[:1] == ["pay"] and len(parts) == 2:
                return self._payment_page(method, parts[1], body)
            if self.sandbox.broken == "down":
                raise _Refused(503, "service_unavailable", "The service is temporarily unavailable")
            if self.sandbox.broken == "slow":
                time.sleep(self.sandbox.slow_seconds)
            if parts == ["oauth", "accesstoken"] and method == "POST":
                return self._token(body)
            self._authorize(method, body)
            if self.sandbox.broken == "garbage":
                return self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
            if method == "POST" and parts == ["pis", "v2", "connect"]:
                return self._create(json.loads(body), query, "PIS", "provider_required")
            if method == "POST" and parts == ["pis", "v2", "request-to-pay"]:
                if not re.fullmatch(r"[a-z]{2}", self.headers.get("x-language") or ""):
                    raise _Refused(400, "invalid_language", "x-language must be a two-letter language code")
                return self._create(json.loads(body), query, "request-to-pay", "payment_waiting")
            if method == "GET" and parts[:3] == ["pis", "v2", "payments"] and len(parts) == 4:
                return self._session(parts[3])
            if method == "GET" and parts == ["res", "v1", "applications"]:
                return self._json(200, {"data": {"type": "applications", "id": self.sandbox.app_id, "attributes": {
                    "name": "Sandbox application", "scope": {"pis": True, "ais": False}}}})
            raise _Refused(404, "not_found", "No such endpoint")
        except _Refused as refused:
            return self._json(refused.status, {"errors": [{"code": refused.code, "title": refused.code,
                                                           "detail": str(refused)}]})
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return self._json(400, {"errors": [{"code": "invalid_body", "title": "Bad request",
                                                "detail": f"bad request: {error!r}"}]})

    def _token(self, body):
        form = {key: values[0] for key, values in parse_qs(body.decode("latin-1")).items()}
        try:
            app_id, secret = base64.b64decode(self.headers.get("Authorization", "").removeprefix("Basic ")) \
                .decode().split(":", 1)
        except ValueError:
            app_id, secret = None, None
        if (app_id, secret) != (self.sandbox.app_id, self.sandbox.app_secret) \
                or form.get("grant_type") != "client_credentials" or form.get("scope") != "PIS" \
                or form.get("app_id") != self.sandbox.app_id:
            return self._json(401, {"errors": [{"code": "unauthorized", "title": "Unauthorized",
                                                "detail": "invalid app_id, app_secret or grant"}]})
        if self.sandbox.broken == "no_token":
            return self._json(200, {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME})
        token = secrets.token_urlsafe(24)
        self.sandbox.tokens[token] = time.monotonic() + TOKEN_LIFETIME
        return self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                                "scope": "PIS"})

    def _authorize(self, method, body):
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.sandbox.tokens.get(token, 0) < time.monotonic():
            raise _Refused(401, "invalid_token", "invalid or expired access token")
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            parameters = http_signatures.parse(headers.get("signature") or "")
            if parameters["keyId"] != self.sandbox.app_id:
                raise http_signatures.SignatureRefused("SIGNATURE_INVALID", "keyId is not the app_id")
            required = ["(request-target)", "date", "x-request-id"]
            if body:
                http_signatures.check_digest(headers, body)
                required.append("digest")
            http_signatures.check_signature(method, self.path, headers, parameters,
                                            _PublicKey(self.sandbox.public_key), required)
        except http_signatures.SignatureRefused as refused:
            raise _Refused(401, "invalid_signature", str(refused)) from refused

    def _create(self, payload, query, kind, status):
        meta, data = payload.get("meta"), payload.get("data")
        if not isinstance(meta, dict) or not isinstance(data, dict) or data.get("type") != kind:
            raise _Refused(400, "invalid_body", f"meta and data of type {kind} are required")
        attributes = data.get("attributes") or {}
        if not AMOUNT.match(str(attributes.get("amount", ""))) or Decimal(attributes["amount"]) <= 0:
            raise _Refused(400, "invalid_amount", "amount must be a positive decimal string with two decimals")
        if attributes.get("currency") != "EUR":
            raise _Refused(400, "invalid_currency", "this application collects euros")
        if not 0 < len(str(attributes.get("communication") or "")) <= 140:
            raise _Refused(400, "invalid_communication", "communication is required, 140 characters at most")
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            raise _Refused(400, "invalid_redirect_uri", "redirect_uri must be a URL")
        if kind == "request-to-pay" and not isinstance(meta.get("expire"), int):
            raise _Refused(400, "invalid_expire", "a request to pay needs its expiry in seconds")
        session_id = uuid.uuid4().hex
        with self.sandbox.lock:
            self.sandbox.sessions[session_id] = {
                "id": session_id, "kind": kind, "status": status, "transfer_state": None,
                "amount": attributes["amount"], "currency": attributes["currency"],
                "communication": attributes["communication"], "end_to_end_id": attributes.get("end_to_end_id"),
                "state": query.get("state", ""), "redirect_uri": redirect_uri, "customer_id": secrets.token_hex(16),
                "psu_name": meta.get("psu_name"), "psu_email": meta.get("psu_email"),
                "script": self.sandbox.scripts.popleft() if self.sandbox.scripts else "settle",
            }
        url = f"{self.sandbox.url}/pay/{session_id}?{urlencode({'lang': 'fr', 'origin': 'api'})}"
        return self._json(200, {"meta": {"session_id": session_id, "url": url}})

    def _session(self, session_id):
        session = self.sandbox.sessions.get(session_id)
        if session is None:
            raise _Refused(404, "session_not_found", "no payment session with this id")
        attributes = {"amount": session["amount"], "currency": session["currency"],
                      "communication": session["communication"], "status": session["status"],
                      "transfer_state": session["transfer_state"], "end_to_end_id": session["end_to_end_id"],
                      "provider": session.get("provider")}
        if "received_amount" in session:
            attributes["received_amount"] = session["received_amount"]
        return self._json(200, {"meta": {"session_id": session_id, "status": session["status"],
                                         "transfer_state": session["transfer_state"], "type": session["kind"]},
                                "data": {"type": "payments", "id": session_id, "attributes": attributes}})

    def _payment_page(self, method, session_id, body):
        session = self.sandbox.sessions.get(session_id)
        if session is None:
            return self._send(404, b"No such payment session", "text/plain")
        if method == "POST":
            decision = parse_qs(body.decode()).get("decision", ["approve"])[0]
            back = self.sandbox.approve(session_id, approve=decision == "approve")
            self.send_response(303)
            self.send_header("Location", back)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Fintecture sandbox</title></head><body>"
                f"<h1>{html.escape(session['amount'])} {html.escape(session['currency'])}</h1>"
                f"<p>{html.escape(session['communication'])}</p><form method='post'>"
                f"<label>Choisissez votre banque <select name='bank'><option>Banque Sandbox</option></select></label>"
                f"<button name='decision' value='approve'>Payer</button>"
                f"<button name='decision' value='refuse'>Annuler</button></form></body></html>")
        return self._send(200, page.encode(), "text/html; charset=utf-8")

    def _json(self, status, payload):
        return self._send(status, json.dumps(payload).encode(), "application/json")



def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8073)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--app-secret", required=True)
    parser.add_argument("--public-key", required=True, help="PEM file of the application's public key")
    parser.add_argument("--webhook-url")
    options = parser.parse_args(argv)
    with open(options.public_key, encoding="ascii") as stream:
        public_key = stream.read()
    sandbox = SandboxFintecture(options.app_id, options.app_secret, public_key, options.webhook_url, options.port)
    sandbox.serve("Sandbox Fintecture")


if __name__ == "__main__":
    main()
