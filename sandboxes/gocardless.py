"""GoCardless on loopback: billing requests (pay now by bank, and a SEPA mandate with it), billing request
flows (the payer's pages), payments collected under a mandate, mandates, creditors, and signed webhooks.

Built from GoCardless's API reference and the official client's fixtures: every body is wrapped in its
resource's name, amounts are in cents, ids carry GoCardless's prefixes (BRQ, BRF, PM, MD), errors have
the ``{"error": {"type", "code", "message", "errors"}}`` shape, creations replayed with the same
``Idempotency-Key`` are refused with 409 ``idempotent_creation_conflict``. Each answer is checked against
the official client's resource classes (``service_shapes``) and anything it does not document is kept in
``errors``. Webhooks are signed as GoCardless signs them: ``Webhook-Signature`` = hex HMAC-SHA256 of the
raw body with the endpoint's secret.

What happens when the payer approves is scripted per billing request: ``settle`` (payment confirmed),
``pending`` (submitted, confirmed later by ``payment_event``), ``fail``, ``silent`` (no webhook), ``twice``
(every webhook sent twice); ``broken`` makes the API answer 503, garbage or slowly.

    python -m sandboxes.gocardless --port 8072 --access-token sandbox-token --webhook-secret s3cret \\
        --webhook-url http://127.0.0.1:8069/payment/pay_by_bank/1/webhook
"""

import argparse
import datetime
import hashlib
import hmac
import html
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from . import service_shapes
from .loopback import LoopbackSandbox, QuietHandler

SCRIPTS = ("settle", "pending", "fail", "silent", "twice")
BROKEN = (None, "down", "garbage", "slow")
API_VERSION = "2015-07-06"
CREDITOR = {"id": "CR000SANDBOX01", "name": "Sandbox Creditor SAS", "created_at": "2026-01-01T09:00:00.000Z",
            "country_code": "FR", "scheme_identifiers": [], "links": {}}


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _id(prefix):
    return prefix + secrets.token_hex(6).upper()


