"""The contracted services, Fintecture and GoCardless, against our sandboxes of them over HTTP, and the
sandboxes against the services' own descriptions: GoCardless's bodies read by its official client
``gocardless-pro`` (its resource classes are generated from the same API description as its fixtures) and
its webhook signatures checked by that client's parser; Fintecture's request signatures checked with the
application's public key directly, its webhooks made the way its official SDK reads them."""

import base64
import datetime
import hashlib
import hmac
import json
from decimal import Decimal
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit

import gocardless_pro
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from gocardless_pro import webhooks as gocardless_webhooks
from gocardless_pro.errors import InvalidSignatureError
from payment_initiation import fintecture, gocardless
from payment_initiation.base import BankError, Payer, PaymentOrder, json_answer, refusal
from payment_initiation.tokens import TOKENS

from sandboxes import service_shapes
from sandboxes.fintecture import SandboxFintecture
from sandboxes.gocardless import SandboxGoCardless

APP = ("sandbox-app-id", "sandbox-app-secret")


def order(**values):
    return PaymentOrder(**{
        "end_to_end_id": "INV-2026-00042-1", "amount": Decimal("1234.56"), "currency": "EUR",
        "creditor_name": "Boulangerie SARL", "creditor_iban": "FR7630006000011234567890189",
        "remittance": "INV/2026/00042", "return_url": "https://odoo.example/payment/pay_by_bank/return?reference=r1",
        "cancel_url": "https://odoo.example/payment/pay_by_bank/return?reference=r1",
        "notification_url": "https://odoo.example/notify", "payer": Payer(ip_address="203.0.113.7"),
        "payer_name": "Client SARL", "payer_email": "compta@client.example", "language": "fr", **values,
    })


def follow(approval_url, decision="approve"):
    """The payer on the service's page: pays (or cancels), and is sent back."""
    page = requests.get(approval_url, timeout=10)
    assert page.status_code == 200
    answer = requests.post(approval_url, data={"decision": decision}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    return answer.headers["Location"]


# === Fintecture === #

@pytest.fixture(scope="module")
def app_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode())


@pytest.fixture
def fintecture_sandbox(app_key):
    sandbox = SandboxFintecture(*APP, app_key[1]).start()
    yield sandbox
    sandbox.stop()
    assert sandbox.errors == []


def fintecture_send(base, key_pem, app=APP):
    """What the provider's request hooks do, with requests: the token call, or a signed call."""

    def send(method, target, payload=None, token_request=False, access_token=None, language=None):
        if token_request:
            _form, headers = fintecture.token_request(*app)
        else:
            headers = fintecture.request_headers(method, target, payload, app[0], key_pem, access_token)
            if language:
                headers["x-language"] = language
        try:
            response = requests.request(method, base + target, data=payload, headers=headers, timeout=3)
        except requests.RequestException as error:
            raise BankError(f"cannot be reached: {error}") from error
        if response.status_code >= 400:
            raise refusal(response, fintecture.error_message)
        return json_answer(response)

    return send


@pytest.fixture
def fintecture_adapter(fintecture_sandbox, app_key):
    TOKENS.drop((fintecture_sandbox.url + fintecture.TOKEN_PATH, APP[0]))
    return fintecture.FintectureAdapter(fintecture_send(fintecture_sandbox.url, app_key[0]),
                                        fintecture_sandbox.url, *APP)


def test_fintecture_connect_approve_and_read_settled(fintecture_sandbox, fintecture_adapter, app_key):
    initiated = fintecture_adapter.initiate(order())
    assert initiated.status == "RCVD" and initiated.approval_url.startswith(fintecture_sandbox.url + "/pay/")
    assert parse_qs(urlsplit(initiated.approval_url).query) == {"lang": ["fr"], "origin": ["api"]}
    session = fintecture_sandbox.sessions[initiated.resource_id]
    assert (session["amount"], session["currency"], session["communication"], session["state"]) == \
        ("1234.56", "EUR", "INV/2026/00042", "INV-2026-00042-1")
    back = follow(initiated.approval_url)
    assert back.startswith("https://odoo.example/payment/pay_by_bank/return?reference=r1&session_id=")
    status = fintecture_adapter.status(initiated.resource_id)
    assert (status.status, status.amount, status.currency, status.service_status) == \
        ("ACSC", Decimal("1234.56"), "EUR", "payment_created / completed")
    # The connect call was signed as Fintecture's SDKs sign: check it with the public key, independently.
    method, target, headers, body = next(call for call in fintecture_sandbox.calls if "/connect" in call[1])
    parameters = dict(part.split("=", 1) for part in headers["Signature"].replace('"', "").split(","))
    assert parameters["keyId"] == APP[0] and parameters["headers"] == "(request-target) date digest x-request-id"
    signed = (f"(request-target): post {target}\ndate: {headers['Date']}\ndigest: {headers['Digest']}\n"
              f"x-request-id: {headers['X-Request-ID']}").encode()
    public = serialization.load_pem_public_key(app_key[1].encode())
    public.verify(base64.b64decode(parameters["signature"]), signed, padding.PKCS1v15(), hashes.SHA256())
    assert headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def test_fintecture_signature_of_another_key_is_refused(fintecture_sandbox):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    adapter = fintecture.FintectureAdapter(fintecture_send(fintecture_sandbox.url, other), fintecture_sandbox.url,
                                           *APP)
    with pytest.raises(BankError) as refused:
        adapter.initiate(order())
    assert refused.value.http_status == 401 and "signature" in str(refused.value)
    assert [check[:2] for check in adapter.check_connection()] == [("credentials", True), ("signature", False)]


