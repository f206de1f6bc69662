"""A bank on loopback speaking one standard's payment initiation: STET v1.6 or Berlin Group 1.3.12.

Like a bank's API gateway it issues OAuth2 client-credentials tokens, answers API calls only over
mutual TLS when given a TLS context (the payer's approval page needs no client certificate), checks
the Digest and Signature of every call by the standard's rules (``http_signatures``), and refuses with
400 every request its specification refuses (``specs``); its own answers are checked against the
same specification before they leave, and ``errors`` keeps any that would not pass. Its approval
link carries a query string, as some banks' do. What happens after the payer approves is scripted
per payment: settled at once, rejected, left pending, notified late, twice or not at all, waiting for a
confirmation (STET), settled as ACCC (Berlin Group), or status reads answering garbage.

    python -m sandboxes.bank --standard stet --port 8070 --client-id demo-pisp --client-secret s3cret \\
        --certificate qseal.pem --key-id https://odoo.example/payment/pay_by_bank/1/qseal.pem
"""

import argparse
import base64
import dataclasses
import datetime
import hashlib
import html
import json
import secrets
import sys
import threading
import time
import uuid
from collections import deque
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from requests.structures import CaseInsensitiveDict

from . import http_signatures, specs

SCRIPTS = ("settle", "reject", "pending", "silent", "late", "twice", "confirm", "accc", "garbage", "unknown")
TOKEN_LIFETIME = 3600
API_PREFIX = {"stet": "/stet/v1", "berlin_group": "/berlin-group"}
PRODUCTS = ("sepa-credit-transfers", "instant-sepa-credit-transfers")


@dataclasses.dataclass
class Call:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes
    status: int = 0


class SandboxBank:
    """The bank's state: clients, tokens, payments, the scripts of the next payments, what it received and sent."""

    def __init__(self, standard, name="Sandbox Bank", clients=None, qseal_certificates=None, port=0, tls=None):
        if standard not in API_PREFIX:
            raise ValueError(f"unknown standard {standard!r}")
        self.standard = standard
        self.name = name
        self.clients = dict(clients or {})
        # STET: {keyId URL: certificate PEM}; Berlin Group: the PEMs of the accepted certificates.
        self.qseal_certificates = qseal_certificates
        self.tokens = {}
        self.payments = {}
        self.scripts = deque()
        self.notifications = []
        self.calls = []
        self.errors = []
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

    @property
    def api_url(self):
        return self.url + API_PREFIX[self.standard]

    @property
    def token_url(self):
        return f"{self.url}/oauth/token"

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"sandbox-bank-{self.standard}",
                                        daemon=True)
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

    def approval_url(self, payment):
        return f"{self.url}/approve?{urlencode({'payment': payment['id'], 'origin': 'tpp'})}"

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
            if script == "confirm" and self.standard == "stet":
                self._set(payment, "ACCP")
                payment["needs_confirmation"] = True
                return payment["return_url"]
            self._set(payment, {"pending": "ACSP", "accc": "ACCC"}.get(script, "ACSC"))
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

    def _notify(self, payment, times=1):
        """Berlin Group: a POST to TPP-Notification-URI; STET: the report URL, called by the bank itself."""
        url = payment["notification_url"]
        if not url:
            return
        for _index in range(times):
            try:
                if self.standard == "berlin_group":
                    response = requests.post(url, json={"paymentId": payment["id"],
                                                        "transactionStatus": payment["status"]}, timeout=30)
                else:
                    response = requests.get(url, timeout=30)
                self.notifications.append((payment["id"], payment["status"], response.status_code))
            except requests.RequestException as error:
                self.notifications.append((payment["id"], payment["status"], repr(error)))

    def new_payment(self, product, request, end_to_end_id, amount, currency, return_url, cancel_url,
                    notification_url, remittance, debtor_iban):
        with self.lock:
            resource_id = uuid.uuid4().hex[:20]
            self.payments[resource_id] = {
                "id": resource_id, "product": product, "request": request, "end_to_end_id": end_to_end_id,
                "amount": f"{Decimal(amount):.2f}", "currency": currency, "return_url": return_url,
                "cancel_url": cancel_url, "notification_url": notification_url, "remittance": remittance,
                "debtor_iban": debtor_iban, "status": "RCVD", "history": ["RCVD"], "needs_confirmation": False,
                "script": self.scripts.popleft() if self.scripts else "settle",
            }
            return self.payments[resource_id]

    @property
    def registered_fingerprints(self):
        return {hashlib.sha256(x509.load_pem_x509_certificate(pem.encode()).public_bytes(
            serialization.Encoding.DER)).hexdigest() for pem in (self.qseal_certificates or ())}

    @property
    def certificates_by_url(self):
        return {url: x509.load_pem_x509_certificate(pem.encode())
                for url, pem in (self.qseal_certificates or {}).items()}



