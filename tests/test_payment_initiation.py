"""Pay-by-bank core against the specifications: the STET and Berlin Group adapters talk to the sandbox
bank over HTTP, and every request they send and every answer they get is checked against the official
Berlin Group OpenAPI file (openapi-core) or the STET v1.6 JSON Schemas, independently of both."""

import base64
import datetime
import hashlib
import json
import re
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from payment_initiation import berlin_group, directory, signing, stet
from payment_initiation.base import BankError, Payer, PaymentOrder
from payment_initiation.statuses import UnknownStatus, is_final, moves_forward, outcome
from payment_initiation.transport import TOKENS, Credentials

from sandboxes import specs
from sandboxes.bank import SandboxBank
from sandboxes.certificates import make_identity, make_tls_files, server_tls_context

KEY_URL = "https://pisp.example/qseal.pem"
PAYER = Payer(ip_address="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
ADAPTERS = {"stet": stet.StetAdapter, "berlin_group": berlin_group.BerlinGroupAdapter}


class RecordingSession(requests.Session):
    """A requests session that keeps every exchange, for checking both sides against the specification."""

    def __init__(self):
        super().__init__()
        self.exchanges = []

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        self.exchanges.append((request, response))
        return response

    def api_exchanges(self):
        return [(request, response) for request, response in self.exchanges if "/oauth/" not in request.url]


@pytest.fixture(scope="module")
def identity():
    return make_identity()


def sandbox(standard, identity, **options):
    certificates = {KEY_URL: identity[1]} if standard == "stet" else [identity[1]]
    return SandboxBank(standard, f"Sandbox {standard}", {"pisp": "client-secret"}, certificates, **options).start()


@pytest.fixture(params=["stet", "berlin_group"])
def bank(request, identity):
    bank = sandbox(request.param, identity)
    yield bank
    bank.stop()
    assert not bank.errors, "the sandbox's own answers pass the specification"


@pytest.fixture
def stet_bank(identity):
    bank = sandbox("stet", identity)
    yield bank
    bank.stop()
    assert not bank.errors


@pytest.fixture
def berlin_group_bank(identity):
    bank = sandbox("berlin_group", identity)
    yield bank
    bank.stop()
    assert not bank.errors


class Notifications:
    """A loopback receiver for the bank's notifications (Berlin Group) and callbacks (STET)."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(("POST", self.path, self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def do_GET(self):
                received.append(("GET", self.path, b""))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def notifications():
    receiver = Notifications()
    yield receiver
    receiver.server.shutdown()


def order(notifications, **overrides):
    values = {
        "end_to_end_id": "INV/2026/00042-1", "amount": Decimal("1234.50"), "currency": "EUR",
        "creditor_name": "Ma Société SAS", "creditor_iban": "FR7630006000011234567890189",
        "creditor_bic": "AGRIFRPP882", "remittance": "INV/2026/00042",
        "return_url": f"{notifications.url}/return?reference=INV%2F2026%2F00042-1&access_token=abc",
        "cancel_url": f"{notifications.url}/return?reference=INV%2F2026%2F00042-1&access_token=abc",
        "notification_url": f"{notifications.url}/notify?reference=INV%2F2026%2F00042-1&access_token=abc",
        "payer": PAYER, "debtor_iban": "DE89370400440532013000",
    }
    return PaymentOrder(**{**values, **overrides})


def adapter(bank, identity, session=None, **credentials):
    TOKENS.drop((bank.token_url, credentials.get("client_id", "pisp")))
    values = {"client_id": "pisp", "client_secret": "client-secret", "token_url": bank.token_url,
              "signing_key": identity[0], "signing_certificate": identity[1], "signing_certificate_url": KEY_URL,
              **credentials}
    return ADAPTERS[bank.standard](bank.api_url, Credentials(**values), session=session)


def check_against_the_spec(bank, session):
    """Every API request sent and every answer received, validated against the standard's own files."""
    exchanges = session.api_exchanges()
    assert exchanges
    for request, response in exchanges:
        if bank.standard == "berlin_group":
            specs.check_berlin_group_request(request)
            specs.check_berlin_group_response(request, response)
            continue
        path = request.path_url.split("?")[0]
        if request.method == "POST" and path.endswith("/payment-requests"):
            specs.check_stet("payment-request", json.loads(request.body))
            specs.check_stet("payment-request-created", response.json())
        elif request.method == "POST" and path.endswith("/confirmation"):
            specs.check_stet("confirmation-request", json.loads(request.body))
            specs.check_stet("payment-request-retrieved", response.json())
        else:
            assert request.method == "GET"
            specs.check_stet("payment-request-retrieved", response.json())
    return exchanges


# Statuses ------------------------------------------------------------------------------------------

def test_only_a_final_success_settles_and_each_standard_has_its_own_codes():
    assert [outcome(code) for code in ("RCVD", "ACSP", "ACSC", "ACCC", "RJCT", "CANC")] == [
        "pending", "pending", "done", "done", "error", "cancel"]
    assert outcome("ACCC", "berlin_group") == "done", "BG: settled on the creditor's account"
    with pytest.raises(UnknownStatus):
        outcome("ACCC", "stet")  # STET Part 2 §4.1 has no ACCC
    for code in ("ACFC", "PATC"):
        assert outcome(code, "berlin_group") == "pending"
        with pytest.raises(UnknownStatus):
            outcome(code, "stet")
    assert outcome("ACWP", "stet") == "pending", "accepted without posting is not settled"
    with pytest.raises(UnknownStatus):
        outcome("PAID")
    assert moves_forward(None, "RCVD") and moves_forward("ACTC", "ACSP") and moves_forward("ACSP", "ACSC")
    assert not moves_forward("ACSP", "ACTC")
    assert not moves_forward("ACSC", "RJCT") and not moves_forward("RJCT", "ACSC")
    assert is_final("CANC") and not is_final("ACSP")


# Signatures and certificates -----------------------------------------------------------------------

def test_berlin_group_key_id_names_the_certificate_by_serial_and_issuer(identity):
    certificate = x509.load_pem_x509_certificate(identity[1].encode())
    key_id = signing.berlin_group_key_id(identity[1])
    assert key_id == (f"SN={certificate.serial_number:X},"
                      "CA=CN=Sandbox%20QTSP%20CA%201,O=Sandbox%20Trust%20Services%5C,%20SAS,C=FR")
    assert "Sandbox PISP" not in key_id, "the issuer, not the subject"


def test_tpp_signature_certificate_is_base64_of_the_der_not_of_the_pem(identity):
    header = signing.certificate_header(identity[1])
    der = base64.b64decode(header)
    assert der == x509.load_pem_x509_certificate(identity[1].encode()).public_bytes(serialization.Encoding.DER)
    assert not der.startswith(b"-----BEGIN")


@pytest.mark.parametrize("standard", ["stet", "berlin_group"])
def test_signature_covers_what_the_standard_requires_and_verifies(standard, identity, notifications):
    session = RecordingSession()
    bank = sandbox(standard, identity)
    try:
        adapter(bank, identity, session=session).initiate(order(notifications))
    finally:
        bank.stop()
    (request, _response), = session.api_exchanges()
    fields = dict(re.findall(r'(\w+)="([^"]*)"', request.headers["Signature"]))
    covered = fields["headers"].split()
    if standard == "berlin_group":
        assert {"digest", "x-request-id", "date", "tpp-redirect-uri"} <= set(covered)
        assert fields["keyId"].startswith("SN=")
    else:
        assert {"(request-target)", "digest", "psu-ip-address", "psu-user-agent"} <= set(covered)
        assert fields["keyId"] == KEY_URL
    assert request.headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(request.body).digest()).decode()
    lines = [f"(request-target): post {request.path_url}" if name == "(request-target)"
             else f"{name}: {request.headers[name]}" for name in covered]
    public_key = x509.load_pem_x509_certificate(identity[1].encode()).public_key()
    public_key.verify(base64.b64decode(fields["signature"]), "\n".join(lines).encode(), padding.PKCS1v15(),
                      hashes.SHA256())