def test_fintecture_statuses_on_the_way_rejected_short(fintecture_sandbox, fintecture_adapter):
    fintecture_sandbox.script("pending", "reject", "short")
    pending, rejected, short = (fintecture_adapter.initiate(order()) for _index in range(3))
    for initiated, decision in ((pending, "approve"), (rejected, "refuse"), (short, "approve")):
        follow(initiated.approval_url, decision)
    assert fintecture_adapter.status(pending.resource_id).status == "ACSP"
    fintecture_sandbox.settle(pending.resource_id)
    assert fintecture_adapter.status(pending.resource_id).status == "ACSC"
    assert fintecture_adapter.status(rejected.resource_id).status == "RJCT"
    short_status = fintecture_adapter.status(short.resource_id)
    assert (short_status.status, short_status.amount) == ("ACSC", Decimal("1233.56")), "what was received"


def test_fintecture_request_to_pay_needs_its_language_and_expiry(fintecture_sandbox, fintecture_adapter):
    initiated = fintecture_adapter.request_to_pay(order(), expires_in=3 * 86400)
    session = fintecture_sandbox.sessions[initiated.resource_id]
    assert (session["kind"], session["status"]) == ("request-to-pay", "payment_waiting")
    assert fintecture_adapter.status(initiated.resource_id).status == "RCVD"
    call = next(call for call in fintecture_sandbox.calls if "/request-to-pay" in call[1])
    assert call[2]["x-language"] == "fr" and b'"expire":259200' in call[3]


def test_fintecture_expired_token_is_renewed_once(fintecture_sandbox, fintecture_adapter):
    fintecture_adapter.token()
    fintecture_sandbox.tokens.clear()  # revoked on Fintecture's side
    assert fintecture_adapter.initiate(order()).status == "RCVD"
    assert sum(1 for call in fintecture_sandbox.calls if call[1] == fintecture.TOKEN_PATH) == 2


@pytest.mark.parametrize("broken, unreadable", [("down", False), ("garbage", True), ("no_token", True)])
def test_fintecture_down_or_garbage_is_a_bank_error(fintecture_sandbox, fintecture_adapter, broken, unreadable):
    fintecture_sandbox.broken = broken
    with pytest.raises(BankError) as error:
        fintecture_adapter.initiate(order())
    assert error.value.unreadable is unreadable


def test_fintecture_unreachable_is_a_bank_error(app_key):
    adapter = fintecture.FintectureAdapter(fintecture_send("http://127.0.0.1:9", app_key[0]), "http://127.0.0.1:9",
                                           *APP)
    with pytest.raises(BankError) as error:
        adapter.status("abc")
    assert not error.value.unreadable


def test_fintecture_statuses_map_to_iso_codes():
    assert fintecture.iso_status("payment_created", "completed") == "ACSC"
    assert fintecture.iso_status("payment_created", "received") == "ACSC"
    assert fintecture.iso_status("payment_created", "processing") == "ACSP"
    assert fintecture.iso_status("payment_created", None) == "ACSP"
    assert fintecture.iso_status("payment_created", "rejected") == "RJCT"
    assert fintecture.iso_status("provider_required") == "RCVD"
    assert fintecture.iso_status("payment_unsuccessful") == "RJCT"
    assert fintecture.iso_status("payment_cancelled") == "CANC"
    for unknown in (("payment_created", "teleported"), ("payment_paid", None)):
        with pytest.raises(ValueError):
            fintecture.iso_status(*unknown)