class SandboxGoCardless(LoopbackSandbox):
    """The service's state: resources by id, the scripts of the next billing requests, what it received and
    sent (``calls``, ``webhooks``), and its own answers that the official client would not read (``errors``)."""

    name = "sandbox-gocardless"
    scripts_known = SCRIPTS

    def __init__(self, access_token="sandbox-access-token", webhook_secret="sandbox-webhook-secret",
                 webhook_url=None, port=0):
        self.access_token = access_token
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.resources = {"billing_requests": {}, "billing_request_flows": {}, "payments": {}, "mandates": {}}
        self.idempotency = {}
        self.events = []
        super().__init__(_Handler, port)

    # The service's own doings ------------------------------------------------------------------------

    def approve(self, flow_id, approve=True):
        """The payer's click on GoCardless's page: the URL they go back to."""
        with self.lock:
            flow = self.resources["billing_request_flows"][flow_id]
            request = self.resources["billing_requests"][flow["links"]["billing_request"]]
            if request["status"] != "pending":
                return flow["redirect_uri"]
            script = request.pop("_script")
            if not approve:
                request["status"] = "cancelled"
                events = [self._event("billing_requests", "cancelled", {"billing_request": request["id"]})]
                self._send_events(events, script)
                return flow["exit_uri"]
            events = [self._event("billing_requests", "fulfilled", {"billing_request": request["id"]})]
            if "mandate_request" in request:
                mandate = self._mandate(request)
                request["links"]["mandate_request_mandate"] = mandate["id"]
                events.append(self._event("mandates", "active", {"mandate": mandate["id"]}))
            payment = self._payment(request, {"settle": "confirmed", "pending": "submitted", "fail": "failed",
                                              "silent": "confirmed", "twice": "confirmed"}[script])
            request["links"]["payment_request_payment"] = payment["id"]
            request["status"] = "fulfilled"
            events.append(self._event("payments", payment["status"], {"payment": payment["id"]},
                                      self._details(payment["status"])))
        self._send_events(events, script)
        return flow["redirect_uri"]

    def payment_event(self, payment_id, status, reason_code=None, notify=True):
        """A payment moves on by GoCardless's doing (confirmed, paid_out, failed, charged_back…): its event."""
        with self.lock:
            payment = self.resources["payments"][payment_id]
            payment["status"] = status
            event = self._event("payments", status, {"payment": payment_id}, self._details(status, reason_code))
        if notify:
            self._send_events([event])
        return event

    def mandate_event(self, mandate_id, status, notify=True):
        with self.lock:
            self.resources["mandates"][mandate_id]["status"] = status
            event = self._event("mandates", status, {"mandate": mandate_id}, self._details(status))
        if notify:
            self._send_events([event])
        return event

    def send_webhook(self, events, secret=None, times=1):
        """POST ``events`` to the webhook URL, signed with ``secret`` (the endpoint's by default)."""
        body = json.dumps({"events": events, "meta": {"webhook_id": _id("WB")}}).encode()
        signature = hmac.new((secret or self.webhook_secret).encode(), body, hashlib.sha256).hexdigest()
        answers = []
        for _index in range(times):
            try:
                response = requests.post(self.webhook_url, data=body, timeout=30, headers={
                    "Content-Type": "application/json", "Webhook-Signature": signature,
                    "User-Agent": "gocardless-webhook-service/1.1"})
                answers.append(response.status_code)
            except requests.RequestException as error:
                answers.append(repr(error))
        self.webhooks.append(([event["id"] for event in events], answers))
        return answers

    def _send_events(self, events, script=None):
        self.events.extend(events)
        if script != "silent" and self.webhook_url:
            self.send_webhook(events, times=2 if script == "twice" else 1)

    def _event(self, resource_type, action, links, details=None):
        return {"id": _id("EV"), "created_at": _now(), "resource_type": resource_type, "action": action,
                "links": links, "details": details or self._details(action), "metadata": {}}

    @staticmethod
    def _details(action, reason_code=None):
        causes = {"confirmed": "payment_confirmed", "paid_out": "payment_paid_out", "submitted": "payment_submitted",
                  "failed": "insufficient_funds", "charged_back": "payment_autocharged_back",
                  "active": "mandate_activated", "cancelled": "bank_account_closed", "expired": "mandate_expired",
                  "fulfilled": "billing_request_fulfilled"}
        details = {"origin": "gocardless", "cause": causes.get(action, action),
                   "description": f"The resource is now {action}."}
        if reason_code:
            details.update({"origin": "bank", "reason_code": reason_code, "scheme": "sepa_core"})
        return details

    def _mandate(self, request):
        mandate = {"id": _id("MD"), "created_at": _now(), "reference": f"SANDBOX-{secrets.token_hex(4).upper()}",
                   "scheme": "sepa_core", "status": "active", "metadata": {},
                   "next_possible_charge_date": (datetime.date.today() + datetime.timedelta(days=3)).isoformat(),
                   "payments_require_approval": False,
                   "links": {"creditor": CREDITOR["id"], "customer": request["links"]["customer"],
                             "customer_bank_account": _id("BA")}}
        self.resources["mandates"][mandate["id"]] = mandate
        return mandate

    def _payment(self, request, status, mandate_id=None, charge_date=None, amount=None, currency=None,
                 description=None, metadata=None):
        payment = {"id": _id("PM"), "created_at": _now(), "status": status,
                   "amount": amount if amount is not None else request["payment_request"]["amount"],
                   "currency": currency or request["payment_request"]["currency"],
                   "charge_date": (charge_date or datetime.date.today()).isoformat(),
                   "description": description if description is not None
                   else request["payment_request"].get("description", ""),
                   "amount_refunded": 0, "metadata": metadata or {}, "retry_if_possible": False,
                   "scheme": "sepa_core" if mandate_id else request["payment_request"].get("scheme"),
                   "links": {"creditor": CREDITOR["id"], **({"mandate": mandate_id} if mandate_id else {})}}
        self.resources["payments"][payment["id"]] = payment
        return payment


class _Refused(Exception):
    def __init__(self, status, error_type, message, errors=None):
        super().__init__(message)
        self.status, self.error_type, self.errors = status, error_type, errors or []