def test_the_payer_address_and_browser_go_to_the_bank(bank, identity, notifications):
    adapter(bank, identity).initiate(order(notifications))
    call = next(call for call in bank.calls if call.method == "POST" and "/oauth/" not in call.path)
    headers = {name.lower(): value for name, value in call.headers.items()}
    assert headers["psu-ip-address"] == "203.0.113.7"
    assert headers["psu-user-agent"].startswith("Mozilla/5.0")


# Conformance ---------------------------------------------------------------------------------------

def test_every_request_and_answer_passes_the_specification(bank, identity, notifications):
    session = RecordingSession()
    api = adapter(bank, identity, session=session)
    initiated = api.initiate(order(notifications))
    bank.approve(initiated.resource_id)
    assert api.status(initiated.resource_id, payer=PAYER).status == "ACSC"
    assert len(check_against_the_spec(bank, session)) == 2


def test_instant_transfers_pass_the_specification_too(bank, identity, notifications):
    session = RecordingSession()
    api = adapter(bank, identity, session=session)
    initiated = api.initiate(order(notifications, instant=True))
    api.status(initiated.resource_id, instant=True)
    check_against_the_spec(bank, session)
    if bank.standard == "stet":
        assert json.loads(session.api_exchanges()[0][0].body)["paymentTypeInformation"]["localInstrument"] == "INST"
    else:
        assert "/instant-sepa-credit-transfers" in session.api_exchanges()[0][0].url


