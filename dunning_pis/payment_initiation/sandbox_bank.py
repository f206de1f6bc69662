"""A bank of our own on loopback that speaks STET v1.6 and Berlin Group 1.3 payment initiation.

Tests and ``make demo`` start it beside Odoo. It issues OAuth2 tokens, checks the Digest and
Signature of every API call against the payment institution's certificate, serves an approval page
where the payer approves or rejects, sends signed notifications to Odoo and answers status polls.
Given a TLS context it serves HTTPS and, like a bank's API gateway, answers API calls only over a
connection that presented a client certificate its authority signed (the payer's approval page
needs none). What happens after approval can be scripted per payment: settled at once, rejected, left pending,
notified late or twice, not notified at all, or (STET) waiting for a confirmation.

    python -m dunning_pis.payment_initiation.sandbox_bank --port 8070 --secret s3cret
"""

import argparse
import base64
import datetime
import html
import ipaddress
import json
import secrets
import ssl
import sys
import threading
import time
import uuid
from collections import deque
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from . import signing

SCRIPTS = ("settle", "reject", "pending", "silent", "late", "twice", "confirm")
TOKEN_LIFETIME = 3600


def _issue(common_name, issuer=None, days=3650, ca=False, ip=None):
    """(key, certificate) for ``common_name``: self-signed, or signed by ``issuer`` (its key and certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer[1].subject if issuer else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    return key, builder.sign(issuer[0] if issuer else key, hashes.SHA256())


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _certificate_pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_identity(common_name="Sandbox PISP"):
    """(private key PEM, self-signed certificate PEM): a QSEAL stand-in for tests and the demo."""
    key, certificate = _issue(common_name)
    return _key_pem(key).decode(), _certificate_pem(certificate).decode()


def make_tls_files(folder):
    """A certificate authority, the bank's server certificate for 127.0.0.1 and a client certificate
    (a QWAC stand-in), both signed by it, as PEM files in ``folder``: their paths by name."""
    folder = Path(folder)
    authority = _issue("Sandbox Bank CA", days=30, ca=True)
    paths = {"ca": folder / "ca.pem"}
    paths["ca"].write_bytes(_certificate_pem(authority[1]))
    for label, common_name, ip in (("server", "Sandbox Bank API", "127.0.0.1"), ("client", "Sandbox PISP QWAC", None)):
        key, certificate = _issue(common_name, issuer=authority, days=30, ip=ip)
        paths[f"{label}_cert"], paths[f"{label}_key"] = folder / f"{label}.pem", folder / f"{label}.key"
        paths[f"{label}_cert"].write_bytes(_certificate_pem(certificate))
        paths[f"{label}_key"].write_bytes(_key_pem(key))
    return paths


def server_tls_context(tls_files):
    """HTTPS with the server certificate of ``make_tls_files``, asking clients for a certificate of its CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["server_cert"], tls_files["server_key"])
    context.load_verify_locations(tls_files["ca"])
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