class _Refused(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code = status, code


class _Handler(BaseHTTPRequestHandler):
    server_version = "SandboxBank/2.0"

    def log_message(self, *args):
        return

    @property
    def bank(self):
        return self.server.bank

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def _dispatch(self, method):
        parts_of_url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method != "GET" else b""
        call = Call(method, parts_of_url.path, parts_of_url.query, dict(self.headers.items()), body)
        self.bank.calls.append(call)
        self._call = call
        self._spec_path = False
        parts = [part for part in parts_of_url.path.split("/") if part]
        try:
            if parts == ["approve"]:
                return self._approval(method, parse_qs(parts_of_url.query).get("payment", [""])[0], body)
            if self.bank.tls and not self.connection.getpeercert():
                raise _Refused(403, "CERTIFICATE_MISSING", "this API needs a client certificate (mutual TLS)")
            if parts == ["oauth", "token"] and method == "POST":
                return self._token(body)
            prefix = [part for part in API_PREFIX[self.bank.standard].split("/") if part]
            if parts[:len(prefix)] != prefix:
                raise _Refused(404, "RESOURCE_UNKNOWN", "no such endpoint")
            rest = parts[len(prefix):]
            self._spec_path = self.bank.standard == "stet" or (
                rest[:2] == ["v1", "payments"] and len(rest) in (3, 4) and rest[2] in PRODUCTS)
            self._authorize(method, body)
            route = self._stet if self.bank.standard == "stet" else self._berlin_group
            return route(method, parts[len(prefix):], body)
        except _Refused as refused:
            return self._error(refused.status, refused.code, str(refused))
        except (ValueError, KeyError, TypeError) as error:
            return self._error(400, "FORMAT_ERROR", f"bad request: {error!r}")

    # Answers ---------------------------------------------------------------------------------------

    def _send(self, status, payload=None, headers=None, content_type="application/json", check=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload or {}).encode()
        headers = {"Content-Type": content_type, **(headers or {})}
        if check:
            self._check_own_answer(check, status, headers, body)
        self._call.status = status
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status, code, message):
        # The answer names the request it answers; one whose X-Request-ID is no UUID gets a new one.
        request_id = {"X-Request-ID": self.headers["X-Request-ID"] if self._valid_request_id() else str(uuid.uuid4())}
        if self.bank.standard == "berlin_group":
            payload = {"tppMessages": [{"category": "ERROR", "code": code, "text": message[:500]}]}
        else:
            payload = {"status": status, "error": code, "message": message[:500]}
        self._send(status, payload, headers=request_id, check="error" if self._spec_path else None)

    def _check_own_answer(self, what, status, headers, body):
        """The sandbox's answers pass the specification too: a failure is kept in ``errors``."""
        try:
            if self.bank.standard == "stet":
                if what != "raw":
                    specs.check_stet(what, json.loads(body))
            elif what != "raw":
                response = requests.Response()
                response.status_code, response._content = status, body
                response.headers = CaseInsensitiveDict(headers)
                specs.check_berlin_group_response(self._prepared(), response)
        except specs.SpecError as error:
            self.bank.errors.append(f"{self._call.method} {self._call.path} → {status}: {error}")

    def _prepared(self):
        return requests.Request(self._call.method, f"{self.bank.url}{self._call.path}"
                                + (f"?{self._call.query}" if self._call.query else ""),
                                headers=self._call.headers, data=self._call.body or None).prepare()

    # Access ----------------------------------------------------------------------------------------

    def _token(self, body):
        form = {key: values[0] for key, values in parse_qs(body.decode("latin-1")).items()}
        try:
            client_id, client_secret = base64.b64decode(
                self.headers.get("Authorization", "").removeprefix("Basic ")).decode().split(":", 1)
        except ValueError:
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if form.get("grant_type") != "client_credentials" or self.bank.clients.get(client_id) != client_secret:
            return self._send(401, {"error": "invalid_client"}, check="raw")
        token = secrets.token_urlsafe(24)
        self.bank.tokens[token] = time.monotonic() + TOKEN_LIFETIME
        return self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                                "scope": form.get("scope", "")}, check="raw")

    def _valid_request_id(self):
        try:
            return bool(uuid.UUID(self.headers.get("X-Request-ID") or ""))
        except ValueError:
            return False

    def _authorize(self, method, body):
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.bank.tokens.get(token, 0) < time.monotonic():
            raise _Refused(401, "TOKEN_INVALID", "invalid or expired access token")
        if not self.headers.get("X-Request-ID"):
            raise _Refused(400, "FORMAT_ERROR", "X-Request-ID is missing")
        if self.bank.qseal_certificates is None:
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        target = self._call.path + (f"?{self._call.query}" if self._call.query else "")
        try:
            if self.bank.standard == "stet":
                http_signatures.verify_stet(method, target, headers, body, self.bank.certificates_by_url)
            else:
                http_signatures.verify_berlin_group(method, target, headers, body, self.bank.registered_fingerprints)
        except http_signatures.SignatureRefused as refused:
            raise _Refused(refused.http_status, refused.code, f"signature refused: {refused}") from None

    # STET ------------------------------------------------------------------------------------------

    def _stet(self, method, parts, body):
        if parts == ["payment-requests"] and method == "POST":
            request = self._json(body, "payment-request")
            transfer = request["creditTransferTransaction"][0]
            urls = request["supplementaryData"]
            if "REDIRECT" not in urls["acceptedAuthenticationApproach"]:
                raise _Refused(400, "FORMAT_ERROR", "this bank supports the REDIRECT approach only")
            payment = self.bank.new_payment(
                None, request, transfer["paymentId"]["endToEndId"], transfer["instructedAmount"]["amount"],
                transfer["instructedAmount"]["currency"], urls["successfulReportUrl"],
                urls.get("unsuccessfulReportUrl") or urls["successfulReportUrl"], urls["successfulReportUrl"],
                transfer["remittanceInformation"]["unstructured"][0], (request.get("debtorAccount") or {}).get("iban"),
            )
            return self._send(201, {"appliedAuthenticationApproach": "REDIRECT",
                                    "_links": {"consentApproval": {"href": self.bank.approval_url(payment)}}},
                              headers={"Location": f"{API_PREFIX['stet']}/payment-requests/{payment['id']}"},
                              check="payment-request-created")
        if len(parts) in (2, 3) and parts[0] == "payment-requests":
            payment = self.bank.payments.get(parts[1])
            if not payment:
                raise _Refused(404, "RESOURCE_UNKNOWN", "no such payment request")
            if len(parts) == 3:
                if parts[2] != "confirmation" or method != "POST":
                    raise _Refused(405, "SERVICE_INVALID", "no such operation")
                self._json(body, "confirmation-request")
                if not payment["needs_confirmation"]:
                    raise _Refused(400, "FORMAT_ERROR", "this payment request needs no confirmation")
                payment["needs_confirmation"] = False
                self.bank.settle(payment["id"])
            elif method != "GET":
                raise _Refused(405, "SERVICE_INVALID", "no such operation")
            return self._status_answer(payment, self._stet_resource(payment), "payment-request-retrieved")
        raise _Refused(404, "RESOURCE_UNKNOWN", "no such endpoint")

    def _stet_resource(self, payment):
        status = payment["status"]
        request = json.loads(json.dumps(payment["request"]))
        request.update({"resourceId": payment["id"], "paymentInformationStatus": status})
        request["supplementaryData"]["appliedAuthenticationApproach"] = "REDIRECT"
        for transfer in request["creditTransferTransaction"]:
            transfer["transactionStatus"] = status if status in ("ACSC", "RJCT", "CANC") else "PDNG"
            transfer["paymentId"]["resourceId"] = payment["id"]
        links = {"request": {"href": f"{API_PREFIX['stet']}/payment-requests/{payment['id']}"}}
        if payment["needs_confirmation"]:
            links["confirmation"] = {"href": f"{API_PREFIX['stet']}/payment-requests/{payment['id']}/confirmation",
                                     "method": "POST"}
        return {"paymentRequest": request, "_links": links}

    # Berlin Group ----------------------------------------------------------------------------------

    def _berlin_group(self, method, parts, body):
        if parts[:2] != ["v1", "payments"] or len(parts) not in (3, 4):
            raise _Refused(404, "RESOURCE_UNKNOWN", "no such endpoint")
        if parts[2] not in PRODUCTS:
            raise _Refused(404, "PRODUCT_UNKNOWN", "this bank offers no such payment product")
        self._check_berlin_group_request()
        if len(parts) == 3 and method == "POST":
            request = json.loads(body)
            payment = self.bank.new_payment(
                parts[2], request, request.get("endToEndIdentification"), request["instructedAmount"]["amount"],
                request["instructedAmount"]["currency"], self.headers["TPP-Redirect-URI"],
                self.headers.get("TPP-Nok-Redirect-URI") or self.headers["TPP-Redirect-URI"],
                self.headers.get("TPP-Notification-URI"), request.get("remittanceInformationUnstructured", ""),
                request["debtorAccount"].get("iban"),
            )
            base = f"{API_PREFIX['berlin_group']}/v1/payments/{parts[2]}/{payment['id']}"
            return self._send(201, {
                "transactionStatus": payment["status"], "paymentId": payment["id"],
                "_links": {"scaRedirect": {"href": self.bank.approval_url(payment)}, "self": {"href": base},
                           "status": {"href": f"{base}/status"}},
            }, headers={"X-Request-ID": self.headers["X-Request-ID"], "Location": base,
                        "ASPSP-SCA-Approach": "REDIRECT"}, check="berlin-group")
        if len(parts) == 4 and method == "GET":
            payment = self.bank.payments.get(parts[3])
            if not payment or payment["product"] != parts[2]:
                raise _Refused(404, "RESOURCE_UNKNOWN", "no such payment")
            return self._status_answer(payment, {**payment["request"], "transactionStatus": payment["status"]},
                                       "berlin-group")
        raise _Refused(405, "SERVICE_INVALID", "no such operation")

    def _check_berlin_group_request(self):
        try:
            specs.check_berlin_group_request(self._prepared())
        except specs.SpecError as error:
            raise _Refused(400, "FORMAT_ERROR", f"refused by the Berlin Group specification: {error}") from None

    # Shared ----------------------------------------------------------------------------------------

    def _json(self, body, schema):
        try:
            data = json.loads(body)
        except ValueError:
            raise _Refused(400, "FORMAT_ERROR", "the body is not JSON") from None
        errors = specs.stet_errors(schema, data)
        if errors:
            raise _Refused(400, "FORMAT_ERROR", f"refused by the STET specification: {'; '.join(errors)}")
        return data

    def _status_answer(self, payment, resource, check):
        script = payment["script"]
        headers = {"X-Request-ID": self.headers["X-Request-ID"]}
        if script == "garbage" and payment["status"] != "RCVD":
            return self._send(200, b"<html>maintenance</html>", headers=headers, content_type="text/html")
        if script == "unknown" and payment["status"] != "RCVD":
            text = json.dumps(resource).replace(f'"{payment["status"]}"', '"PAID"').replace('"PDNG"', '"PAID"')
            return self._send(200, text.encode(), headers=headers)
        return self._send(200, resource, headers=headers, check=check)

    def _approval(self, method, resource_id, body):
        payment = self.bank.payments.get(resource_id)
        if not payment:
            return self._send(404, b"no such payment", content_type="text/plain")
        if method == "POST":
            decision = parse_qs(body.decode("latin-1")).get("decision", [""])[0]
            target = self.bank.approve(resource_id, approve=decision == "approve")
            return self._send(303, b"", headers={"Location": target}, content_type="text/plain")
        account = f"<p>From account <strong>{html.escape(payment['debtor_iban'])}</strong>.</p>" \
            if payment["debtor_iban"] else ""
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(self.bank.name)}</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<h1>{html.escape(self.bank.name)}</h1>
<p>Transfer of <strong id="amount">{html.escape(payment['amount'])} {html.escape(payment['currency'])}</strong>,
reference <strong>{html.escape(payment['remittance'])}</strong>.</p>{account}
<form method="post"><button name="decision" value="approve" id="approve">Approve</button>
<button name="decision" value="reject" id="reject">Reject</button></form></body></html>"""
        return self._send(200, page.encode(), content_type="text/html; charset=utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standard", choices=sorted(API_PREFIX), required=True)
    parser.add_argument("--name", default="Sandbox Bank")
    parser.add_argument("--port", type=int, default=8070)
    parser.add_argument("--client-id", default="sandbox-pisp")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--certificate", help="PEM file of the QSEAL certificate whose signatures to require")
    parser.add_argument("--key-id", help="STET: the URL the signatures name the certificate by")
    args = parser.parse_args()
    certificates = None
    if args.certificate:
        pem = Path(args.certificate).read_text(encoding="ascii")
        certificates = {args.key_id: pem} if args.standard == "stet" else [pem]
    bank = SandboxBank(args.standard, args.name, {args.client_id: args.client_secret}, certificates, port=args.port)
    sys.stdout.write(f"{args.name} ({args.standard}) listening on {bank.api_url}, started "
                     f"{datetime.datetime.now():%H:%M:%S}\n")
    sys.stdout.flush()
    try:
        bank.server.serve_forever()
    except KeyboardInterrupt:
        bank.server.server_close()


if __name__ == "__main__":
    main()