def test_stet_confirmation_passes_the_specification(stet_bank, identity, notifications):
    stet_bank.script("confirm")
    session = RecordingSession()
    api = adapter(stet_bank, identity, session=session)
    initiated = api.initiate(order(notifications))
    stet_bank.approve(initiated.resource_id)
    status = api.status(initiated.resource_id)
    assert (status.status, status.needs_confirmation) == ("ACCP", True)
    confirmed = api.confirm(initiated.resource_id)
    assert (confirmed.status, confirmed.needs_confirmation) == ("ACSC", False)
    assert len(check_against_the_spec(stet_bank, session)) == 3


def test_stet_payment_request_carries_what_part_2_asks(notifications):
    message = stet.payment_request(order(notifications, instant=True),
                                   now=datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.timezone.utc))
    assert specs.stet_errors("payment-request", message) == []
    assert message["requestedExecutionDate"] == "2026-12-01T09:30:00+00:00"
    assert message["paymentTypeInformation"] == {"serviceLevel": "SEPA", "localInstrument": "INST",
                                                 "categoryPurpose": "DVPM"}
    assert message["beneficiary"] == {"creditor": {"name": "Ma Société SAS"},
                                      "creditorAccount": {"iban": "FR7630006000011234567890189"},
                                      "creditorAgent": {"bicFi": "AGRIFRPP882"}}
    assert message["initiatingParty"] == {"name": "Ma Société SAS"}
    assert message["debtorAccount"] == {"iban": "DE89370400440532013000"}
    transfer, = message["creditTransferTransaction"]
    assert transfer["paymentId"] == {"instructionId": "INV/2026/00042-1", "endToEndId": "INV/2026/00042-1"}
    assert transfer["remittanceInformation"] == {"unstructured": ["INV/2026/00042"]}
    assert message["supplementaryData"]["acceptedAuthenticationApproach"] == ["REDIRECT"]
    assert message["supplementaryData"]["successfulReportUrl"].endswith("access_token=abc")


def test_stet_schema_refuses_what_part_2_refuses(notifications):
    valid = stet.payment_request(order(notifications))
    for broken, reason in (
        ({key: value for key, value in valid.items() if key != "requestedExecutionDate"}, "requestedExecutionDate"),
        ({**valid, "paymentTypeInformation": {"localInstrument": "INST"}}, "serviceLevel"),
        ({**valid, "beneficiary": {"creditorAccount": {"iban": "FR7630006000011234567890189"}}}, "creditor"),
        ({**valid, "resourceId": "set-by-the-bank"}, "resourceId"),
        ({**valid, "creditTransferTransaction": [{**valid["creditTransferTransaction"][0],
                                                  "instructedAmount": {"currency": "EUR", "amount": 12.5}}]}, "amount"),
        ({**valid, "creditTransferTransaction": [{**valid["creditTransferTransaction"][0],
                                                  "paymentId": {"endToEndId": "x" * 36, "instructionId": "x"}}]},
         "endToEndId"),
    ):
        errors = specs.stet_errors("payment-request", broken)
        assert errors and any(reason in error for error in errors), (reason, errors)