def test_fintecture_webhook_verified_before_it_is_read(fintecture_sandbox, fintecture_adapter, app_key):
    initiated = fintecture_adapter.initiate(order())
    fintecture_sandbox.approve(initiated.resource_id)
    headers, body = fintecture_sandbox.webhook_request(initiated.resource_id)
    fintecture.verify_webhook(headers, body, app_key[0])
    fields = fintecture.webhook_fields(body, headers["Content-Type"])
    assert (fields["session_id"], fields["status"], fields["transfer_state"]) == \
        (initiated.resource_id, "payment_created", "completed")
    other_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    forged_headers, _body = fintecture_sandbox.webhook_request(initiated.resource_id, public_key=other_public)
    stale_headers, _body = fintecture_sandbox.webhook_request(
        initiated.resource_id, date=(datetime.datetime.now() - datetime.timedelta(minutes=10)).timestamp())
    cases = {
        "forged": (forged_headers, body),
        "tampered body": (headers, body.replace(b"completed", b"received_")),
        "stale": (stale_headers, body),
        "missing": ({key: value for key, value in headers.items() if key != "Signature"}, body),
        "non-ASCII": ({**headers, "Signature": headers["Signature"].replace("keyId", "kéyId")}, body),
        "not base64": ({**headers, "Signature": 'keyId="a",signature="%%%"'}, body),
        "other request id": ({**headers, "X-Request-ID": "00000000-0000-0000-0000-000000000000"}, body),
        "other date": ({**headers, "Date": formatdate(usegmt=True)}, body),
    }
    for label, (case_headers, case_body) in cases.items():
        if label == "other date" and case_headers["Date"] == headers["Date"]:
            continue  # same second: not another date
        with pytest.raises(fintecture.WebhookRefused):
            fintecture.verify_webhook(case_headers, case_body, app_key[0])
            pytest.fail(label)


# === GoCardless === #

@pytest.fixture
def gocardless_sandbox():
    sandbox = SandboxGoCardless().start()
    yield sandbox
    sandbox.stop()
    assert sandbox.errors == [], "every answer reads with the official client's resource classes"


def gocardless_send(base, token="sandbox-access-token"):
    def send(method, endpoint, payload=None, idempotency_key=None):
        try:
            response = requests.request(method, base + endpoint, data=payload, timeout=3,
                                        headers=gocardless.request_headers(token, idempotency_key))
        except requests.RequestException as error:
            raise BankError(f"cannot be reached: {error}") from error
        if response.status_code >= 400:
            raise refusal(response, gocardless.error_message)
        return json_answer(response)

    return send


@pytest.fixture
def gocardless_adapter(gocardless_sandbox):
    return gocardless.GoCardlessAdapter(gocardless_send(gocardless_sandbox.url))


def test_gocardless_pay_now_and_set_up_the_mandate(gocardless_sandbox, gocardless_adapter):
    initiated = gocardless_adapter.initiate(order(set_up_mandate=True))
    request = gocardless_sandbox.resources["billing_requests"][initiated.resource_id]
    assert request["payment_request"]["amount"] == 123456 and request["mandate_request"]["scheme"] == "sepa_core"
    assert initiated.approval_url.startswith(gocardless_sandbox.url + "/flow/BRF")
    assert follow(initiated.approval_url) == order().return_url
    status = gocardless_adapter.status(initiated.resource_id)
    assert (status.status, status.amount, status.currency, status.service_status) == \
        ("ACSC", Decimal("1234.56"), "EUR", "confirmed")
    assert status.mandate_reference.startswith("MD")
    # The official client reads the sandbox's answers, links and all.
    client = gocardless_pro.Client(access_token="sandbox-access-token", base_url=gocardless_sandbox.url)
    fetched = client.billing_requests.get(initiated.resource_id)
    assert fetched.status == "fulfilled" and fetched.links.mandate_request_mandate == status.mandate_reference
    assert client.payments.get(fetched.links.payment_request_payment).amount == 123456
    assert client.mandates.get(status.mandate_reference).status == "active"


def test_gocardless_our_request_bodies_are_the_official_clients(gocardless_sandbox):
    bodies = {
        "billing_requests": gocardless.billing_request(order(set_up_mandate=True)),
        "billing_request_flows": gocardless.billing_request_flow("BRQ123", order()),
        "payments": gocardless.collection("MD123", Decimal("300.00"), "EUR", datetime.date(2027, 1, 5), "Échéance 2",
                                          {"installment": 7}),
    }
    for envelope, body in bodies.items():
        assert service_shapes.unknown_keys(envelope, body) == [], envelope
    assert service_shapes.unknown_keys("payments", {"payments": {"id": "PM1", "amount_cents": 1}}) == \
        ["payments.amount_cents"], "the check fires on a key GoCardless does not have"
    # The official client's own creation goes through the sandbox too.
    client = gocardless_pro.Client(access_token="sandbox-access-token", base_url=gocardless_sandbox.url)
    created = client.billing_requests.create(params=bodies["billing_requests"]["billing_requests"])
    assert created.payment_request.amount == 123456 and created.status == "pending"