class SandboxBank:
    """The bank's state: clients, tokens, payments, the scripts of the next payments, what it sent."""

    def __init__(self, client_id, client_secret, notification_secret, certificate=None, port=0, tls=None):
        self.clients = {client_id: client_secret}
        self.notification_secret = notification_secret
        self.certificate = certificate
        self.tokens = {}
        self.payments = {}
        self.scripts = deque()
        self.notifications = []
        self.calls = []
        self.late_delay = 1.0
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.tls = tls
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.server.bank = self
        self._thread = None

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, name="sandbox-bank", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def script(self, *outcomes):
        """What happens to the next payments once approved, in order; then they settle at once."""
        unknown = set(outcomes) - set(SCRIPTS)
        if unknown:
            raise ValueError(f"unknown scripts {unknown}, known: {SCRIPTS}")
        with self.lock:
            self.scripts.extend(outcomes)

    def approve(self, resource_id, approve=True):
        """What the payer's click on the approval page does; returns the URL the payer goes back to."""
        with self.lock:
            payment = self.payments[resource_id]
            if payment["status"] not in ("RCVD", "PDNG", "ACTC"):
                return payment["return_url"]
            script = payment["script"]
            if not approve or script == "reject":
                self._set(payment, "RJCT")
                self._notify(payment)
                return payment["cancel_url"]
            if script == "confirm" and payment["api"] == "stet":
                self._set(payment, "ACCP")
                payment["needs_confirmation"] = True
                return payment["return_url"]
            self._set(payment, "ACSP" if script == "pending" else "ACSC")
        if script == "late":
            threading.Timer(self.late_delay, self._notify, [payment]).start()
        elif script != "silent":
            self._notify(payment, times=2 if script == "twice" else 1)
        return payment["return_url"]

    def settle(self, resource_id, status="ACSC", notify=False):
        """Move a payment on by the bank's own doing (settlement after ACSP, a late rejection...)."""
        with self.lock:
            payment = self.payments[resource_id]
            self._set(payment, status)
        if notify:
            self._notify(payment)

    def _set(self, payment, status):
        payment["status"] = status
        payment["history"].append(status)

    def notification_body(self, payment):
        return json.dumps({
            "resourceId": payment["id"], "endToEndId": payment["end_to_end_id"], "status": payment["status"],
            "amount": payment["amount"], "currency": payment["currency"],
        }).encode()

    def _notify(self, payment, times=1):
        if not payment["notification_url"]:
            return
        for _index in range(times):
            body = self.notification_body(payment)
            try:
                response = requests.post(payment["notification_url"], data=body, timeout=30, headers={
                    "Content-Type": "application/json",
                    signing.NOTIFICATION_HEADER: signing.sign_notification(body, self.notification_secret),
                })
                self.notifications.append((payment["id"], payment["status"], response.status_code))
            except requests.RequestException as error:
                self.notifications.append((payment["id"], payment["status"], repr(error)))

    def new_payment(self, api, product, end_to_end_id, amount, currency, return_url, cancel_url,
                    notification_url, remittance):
        with self.lock:
            resource_id = uuid.uuid4().hex[:20]
            self.payments[resource_id] = {
                "id": resource_id, "api": api, "product": product, "end_to_end_id": end_to_end_id,
                "amount": f"{Decimal(amount):.2f}", "currency": currency, "return_url": return_url,
                "cancel_url": cancel_url, "notification_url": notification_url, "remittance": remittance,
                "status": "RCVD", "history": ["RCVD"], "needs_confirmation": False,
                "script": self.scripts.popleft() if self.scripts else "settle",
            }
            return self.payments[resource_id]