class _Handler(QuietHandler):
    server_version = "SandboxGoCardless/1.0"

    def _dispatch(self, method):
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
        self.sandbox.calls.append((method, url.path, dict(self.headers.items()), body))
        parts = [part for part in url.path.split("/") if part]
        try:
            if parts[:1] == ["flow"] and len(parts) == 2:
                return self._flow_page(method, parts[1], body)
            self._authorize()
            if self.sandbox.broken == "down":
                raise _Refused(503, "gocardless", "The service is temporarily unavailable")
            if self.sandbox.broken == "slow":
                time.sleep(self.sandbox.slow_seconds)
            if self.sandbox.broken == "garbage":
                return self._send(200, b"<html>Bad gateway</html>", "text/html")
            payload = json.loads(body) if body else {}
            return self._route(method, parts, payload)
        except _Refused as refused:
            return self._send_json(refused.status, {"error": {
                "type": refused.error_type, "code": refused.status, "message": str(refused),
                "documentation_url": f"https://developer.gocardless.com/api-reference#{refused.error_type}",
                "request_id": secrets.token_hex(8), "errors": refused.errors}})
        except (ValueError, KeyError, TypeError) as error:
            return self._send_json(400, {"error": {"type": "invalid_api_usage", "code": 400,
                                                   "message": f"Invalid request: {error!r}", "errors": [],
                                                   "request_id": secrets.token_hex(8)}})

    def _authorize(self):
        if self.headers.get("Authorization") != f"Bearer {self.sandbox.access_token}":
            raise _Refused(401, "invalid_api_usage", "Access token not found",
                           [{"reason": "access_token_not_found", "message": "Access token not found"}])
        if self.headers.get("GoCardless-Version") != API_VERSION:
            raise _Refused(400, "invalid_api_usage", "Version header missing or unknown",
                           [{"reason": "missing_version_header", "message": "GoCardless-Version is required"}])

    def _route(self, method, parts, payload):
        resources = self.sandbox.resources
        if method == "GET" and parts == ["creditors"]:
            return self._send_json(200, {"creditors": [CREDITOR], "meta": {"cursors": {"before": None, "after": None},
                                                                          "limit": 50}})
        if method == "GET" and len(parts) == 2 and parts[0] in resources:
            resource = resources[parts[0]].get(parts[1])
            if resource is None:
                raise _Refused(404, "invalid_api_usage", "Resource not found",
                               [{"reason": "resource_not_found", "message": "Resource not found"}])
            return self._send_json(200, {parts[0]: _public(resource)})
        if method == "POST" and len(parts) == 1 and parts[0] in ("billing_requests", "billing_request_flows",
                                                                  "payments"):
            key = self.headers.get("Idempotency-Key")
            with self.sandbox.lock:
                if key and (parts[0], key) in self.sandbox.idempotency:
                    raise _Refused(409, "invalid_state", "A resource has already been created with this key", [{
                        "reason": "idempotent_creation_conflict", "message": "A resource has already been created",
                        "links": {"conflicting_resource_id": self.sandbox.idempotency[(parts[0], key)]}}])
                created = getattr(self, f"_create_{parts[0]}")(payload[parts[0]])
                if key:
                    self.sandbox.idempotency[(parts[0], key)] = created["id"]
            return self._send_json(201, {parts[0]: _public(created)})
        raise _Refused(404, "invalid_api_usage", "Not found", [{"reason": "path_not_found", "message": "Not found"}])

    @staticmethod
    def _invalid(field, message):
        return _Refused(422, "validation_failed", "Validation failed", [
            {"field": field, "message": message, "request_pointer": f"/{field.replace('.', '/')}"}])

    def _create_billing_requests(self, data):
        payment_request = data.get("payment_request")
        if not isinstance(payment_request, dict):
            raise self._invalid("billing_requests.payment_request", "is required")
        amount = payment_request.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise self._invalid("billing_requests.payment_request.amount", "must be a positive integer (cents)")
        if payment_request.get("currency") != "EUR":
            raise self._invalid("billing_requests.payment_request.currency", "is not supported by this creditor")
        if payment_request.get("scheme") not in (None, "sepa_credit_transfer", "sepa_instant_credit_transfer"):
            raise self._invalid("billing_requests.payment_request.scheme", "is not an instant bank pay scheme")
        request = {
            "id": _id("BRQ"), "created_at": _now(), "status": "pending", "metadata": data.get("metadata") or {},
            "payment_request": {key: payment_request[key] for key in
                                ("amount", "currency", "description", "scheme", "metadata") if key in payment_request},
            "links": {"creditor": CREDITOR["id"], "customer": _id("CU"), "payment_request": _id("PRQ")},
            "actions": [{"type": "select_institution", "required": True, "status": "pending"},
                        {"type": "bank_authorisation", "required": True, "status": "pending"}],
            "fallback_enabled": False, "fallback_occurred": False,
            "_script": self.sandbox.scripts.popleft() if self.sandbox.scripts else "settle",
        }
        request["payment_request"]["links"] = {}
        mandate_request = data.get("mandate_request")
        if mandate_request is not None:
            if not isinstance(mandate_request, dict) or mandate_request.get("scheme") != "sepa_core":
                raise self._invalid("billing_requests.mandate_request.scheme", "must be sepa_core for euros")
            request["mandate_request"] = {"currency": mandate_request.get("currency", "EUR"), "scheme": "sepa_core",
                                          "verify": "recommended", "links": {},
                                          **({"description": mandate_request["description"]}
                                             if "description" in mandate_request else {})}
            request["links"]["mandate_request"] = _id("MRQ")
        self.sandbox.resources["billing_requests"][request["id"]] = request
        return request

    def _create_billing_request_flows(self, data):
        request_id = (data.get("links") or {}).get("billing_request")
        if request_id not in self.sandbox.resources["billing_requests"]:
            raise self._invalid("billing_request_flows.links.billing_request", "not found")
        for field in ("redirect_uri", "exit_uri"):
            if not str(data.get(field) or "").startswith(("http://", "https://")):
                raise self._invalid(f"billing_request_flows.{field}", "must be a URL")
        flow_id = _id("BRF")
        flow = {"id": flow_id, "created_at": _now(), "redirect_uri": data["redirect_uri"], "exit_uri": data["exit_uri"],
                "authorisation_url": f"{self.sandbox.url}/flow/{flow_id}?{urlencode({'session': 'sandbox'})}",
                "expires_at": (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7))
                .strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "auto_fulfil": True, "lock_bank_account": False, "lock_currency": False,
                "lock_customer_details": False, "show_redirect_buttons": False, "show_success_redirect_button": False,
                "skip_success_screen": False, "customer_details_captured": False,
                "language": data.get("language", "en"), "links": {"billing_request": request_id},
                **({"prefilled_customer": data["prefilled_customer"]} if "prefilled_customer" in data else {})}
        self.sandbox.resources["billing_request_flows"][flow_id] = flow
        return flow

    def _create_payments(self, data):
        mandate = self.sandbox.resources["mandates"].get((data.get("links") or {}).get("mandate"))
        if mandate is None:
            raise self._invalid("payments.links.mandate", "not found")
        if mandate["status"] not in ("active", "pending_submission", "submitted"):
            raise _Refused(422, "invalid_state", "Mandate is not active", [
                {"reason": "mandate_is_inactive", "message": "The mandate cannot collect payments"}])
        amount = data.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise self._invalid("payments.amount", "must be a positive integer (cents)")
        charge_date = datetime.date.fromisoformat(data["charge_date"])
        charge_date = max(charge_date, datetime.date.fromisoformat(mandate["next_possible_charge_date"]))
        return self.sandbox._payment(None, "pending_submission", mandate_id=mandate["id"], charge_date=charge_date,
                                     amount=amount, currency=data.get("currency"),
                                     description=data.get("description", ""), metadata=data.get("metadata"))

    # The payer's page ---------------------------------------------------------------------------------

    def _flow_page(self, method, flow_id, body):
        if flow_id not in self.sandbox.resources["billing_request_flows"]:
            return self._send(404, b"No such flow", "text/plain")
        if method == "POST":
            decision = parse_qs(body.decode()).get("decision", ["approve"])[0]
            back = self.sandbox.approve(flow_id, approve=decision == "approve")
            self.send_response(303)
            self.send_header("Location", back)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        flow = self.sandbox.resources["billing_request_flows"][flow_id]
        request = self.sandbox.resources["billing_requests"][flow["links"]["billing_request"]]
        amount = request["payment_request"]["amount"] / 100
        mandate = "<p>and authorise the SEPA direct debits of the next installments.</p>" \
            if "mandate_request" in request else ""
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>GoCardless sandbox</title></head>"
                f"<body><h1>Pay {amount:.2f} {html.escape(request['payment_request']['currency'])}</h1>"
                f"<p>{html.escape(request['payment_request'].get('description', ''))}</p>{mandate}"
                f"<form method='post'><label>Your bank <select name='bank'><option>Sandbox Bank</option></select>"
                f"</label><button name='decision' value='approve'>Pay by bank</button>"
                f"<button name='decision' value='refuse'>Cancel</button></form></body></html>")
        return self._send(200, page.encode(), "text/html; charset=utf-8")

    # Answers ------------------------------------------------------------------------------------------

    def _send_json(self, status, payload):
        envelope = next(iter(payload), None)
        if status < 400 and envelope in service_shapes.RESOURCES:
            unknown = service_shapes.unknown_keys(envelope, payload)
            if unknown:
                self.sandbox.errors.append(f"{self.command} {self.path} → {status}: not in gocardless-pro: {unknown}")
        return self._send(status, json.dumps(payload).encode(), "application/json")



def _public(resource):
    return {key: value for key, value in resource.items() if not key.startswith("_")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8072)
    parser.add_argument("--access-token", default="sandbox-access-token")
    parser.add_argument("--webhook-secret", default="sandbox-webhook-secret")
    parser.add_argument("--webhook-url")
    options = parser.parse_args(argv)
    sandbox = SandboxGoCardless(options.access_token, options.webhook_secret, options.webhook_url, options.port)
    sandbox.serve("Sandbox GoCardless")


if __name__ == "__main__":
    main()
