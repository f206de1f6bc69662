"""Pay-by-bank core: status mapping, signatures, and both adapters against the sandbox bank over HTTP."""

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from payment_initiation import signing
from payment_initiation.adapters import (
    TOKENS,
    BankError,
    BerlinGroupAdapter,
    Credentials,
    PaymentOrder,
    StetAdapter,
    parse_notification,
    stet_payment_request,
)
from payment_initiation.sandbox_bank import SandboxBank, make_identity, make_tls_files, server_tls_context
from payment_initiation.statuses import UnknownStatus, is_final, moves_forward, outcome

SECRET = "notify-secret"


@pytest.fixture(scope="module")
def identity():
    return make_identity()


@pytest.fixture
def bank(identity):
    sandbox = SandboxBank("pisp", "client-secret", SECRET, certificate=identity[1]).start()
    yield sandbox
    sandbox.stop()


class Notifications:
    """A loopback receiver for the bank's notifications."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((body, self.headers[signing.NOTIFICATION_HEADER]))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"


@pytest.fixture
def notifications():
    receiver = Notifications()
    yield receiver
    receiver.server.shutdown()


def order(notifications, **overrides):
    values = {
        "end_to_end_id": "INV-2026-00042-1", "amount": Decimal("1234.50"), "currency": "EUR",
        "creditor_name": "Ma Société SAS", "creditor_iban": "FR7630006000011234567890189",
        "remittance": "INV/2026/00042", "return_url": "http://odoo.example/return",
        "cancel_url": "http://odoo.example/cancel", "notification_url": notifications.url,
    }
    return PaymentOrder(**{**values, **overrides})


def adapter(kind, bank, identity, **credentials):
    TOKENS.drop((f"{bank.url}/oauth/token", credentials.get("client_id", "pisp")))
    values = {"client_id": "pisp", "client_secret": "client-secret", "token_url": f"{bank.url}/oauth/token",
              "signing_key": identity[0], "key_id": "qseal-1", "certificate": identity[1], **credentials}
    base = f"{bank.url}/stet/v1" if kind is StetAdapter else f"{bank.url}/berlin-group"
    return kind(base, Credentials(**values))


def test_statuses_map_to_outcomes_and_never_move_backwards():
    assert [outcome(code) for code in ("RCVD", "ACSP", "ACSC", "ACCC", "RJCT", "CANC")] == [
        "pending", "pending", "done", "done", "error", "cancel"]
    assert moves_forward(None, "RCVD") and moves_forward("ACTC", "ACSP") and moves_forward("ACSP", "ACSC")
    assert not moves_forward("ACSP", "ACTC")
    assert not moves_forward("ACSC", "RJCT") and not moves_forward("RJCT", "ACSC")
    assert is_final("CANC") and not is_final("ACSP")
    with pytest.raises(UnknownStatus):
        outcome("PAID")


def test_request_signature_round_trip_and_tampering(identity):
    key, certificate = identity
    headers = {"X-Request-ID": "abc", "Date": "Wed, 25 Nov 2026 10:00:00 GMT"}
    body = b'{"amount": "10.00"}'
    names = ("(request-target)", "digest", "x-request-id", "date")
    signed = {**headers, **signing.sign_request("POST", "/stet/v1/payment-requests", headers, body, key, "k", names)}
    assert signed["Digest"] == signing.digest(body) and signed["Signature"].startswith('keyId="k"')
    signing.verify_request("POST", "/stet/v1/payment-requests", signed, body, certificate)
    with pytest.raises(signing.SignatureError, match="Digest"):
        signing.verify_request("POST", "/stet/v1/payment-requests", signed, b'{"amount": "99.00"}', certificate)
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify_request("POST", "/stet/v1/other", signed, body, certificate)
    other_certificate = make_identity()[1]
    with pytest.raises(signing.SignatureError):
        signing.verify_request("POST", "/stet/v1/payment-requests", signed, body, other_certificate)


def test_notification_mac_checks_secret_body_and_age():
    body = b'{"status": "ACSC"}'
    header = signing.sign_notification(body, SECRET, timestamp=1_000_000)
    signing.verify_notification(body, header, SECRET, now=1_000_010)
    for bad_body, bad_header, secret, now in (
        (b'{"status": "RJCT"}', header, SECRET, 1_000_010),
        (body, header, "other", 1_000_010),
        (body, header, SECRET, 1_000_000 + 3600),
        (body, "garbage", SECRET, 1_000_010),
        (body, None, SECRET, 1_000_010),
        (body, header, "", 1_000_010),
    ):
        with pytest.raises(signing.SignatureError):
            signing.verify_notification(bad_body, bad_header, secret, now=now)


def test_stet_message_carries_amount_iban_reference_and_urls(notifications):
    message = stet_payment_request(order(notifications, instant=True))
    transfer = message["creditTransferTransaction"][0]
    assert transfer["instructedAmount"] == {"currency": "EUR", "amount": "1234.50"}
    assert transfer["paymentId"]["endToEndId"] == "INV-2026-00042-1"
    assert transfer["remittanceInformation"]["unstructured"] == ["INV/2026/00042"]
    assert message["beneficiary"]["creditorAccount"]["iban"] == "FR7630006000011234567890189"
    assert message["paymentTypeInformation"]["localInstrument"] == "INST"
    assert message["supplementaryData"]["successfulReportUrl"] == "http://odoo.example/return"


@pytest.mark.parametrize("kind", [StetAdapter, BerlinGroupAdapter])
def test_approved_payment_is_notified_signed_and_reads_settled(kind, bank, identity, notifications):
    api = adapter(kind, bank, identity)
    initiated = api.initiate(order(notifications))
    assert initiated.status == "RCVD" and initiated.approval_url.startswith(bank.url)
    page = requests.get(initiated.approval_url, timeout=5)
    assert "1234.50 EUR" in page.text
    answer = requests.post(initiated.approval_url, data={"decision": "approve"}, allow_redirects=False, timeout=5)
    assert answer.headers["Location"] == "http://odoo.example/return"
    (body, header), = notifications.received
    signing.verify_notification(body, header, SECRET)
    notified = parse_notification(body)
    assert (notified.status, notified.amount, notified.end_to_end_id) == ("ACSC", Decimal("1234.50"),
                                                                          "INV-2026-00042-1")
    assert api.status(initiated.resource_id).status == "ACSC"
    request_ids = [request_id for _method, path, request_id in bank.calls if "/v1/" in path]
    assert len(request_ids) == 2 and len(set(request_ids)) == 2


@pytest.mark.parametrize("kind", [StetAdapter, BerlinGroupAdapter])
def test_rejection_goes_back_to_the_cancel_url(kind, bank, identity, notifications):
    api = adapter(kind, bank, identity)
    initiated = api.initiate(order(notifications))
    answer = requests.post(initiated.approval_url, data={"decision": "reject"}, allow_redirects=False, timeout=5)
    assert answer.headers["Location"] == "http://odoo.example/cancel"
    assert api.status(initiated.resource_id).status == "RJCT"


def test_stet_confirmation_where_the_bank_asks_for_it(bank, identity, notifications):
    bank.script("confirm")
    api = adapter(StetAdapter, bank, identity)
    initiated = api.initiate(order(notifications))
    bank.approve(initiated.resource_id)
    status = api.status(initiated.resource_id)
    assert (status.status, status.needs_confirmation) == ("ACCP", True)
    assert not notifications.received
    confirmed = api.confirm(initiated.resource_id)
    assert (confirmed.status, confirmed.needs_confirmation) == ("ACSC", False)
    assert not notifications.received, "the confirmation's answer is the news: no notification follows"


def test_token_is_cached_and_renewed_after_the_bank_forgets_it(bank, identity, notifications):
    api = adapter(BerlinGroupAdapter, bank, identity)
    first = api.initiate(order(notifications))
    api.status(first.resource_id)
    assert [path for _m, path, _r in bank.calls].count("/oauth/token") == 1
    bank.tokens.clear()
    assert api.status(first.resource_id).status == "RCVD"
    assert [path for _m, path, _r in bank.calls].count("/oauth/token") == 2


def test_bad_credentials_and_bad_signatures_are_refused(bank, identity, notifications):
    with pytest.raises(BankError) as refused:
        adapter(StetAdapter, bank, identity, client_secret="wrong").initiate(order(notifications))
    assert refused.value.http_status == 401
    impostor_key, _impostor_certificate = make_identity()
    with pytest.raises(BankError, match="signature refused"):
        adapter(StetAdapter, bank, identity, signing_key=impostor_key).initiate(order(notifications))
    with pytest.raises(BankError, match="signature refused"):
        adapter(BerlinGroupAdapter, bank, identity, signing_key=None).initiate(order(notifications))
    assert not bank.payments


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_bank(identity, tls_files):
    sandbox = SandboxBank("pisp", "client-secret", SECRET, certificate=identity[1],
                          tls=server_tls_context(tls_files)).start()
    yield sandbox
    sandbox.stop()


@pytest.mark.parametrize("kind", [StetAdapter, BerlinGroupAdapter])
def test_mutual_tls_with_the_qwac_reaches_the_bank(kind, tls_bank, identity, tls_files, notifications):
    assert tls_bank.url.startswith("https://")
    api = adapter(kind, tls_bank, identity, tls_cert=(str(tls_files["client_cert"]), str(tls_files["client_key"])),
                  ca_bundle=str(tls_files["ca"]))
    initiated = api.initiate(order(notifications))
    assert api.status(initiated.resource_id).status == "RCVD"
    page = requests.get(initiated.approval_url, timeout=5, verify=str(tls_files["ca"]))
    assert "1234.50 EUR" in page.text, "the payer's approval page asks for no client certificate"


def test_mutual_tls_refuses_calls_without_the_qwac_or_with_an_unknown_one(tls_bank, identity, tls_files, tmp_path,
                                                                           notifications):
    with pytest.raises(BankError) as refused:
        adapter(StetAdapter, tls_bank, identity, ca_bundle=str(tls_files["ca"])).initiate(order(notifications))
    assert refused.value.http_status == 403
    stranger = make_tls_files(tmp_path)
    with pytest.raises(BankError, match="cannot be reached"):
        adapter(StetAdapter, tls_bank, identity, ca_bundle=str(tls_files["ca"]),
                tls_cert=(str(stranger["client_cert"]), str(stranger["client_key"]))).initiate(order(notifications))
    assert not tls_bank.payments


def test_a_bank_certificate_from_an_unknown_authority_is_refused(tls_bank, identity, tls_files, notifications):
    api = adapter(StetAdapter, tls_bank, identity, tls_cert=(str(tls_files["client_cert"]),
                                                              str(tls_files["client_key"])))
    with pytest.raises(BankError, match="cannot be reached.*CERTIFICATE_VERIFY_FAILED"):
        api.initiate(order(notifications))
    assert not tls_bank.payments


def test_unreachable_bank_is_a_bank_error(identity, notifications):
    api = StetAdapter("http://127.0.0.1:9/stet/v1", Credentials("pisp", "s", "http://127.0.0.1:9/oauth/token"))
    with pytest.raises(BankError, match="cannot be reached"):
        api.initiate(order(notifications))


@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b'{"resourceId": "x", "status": "PAID", "amount": "1",'
                                  b' "currency": "EUR", "endToEndId": "r"}', b'{"amount": "abc"}', b"\xff\xfe",
                                  b'{"resourceId": "x", "status": "ACSC", "amount": "1e999", "currency": "EUR",'
                                  b' "endToEndId": "r"}',
                                  b'{"resourceId": "x", "status": "ACSC", "amount": "NaN", "currency": "EUR",'
                                  b' "endToEndId": "r"}',
                                  b'{"resourceId": "x", "status": "ACSC", "amount": "1", "currency": "EUR",'
                                  b' "endToEndId": "r\\u0000"}',
                                  b'{"resourceId": 7, "status": "ACSC", "amount": "1", "currency": "EUR",'
                                  b' "endToEndId": "r"}'])
def test_unreadable_notifications_are_bank_errors(body):
    with pytest.raises(BankError) as error:
        parse_notification(body)
    assert error.value.http_status == 400


def test_scripted_twice_and_pending_then_settled(bank, identity, notifications):
    bank.script("twice", "pending")
    api = adapter(StetAdapter, bank, identity)
    twice = api.initiate(order(notifications))
    bank.approve(twice.resource_id)
    assert [json.loads(body)["status"] for body, _h in notifications.received] == ["ACSC", "ACSC"]
    pending = api.initiate(order(notifications, end_to_end_id="INV-2"))
    bank.approve(pending.resource_id)
    assert api.status(pending.resource_id).status == "ACSP"
    bank.settle(pending.resource_id)
    assert api.status(pending.resource_id).status == "ACSC"


def test_scripted_late_notification_arrives_after_the_payer_is_back(bank, identity, notifications):
    bank.script("late")
    bank.late_delay = 0.3
    api = adapter(StetAdapter, bank, identity)
    initiated = api.initiate(order(notifications))
    bank.approve(initiated.resource_id)
    assert not notifications.received, "the payer is sent back before the bank says anything"
    deadline = time.monotonic() + 5
    while not notifications.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [json.loads(body)["status"] for body, _h in notifications.received] == ["ACSC"]