class _Handler(BaseHTTPRequestHandler):
    server_version = "SandboxBank/1.0"

    def log_message(self, *args):
        return

    @property
    def bank(self):
        return self.server.bank

    def _send(self, status, payload=None, headers=None, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status, message):
        self._send(status, {"status": status, "message": message})

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        path = urlsplit(self.path).path
        body = self._body() if method == "POST" else b""
        self.bank.calls.append((method, path, self.headers.get("X-Request-ID")))
        parts = [part for part in path.split("/") if part]
        if self.bank.tls and parts[:1] != ["approve"] and not self.connection.getpeercert():
            return self._error(403, "this API needs a client certificate (mutual TLS)")
        try:
            return self._route(method, path, parts, body)
        except (ValueError, KeyError, TypeError) as error:
            return self._error(400, f"bad request: {error!r}")

    def _route(self, method, path, parts, body):
        if parts == ["oauth", "token"] and method == "POST":
            return self._token(body)
        if parts[:1] == ["approve"] and len(parts) == 2:
            return self._approval(method, parts[1], body)
        if parts[:2] == ["stet", "v1"] or parts[:2] == ["berlin-group", "v1"]:
            if not self._authorized(method, path, body, parts[0]):
                return None
            handler = self._stet if parts[0] == "stet" else self._berlin_group
            return handler(method, parts[2:], body)
        return self._error(404, "no such endpoint")

    def _token(self, body):
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        try:
            client_id, client_secret = base64.b64decode(
                self.headers.get("Authorization", "").removeprefix("Basic ")).decode().split(":", 1)
        except ValueError:
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if form.get("grant_type") != "client_credentials" or self.bank.clients.get(client_id) != client_secret:
            return self._send(401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        self.bank.tokens[token] = time.monotonic() + TOKEN_LIFETIME
        return self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                                "scope": form.get("scope", "")})

    def _authorized(self, method, path, body, api):
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.bank.tokens.get(token, 0) < time.monotonic():
            self._error(401, "invalid or expired access token")
            return False
        if not self.headers.get("X-Request-ID"):
            self._error(400, "X-Request-ID is missing")
            return False
        if self.bank.certificate:
            required = ("(request-target)", "digest") if api == "stet" else ("digest", "x-request-id")
            try:
                signing.verify_request(method, path, dict(self.headers.items()), body, self.bank.certificate,
                                       required=required)
            except signing.SignatureError as error:
                self._error(401, f"signature refused: {error}")
                return False
        return True

    def _approval_url(self, payment):
        return f"{self.bank.url}/approve/{payment['id']}"

    def _stet(self, method, parts, body):
        if parts == ["payment-requests"] and method == "POST":
            request = json.loads(body)
            transfer = request["creditTransferTransaction"][0]
            urls = request["supplementaryData"]
            payment = self.bank.new_payment(
                "stet", None, transfer["paymentId"]["endToEndId"], transfer["instructedAmount"]["amount"],
                transfer["instructedAmount"]["currency"], urls["successfulReportUrl"],
                urls["unsuccessfulReportUrl"], self.headers.get("X-Notification-URL"),
                transfer["remittanceInformation"]["unstructured"][0],
            )
            return self._send(201, {"appliedAuthenticationApproach": "REDIRECT",
                                    "_links": {"consentApproval": {"href": self._approval_url(payment)}}},
                              headers={"Location": f"/stet/v1/payment-requests/{payment['id']}"})
        if len(parts) in (2, 3) and parts[0] == "payment-requests":
            payment = self.bank.payments.get(parts[1])
            if not payment or payment["api"] != "stet":
                return self._error(404, "no such payment request")
            if len(parts) == 3:
                if parts[2] != "confirmation" or method != "POST" or not payment["needs_confirmation"]:
                    return self._error(400, "this payment request needs no confirmation")
                payment["needs_confirmation"] = False
                self.bank.settle(payment["id"])
            return self._send(200, self._stet_resource(payment))
        return self._error(404, "no such endpoint")

    @staticmethod
    def _stet_resource(payment):
        links = {"confirmation": {"href": f"/stet/v1/payment-requests/{payment['id']}/confirmation"}} \
            if payment["needs_confirmation"] else {}
        return {"paymentRequest": {
            "resourceId": payment["id"], "paymentInformationStatus": payment["status"],
            "creditTransferTransaction": [{
                "paymentId": {"endToEndId": payment["end_to_end_id"]},
                "instructedAmount": {"amount": payment["amount"], "currency": payment["currency"]},
                "transactionStatus": payment["status"],
            }],
            "_links": links,
        }}

    def _berlin_group(self, method, parts, body):
        products = ("sepa-credit-transfers", "instant-sepa-credit-transfers")
        if len(parts) == 2 and parts[0] == "payments" and parts[1] in products and method == "POST":
            request = json.loads(body)
            payment = self.bank.new_payment(
                "berlin_group", parts[1], request["endToEndIdentification"], request["instructedAmount"]["amount"],
                request["instructedAmount"]["currency"], self.headers["TPP-Redirect-URI"],
                self.headers.get("TPP-Nok-Redirect-URI") or self.headers["TPP-Redirect-URI"],
                self.headers.get("TPP-Notification-URI"), request.get("remittanceInformationUnstructured", ""),
            )
            return self._send(201, {
                "transactionStatus": payment["status"], "paymentId": payment["id"],
                "_links": {"scaRedirect": {"href": self._approval_url(payment)},
                           "status": {"href": f"/berlin-group/v1/payments/{parts[1]}/{payment['id']}/status"}},
            })
        if len(parts) == 4 and parts[0] == "payments" and parts[3] == "status" and method == "GET":
            payment = self.bank.payments.get(parts[2])
            if not payment or payment["api"] != "berlin_group" or payment["product"] != parts[1]:
                return self._error(404, "no such payment")
            return self._send(200, {"transactionStatus": payment["status"]})
        return self._error(404, "no such endpoint")

    def _approval(self, method, resource_id, body):
        payment = self.bank.payments.get(resource_id)
        if not payment:
            return self._error(404, "no such payment")
        if method == "POST":
            decision = parse_qs(body.decode()).get("decision", [""])[0]
            target = self.bank.approve(resource_id, approve=decision == "approve")
            return self._send(303, b"", headers={"Location": target}, content_type="text/plain")
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sandbox Bank</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<h1>Sandbox Bank</h1>
<p>Transfer of <strong id="amount">{html.escape(payment['amount'])} {html.escape(payment['currency'])}</strong>,
reference <strong>{html.escape(payment['remittance'])}</strong>.</p>
<form method="post"><button name="decision" value="approve" id="approve">Approve</button>
<button name="decision" value="reject" id="reject">Reject</button></form></body></html>"""
        return self._send(200, page.encode(), content_type="text/html; charset=utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8070)
    parser.add_argument("--client-id", default="sandbox-pisp")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--secret", default="sandbox-notification-secret", help="notification secret")
    parser.add_argument("--certificate", help="PEM file of the QSEAL certificate whose signatures to require")
    args = parser.parse_args()
    certificate = Path(args.certificate).read_text(encoding="ascii") if args.certificate else None
    bank = SandboxBank(args.client_id, args.client_secret, args.secret, certificate, port=args.port)
    sys.stdout.write(f"Sandbox bank listening on {bank.url}\n")
    sys.stdout.flush()
    try:
        bank.server.serve_forever()
    except KeyboardInterrupt:
        bank.server.server_close()


if __name__ == "__main__":
    main()