def test_the_stet_sandbox_refuses_what_the_schema_refuses(stet_bank, identity, notifications):
    body = stet.payment_request(order(notifications))
    del body["requestedExecutionDate"]
    with pytest.raises(BankError) as refused:
        adapter(stet_bank, identity).client.call("POST", "/payment-requests", body, PAYER.headers())
    assert refused.value.http_status == 400
    assert "'requestedExecutionDate' is a required property" in str(refused.value)
    assert not stet_bank.payments


def test_berlin_group_file_refuses_a_payment_without_the_payers_account(berlin_group_bank, identity,
                                                                        notifications):
    """The issue's finding: without debtorAccount the official file refuses the initiation, and so does
    the sandbox bank; the adapter never sends one."""
    body = berlin_group.payment_initiation(order(notifications))
    del body["debtorAccount"]
    client = adapter(berlin_group_bank, identity).client
    with pytest.raises(BankError) as refused:
        client.call("POST", "/v1/payments/sepa-credit-transfers", body, {
            "PSU-IP-Address": "203.0.113.7", "TPP-Redirect-URI": "https://odoo.example/return"})
    assert refused.value.http_status == 400
    assert "'debtorAccount' is a required property" in str(refused.value)
    assert not berlin_group_bank.payments
    with pytest.raises(ValueError, match="debtorAccount"):
        adapter(berlin_group_bank, identity).initiate(order(notifications, debtor_iban=None))


def test_berlin_group_file_refuses_a_bad_request_id_and_a_missing_payer_address(berlin_group_bank, identity,
                                                                               notifications):
    body = berlin_group.payment_initiation(order(notifications))
    client = adapter(berlin_group_bank, identity).client
    with pytest.raises(BankError, match="PSU-IP-Address"):
        client.call("POST", "/v1/payments/sepa-credit-transfers", body, {"TPP-Redirect-URI": "https://x.example/r"})
    with pytest.raises(BankError) as refused:
        client.call("POST", "/v1/payments/sepa-credit-transfers", body,
                    {"PSU-IP-Address": "203.0.113.7", "X-Request-ID": "not-a-uuid"})
    assert refused.value.http_status == 400
    assert not berlin_group_bank.payments


# Flows ---------------------------------------------------------------------------------------------

def test_approval_link_keeps_its_query_string_and_the_payer_comes_back(bank, identity, notifications):
    api = adapter(bank, identity)
    initiated = api.initiate(order(notifications))
    assert initiated.approval_url.startswith(f"{bank.url}/approve?payment=") and "&origin=tpp" in initiated.approval_url
    page = requests.get(initiated.approval_url, timeout=5)
    assert "1234.50 EUR" in page.text
    assert "DE89370400440532013000" in page.text, "the payer's account, as sent"
    answer = requests.post(initiated.approval_url, data={"decision": "approve"}, allow_redirects=False, timeout=5)
    assert answer.headers["Location"] == order(notifications).return_url
    assert api.status(initiated.resource_id).status == "ACSC"


def test_the_bank_tells_odoo_of_the_settlement(bank, identity, notifications):
    initiated = adapter(bank, identity).initiate(order(notifications))
    bank.approve(initiated.resource_id)
    if bank.standard == "berlin_group":
        (method, path, _body), = notifications.received
        assert (method, path) == ("POST", "/notify?reference=INV%2F2026%2F00042-1&access_token=abc")
    else:
        (method, path, _body), = notifications.received
        assert (method, path) == ("GET", "/return?reference=INV%2F2026%2F00042-1&access_token=abc")


def test_rejection_goes_back_to_the_cancel_url(bank, identity, notifications):
    api = adapter(bank, identity)
    initiated = api.initiate(order(notifications, cancel_url=f"{notifications.url}/cancel"))
    answer = requests.post(initiated.approval_url, data={"decision": "reject"}, allow_redirects=False, timeout=5)
    assert answer.headers["Location"] == f"{notifications.url}/cancel"
    assert api.status(initiated.resource_id).status == "RJCT"


def test_berlin_group_settlement_on_the_creditors_account_reads_accc(berlin_group_bank, identity, notifications):
    berlin_group_bank.script("accc")
    api = adapter(berlin_group_bank, identity)
    initiated = api.initiate(order(notifications))
    berlin_group_bank.approve(initiated.resource_id)
    status = api.status(initiated.resource_id)
    assert (status.status, status.amount, status.currency) == ("ACCC", Decimal("1234.50"), "EUR")


