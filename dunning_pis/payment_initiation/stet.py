"""STET PSD2 API v1.6, PISP resources (Part 2 §4.5 to §4.7): the French banks' standard.

A payment request (POST /payment-requests) answers 201 with the Location of the new resource and the
link where the payer approves (``consentApproval``); GET on that resource tells its status, and a bank
may ask for a confirmation (POST .../confirmation) once the payer approved. The bank's callback is the
``successfulReportUrl``/``unsuccessfulReportUrl`` of the request: the payer comes back through it, and it
only ever makes Odoo read the status from the bank.
"""

import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin

from . import statuses
from .base import BankError, PaymentInitiationAdapter, PaymentStatus, amount_text
from .transport import ApiClient, digest_and_signature

STANDARD = "stet"
SCOPE = "pisp"
# Part 1, HTTP signature: the request target, the Digest, and every PSU-* header the request carries.
ALWAYS_SIGNED = ("(request-target)", "date", "digest", "x-request-id")


def signed_headers(headers):
    return ALWAYS_SIGNED + tuple(sorted(name.lower() for name in headers if name.lower().startswith("psu-")))


def payment_request(order, now=None):
    """The PaymentRequestResource (Part 2 §4.5.3) of one SEPA (instant) credit transfer, approved by redirection."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    beneficiary = {"creditor": {"name": order.creditor_name[:70]}, "creditorAccount": {"iban": order.creditor_iban}}
    if order.creditor_bic:
        beneficiary["creditorAgent"] = {"bicFi": order.creditor_bic}
    request = {
        "paymentInformationId": order.end_to_end_id,
        "creationDateTime": now.isoformat(timespec="seconds"),
        # The debit date (§4.5.3): the payer approves the payment now, to be made without delay.
        "requestedExecutionDate": now.isoformat(timespec="seconds"),
        "numberOfTransactions": 1,
        "initiatingParty": {"name": order.creditor_name[:70]},
        "paymentTypeInformation": {"serviceLevel": "SEPA", **({"localInstrument": "INST"} if order.instant else {}),
                                   "categoryPurpose": "DVPM"},
        "beneficiary": beneficiary,
        "chargeBearer": "SLEV",
        "creditTransferTransaction": [{
            "paymentId": {"instructionId": order.end_to_end_id, "endToEndId": order.end_to_end_id},
            "instructedAmount": {"currency": order.currency, "amount": amount_text(order.amount)},
            "remittanceInformation": {"unstructured": [order.remittance[:140]]},
        }],
        "supplementaryData": {
            "acceptedAuthenticationApproach": ["REDIRECT"],
            "successfulReportUrl": order.return_url,
            "unsuccessfulReportUrl": order.cancel_url,
        },
    }
    if order.debtor_iban:
        request["debtorAccount"] = {"iban": order.debtor_iban}
    return request


class StetAdapter(PaymentInitiationAdapter):
    standard = STANDARD

    def __init__(self, base_url, credentials, session=None):
        sign = None
        if credentials.signing_key:
            if not credentials.signing_certificate_url:
                raise BankError("STET banks identify the signing key by the URL of its certificate: none is set")
            sign = digest_and_signature(signed_headers, credentials.signing_certificate_url, credentials.signing_key)
        self.client = ApiClient(base_url, credentials, SCOPE, sign=sign, session=session)

    def initiate(self, order):
        answer = self.client.call("POST", "/payment-requests", payment_request(order), order.payer.headers())
        location = answer.headers.get("Location", "")
        resource_id = location.rstrip("/").rsplit("/", 1)[-1]
        links = answer.data.get("_links")
        approval = links.get("consentApproval") if isinstance(links, dict) else None
        href = approval.get("href") if isinstance(approval, dict) else None
        if not resource_id or not isinstance(href, str) or not href:
            raise BankError("the bank's answer has no payment request location or approval link", unreadable=True)
        return PaymentStatus(resource_id=resource_id, status="RCVD", approval_url=urljoin(self.client.base_url, href),
                             amount=order.amount, currency=order.currency, end_to_end_id=order.end_to_end_id)

    def status(self, resource_id, instant=False, payer=None):
        answer = self.client.call("GET", f"/payment-requests/{resource_id}", headers=payer and payer.headers())
        return _read(resource_id, answer.data)

    def confirm(self, resource_id, instant=False, payer=None):
        answer = self.client.call("POST", f"/payment-requests/{resource_id}/confirmation", {},
                                  headers=payer and payer.headers())
        return _read(resource_id, answer.data)


def _read(resource_id, data):
    """The status of a retrieved payment request (Part 2 §4.6.4): the transaction's when it is final, else
    the whole request's, which tells more on the way (ACSP while the transaction is only PDNG)."""
    try:
        request = data["paymentRequest"]
        transfer = request["creditTransferTransaction"][0]
        status = transfer.get("transactionStatus")
        if not statuses.is_final(status):
            status = request["paymentInformationStatus"]
        statuses.outcome(status, STANDARD)
        links = data.get("_links") or {}
        amount = Decimal(str(transfer["instructedAmount"]["amount"]))
        if not amount.is_finite():
            raise InvalidOperation(amount)
        return PaymentStatus(
            resource_id=resource_id, status=status, amount=amount,
            currency=str(transfer["instructedAmount"]["currency"]),
            end_to_end_id=str(transfer["paymentId"]["endToEndId"]),
            needs_confirmation="confirmation" in links and status in ("ACCP", "ACTC"),
        )
    except (KeyError, IndexError, TypeError, AttributeError, InvalidOperation, statuses.UnknownStatus) as error:
        raise BankError(f"unreadable payment request status: {error!r}", unreadable=True) from error