def test_gocardless_later_installments_under_the_mandate(gocardless_sandbox, gocardless_adapter):
    initiated = gocardless_adapter.initiate(order(set_up_mandate=True))
    follow(initiated.approval_url)
    mandate = gocardless_adapter.status(initiated.resource_id).mandate_reference
    charge_date = datetime.date.today() + datetime.timedelta(days=30)
    payment, status = gocardless_adapter.collect(mandate, Decimal("300.00"), "EUR", charge_date, "INV/2026/00042 2/3",
                                                 {"installment": 7}, idempotency_key="installment-7-1")
    assert (status.status, status.amount, payment["charge_date"], payment["links"]["mandate"]) == \
        ("ACTC", Decimal("300.00"), charge_date.isoformat(), mandate)
    # Asked again with the same key (Odoo rolled back after GoCardless created it): the same payment, read back
    # as the official clients do on 409 idempotent_creation_conflict, and nothing collected twice.
    payments = len(gocardless_sandbox.resources["payments"])
    again, again_status = gocardless_adapter.collect(mandate, Decimal("300.00"), "EUR", charge_date, "again", {},
                                                     idempotency_key="installment-7-1")
    assert (again["id"], again_status.amount) == (payment["id"], Decimal("300.00"))
    assert len(gocardless_sandbox.resources["payments"]) == payments
    # Control: another key is another payment.
    other, _status = gocardless_adapter.collect(mandate, Decimal("300.00"), "EUR", charge_date, "3/3", {},
                                                idempotency_key="installment-8-1")
    assert other["id"] != payment["id"]
    # Not the same debit: another amount under the key, or the payment cancelled since, is said, never taken.
    with pytest.raises(BankError, match=f"already has payment {other['id']}") as changed:
        gocardless_adapter.collect(mandate, Decimal("180.00"), "EUR", charge_date, "3/3", {},
                                   idempotency_key="installment-8-1")
    assert changed.value.http_status == 409
    gocardless_sandbox.payment_event(other["id"], "cancelled", notify=False)
    with pytest.raises(BankError, match="cancelled"):
        gocardless_adapter.collect(mandate, Decimal("300.00"), "EUR", charge_date, "3/3", {},
                                   idempotency_key="installment-8-1")
    assert len(gocardless_sandbox.resources["payments"]) == payments + 1
    gocardless_sandbox.payment_event(payment["id"], "failed", reason_code="AM04", notify=False)
    assert gocardless.read_payment(gocardless_adapter.payment(payment["id"]))[1].status == "RJCT"


def test_gocardless_webhook_signature_as_the_official_client_checks_it(gocardless_sandbox):
    events = [gocardless_sandbox._event("payments", "confirmed", {"payment": "PM123"})]
    body = json.dumps({"events": events}).encode()
    signature = hmac.new(b"sandbox-webhook-secret", body, "sha256").hexdigest()
    assert [event.id for event in gocardless_webhooks.parse(body, "sandbox-webhook-secret", signature)] == \
        [events[0]["id"]]
    gocardless.verify_webhook({"Webhook-Signature": signature}, body, "sandbox-webhook-secret")
    assert gocardless.webhook_events(body)[0]["links"] == {"payment": "PM123"}
    assert service_shapes.unknown_keys("events", {"events": events}) == []
    forged = hmac.new(b"another-secret", body, "sha256").hexdigest()
    with pytest.raises(InvalidSignatureError):
        gocardless_webhooks.parse(body, "sandbox-webhook-secret", forged)
    for bad in (forged, "", signature[:-1], signature[:-1] + "é", "z" * 64):
        with pytest.raises(gocardless.WebhookRefused):
            gocardless.verify_webhook({"Webhook-Signature": bad}, body, "sandbox-webhook-secret")
    with pytest.raises(gocardless.WebhookRefused):
        gocardless.verify_webhook({}, body, "sandbox-webhook-secret")


@pytest.mark.parametrize("broken, unreadable", [("down", False), ("garbage", True)])
def test_gocardless_down_or_garbage(gocardless_sandbox, gocardless_adapter, broken, unreadable):
    gocardless_sandbox.broken = broken
    with pytest.raises(BankError) as error:
        gocardless_adapter.initiate(order())
    assert error.value.unreadable is unreadable


def test_gocardless_refuses_a_wrong_token_and_says_so(gocardless_sandbox):
    adapter = gocardless.GoCardlessAdapter(gocardless_send(gocardless_sandbox.url, token="wrong"))
    with pytest.raises(BankError) as error:
        adapter.initiate(order())
    assert error.value.http_status == 401 and "Access token not found" in str(error.value)
    assert adapter.check_connection()[0][:2] == ("credentials", False)
    assert gocardless.GoCardlessAdapter(gocardless_send(gocardless_sandbox.url)).check_connection() == \
        [("credentials", True, "Sandbox Creditor SAS")]