def test_token_is_cached_and_renewed_after_the_bank_forgets_it(bank, identity, notifications):
    api = adapter(bank, identity)
    first = api.initiate(order(notifications))
    api.status(first.resource_id)
    assert [call.path for call in bank.calls].count("/oauth/token") == 1
    bank.tokens.clear()
    assert api.status(first.resource_id).status == "RCVD"
    assert [call.path for call in bank.calls].count("/oauth/token") == 2


def test_scripted_twice_and_pending_then_settled(stet_bank, identity, notifications):
    stet_bank.script("twice", "pending")
    api = adapter(stet_bank, identity)
    twice = api.initiate(order(notifications))
    stet_bank.approve(twice.resource_id)
    assert len(notifications.received) == 2
    pending = api.initiate(order(notifications, end_to_end_id="INV-2"))
    stet_bank.approve(pending.resource_id)
    assert api.status(pending.resource_id).status == "ACSP", "the request's status, more than the PDNG transaction"
    stet_bank.settle(pending.resource_id)
    assert api.status(pending.resource_id).status == "ACSC"


def test_scripted_late_notification_arrives_after_the_payer_is_back(berlin_group_bank, identity, notifications):
    berlin_group_bank.script("late")
    berlin_group_bank.late_delay = 0.3
    initiated = adapter(berlin_group_bank, identity).initiate(order(notifications))
    berlin_group_bank.approve(initiated.resource_id)
    assert not notifications.received, "the payer is sent back before the bank says anything"
    deadline = time.monotonic() + 5
    while not notifications.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(notifications.received) == 1


# Refusals and garbage ------------------------------------------------------------------------------

def test_bad_credentials_and_bad_signatures_are_refused(bank, identity, notifications):
    with pytest.raises(BankError) as refused:
        adapter(bank, identity, client_secret="wrong").initiate(order(notifications))
    assert refused.value.http_status == 401
    impostor_key, impostor_certificate = make_identity()
    with pytest.raises(BankError, match="signature refused"):
        adapter(bank, identity, signing_key=impostor_key).initiate(order(notifications))
    with pytest.raises(BankError, match="signature refused"):
        adapter(bank, identity, signing_key=None).initiate(order(notifications))
    if bank.standard == "berlin_group":
        with pytest.raises(BankError, match="not registered"):
            adapter(bank, identity, signing_key=impostor_key,
                    signing_certificate=impostor_certificate).initiate(order(notifications))
    else:
        with pytest.raises(BankError, match="no QSEAL certificate is known"):
            adapter(bank, identity, signing_certificate_url="https://elsewhere.example/q.pem").initiate(
                order(notifications))
    assert not bank.payments


@pytest.mark.parametrize("signature", [
    "garbage", 'keyId="x"', 'keyId="a",keyId="b",signature="c"', 'keyId="é",signature="abc"',
    'keyId="SN=ZZ,CA=x",algorithm="rsa-sha256",headers="digest",signature="!!!"', "",
])
def test_malformed_or_non_ascii_signatures_get_a_4xx_never_a_500(bank, identity, signature):
    client = adapter(bank, identity).client
    path = "/payment-requests" if bank.standard == "stet" else "/v1/payments/sepa-credit-transfers"
    headers = {"Authorization": f"Bearer {client.token()}", "X-Request-ID": "99391c7e-ad88-49ec-a2ad-99ddcb1f7721",
               "Content-Type": "application/json", "Digest": signing.digest(b"{}"), "PSU-IP-Address": "203.0.113.7",
               "TPP-Signature-Certificate": signing.certificate_header(identity[1])}
    answer = requests.post(client.base_url + path, data=b"{}", timeout=5,
                           headers={**headers, "Signature": signature.encode("utf-8")})
    assert 400 <= answer.status_code < 500, answer.text
    assert not bank.payments


@pytest.mark.parametrize("script", ["garbage", "unknown"])
def test_a_status_answer_that_is_garbage_or_an_unknown_code_is_a_bank_error(bank, identity, notifications,
                                                                            script):
    bank.script(script)
    api = adapter(bank, identity)
    initiated = api.initiate(order(notifications))
    bank.approve(initiated.resource_id)
    with pytest.raises(BankError, match="not JSON" if script == "garbage" else "PAID"):
        api.status(initiated.resource_id)


class Garbage(BaseHTTPRequestHandler):
    """A 'bank' whose token endpoint and API answer nonsense."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = {"/no-token/oauth/token": b'{"token_type": "Bearer"}', "/html/oauth/token": b"<html>",
                "/list/oauth/token": b"[]"}.get(self.path, b'{"access_token": "t", "expires_in": 60}')
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return


@pytest.mark.parametrize("prefix,reason", [("no-token", "no usable access token"),
                                           ("html", "no usable access token"), ("list", "no usable access token"),
                                           ("api", "no payment request location")])
def test_a_bank_answering_garbage_is_a_bank_error(prefix, reason, notifications):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{prefix}"
    try:
        api = stet.StetAdapter(url, Credentials("pisp", "s", f"{url}/oauth/token"))
        with pytest.raises(BankError, match=reason):
            api.initiate(order(notifications))
    finally:
        server.shutdown()


def test_unreachable_bank_is_a_bank_error(notifications):
    api = stet.StetAdapter("http://127.0.0.1:9/stet/v1", Credentials("pisp", "s", "http://127.0.0.1:9/oauth/token"))
    with pytest.raises(BankError, match="cannot be reached"):
        api.initiate(order(notifications))


# Mutual TLS ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=["stet", "berlin_group"])
def tls_bank(request, identity, tls_files):
    bank = sandbox(request.param, identity, tls=server_tls_context(tls_files))
    yield bank
    bank.stop()


def test_mutual_tls_with_the_qwac_reaches_the_bank(tls_bank, identity, tls_files, notifications):
    assert tls_bank.url.startswith("https://")
    api = adapter(tls_bank, identity, tls_cert=(str(tls_files["client_cert"]), str(tls_files["client_key"])),
                  ca_bundle=str(tls_files["ca"]))
    initiated = api.initiate(order(notifications))
    assert api.status(initiated.resource_id).status == "RCVD"
    page = requests.get(initiated.approval_url, timeout=5, verify=str(tls_files["ca"]))
    assert "1234.50 EUR" in page.text, "the payer's approval page asks for no client certificate"


def test_mutual_tls_refuses_calls_without_the_qwac_or_with_an_unknown_one(tls_bank, identity, tls_files, tmp_path,
                                                                           notifications):
    with pytest.raises(BankError) as refused:
        adapter(tls_bank, identity, ca_bundle=str(tls_files["ca"])).initiate(order(notifications))
    assert refused.value.http_status == 403
    stranger = make_tls_files(tmp_path)
    with pytest.raises(BankError, match="cannot be reached"):
        adapter(tls_bank, identity, ca_bundle=str(tls_files["ca"]),
                tls_cert=(str(stranger["client_cert"]), str(stranger["client_key"]))).initiate(order(notifications))
    with pytest.raises(BankError, match="cannot be reached.*CERTIFICATE_VERIFY_FAILED"):
        adapter(tls_bank, identity, tls_cert=(str(tls_files["client_cert"]),
                                              str(tls_files["client_key"]))).initiate(order(notifications))
    assert not tls_bank.payments


# The directory -------------------------------------------------------------------------------------

@pytest.mark.parametrize("iban,expected", [
    ("FR76 3000 6000 0112 3456 7890 189", ("FR", "30006")),  # code banque, 5 digits
    ("DE89370400440532013000", ("DE", "37040044")),  # Bankleitzahl, 8 digits
    ("IT60X0542811101000000123456", ("IT", "05428")),  # ABI, after the CIN character
    ("BE68539007547034", ("BE", "539")),
    ("NL91ABNA0417164300", ("NL", "ABNA")),
    ("ES9121000418450200051332", ("ES", "2100")),
    ("NO9386011117947", ("NO", "8601")),
    ("IS140159260076545510730339", ("IS", None)),  # a layout this table does not know: choose by name
])
def test_bank_code_is_read_from_the_iban(iban, expected):
    assert directory.bank_of(iban) == expected


def test_bank_codes_typed_loosely_are_normalized():
    assert directory.normalize_bank_codes(" 30006,30007\n30006 abna ") == ["30006", "30007", "ABNA"]


def test_payment_order_refuses_a_zero_or_infinite_amount(notifications):
    for amount in (Decimal(0), Decimal("-1"), Decimal("Infinity"), Decimal(10) ** 13):
        with pytest.raises(ValueError):
            order(notifications, amount=amount)
