"""Berlin Group NextGenPSD2 XS2A 1.3.12, payment initiation service: most banks outside France.

POST /v1/payments/{product} with the payment (``paymentInitiation_json``: the payer's account,
``debtorAccount``, is mandatory) answers 201 with the payment's id, its status and the ``scaRedirect``
link where the payer approves. GET /v1/payments/{product}/{id} repeats the payment with its status,
which lets the amount be checked too. ``TPP-Notification-URI`` asks the bank to tell Odoo of changes;
Odoo then reads the status from the bank, never from the notification.
"""

from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin

from . import signing, statuses
from .base import BankError, PaymentInitiationAdapter, PaymentStatus, amount_text
from .transport import ApiClient, digest_and_signature

STANDARD = "berlin_group"
SCOPE = "PIS"
# Implementation Guidelines §12.2: Digest, X-Request-ID and Date always; PSU-ID, PSU-Corporate-ID and
# TPP-Redirect-URI whenever the request carries them.
ALWAYS_SIGNED = ("digest", "x-request-id", "date")
SIGNED_WHEN_PRESENT = ("psu-id", "psu-corporate-id", "tpp-redirect-uri")


def signed_headers(headers):
    present = {name.lower() for name in headers}
    return ALWAYS_SIGNED + tuple(name for name in SIGNED_WHEN_PRESENT if name in present)


def product(instant):
    return "instant-sepa-credit-transfers" if instant else "sepa-credit-transfers"


def payment_initiation(order):
    """The ``paymentInitiation_json`` body of one SEPA (instant) credit transfer."""
    if not order.debtor_iban:
        raise ValueError("Berlin Group banks need the payer's IBAN (debtorAccount)")
    body = {
        "endToEndIdentification": order.end_to_end_id,
        "debtorAccount": {"iban": order.debtor_iban},
        "instructedAmount": {"currency": order.currency, "amount": amount_text(order.amount)},
        "creditorAccount": {"iban": order.creditor_iban},
        "creditorName": order.creditor_name[:70],
        "remittanceInformationUnstructured": order.remittance[:140],
    }
    if order.creditor_bic:
        body["creditorAgent"] = order.creditor_bic
    return body


class BerlinGroupAdapter(PaymentInitiationAdapter):
    standard = STANDARD
    needs_debtor_account = True

    def __init__(self, base_url, credentials, session=None):
        sign = None
        if credentials.signing_key:
            if not credentials.signing_certificate:
                raise BankError("Berlin Group banks want the QSEAL certificate with each signature: none is set")
            sign = digest_and_signature(
                signed_headers, signing.berlin_group_key_id(credentials.signing_certificate),
                credentials.signing_key,
                extra={"TPP-Signature-Certificate": signing.certificate_header(credentials.signing_certificate)},
            )
        self.client = ApiClient(base_url, credentials, SCOPE, sign=sign, session=session)

    def initiate(self, order):
        if not order.payer.ip_address:
            raise ValueError("Berlin Group banks need the payer's IP address (PSU-IP-Address)")
        answer = self.client.call("POST", f"/v1/payments/{product(order.instant)}", payment_initiation(order), {
            **order.payer.headers(), "TPP-Redirect-Preferred": "true",
            "TPP-Redirect-URI": order.return_url, "TPP-Nok-Redirect-URI": order.cancel_url,
            "TPP-Notification-URI": order.notification_url,
        })
        data = answer.data
        try:
            status = data["transactionStatus"]
            statuses.outcome(status, STANDARD)
            href = data["_links"]["scaRedirect"]["href"]
            resource_id = data["paymentId"]
            if not isinstance(href, str) or not isinstance(resource_id, str) or not href or not resource_id:
                raise TypeError("no payment id or approval link")
        except (KeyError, TypeError, statuses.UnknownStatus) as error:
            raise BankError(f"unreadable payment initiation answer: {error!r}", unreadable=True) from error
        return PaymentStatus(resource_id=resource_id, status=status, approval_url=urljoin(self.client.base_url, href),
                             amount=order.amount, currency=order.currency, end_to_end_id=order.end_to_end_id)

    def status(self, resource_id, instant=False, payer=None):
        answer = self.client.call("GET", f"/v1/payments/{product(instant)}/{resource_id}",
                                  headers=payer and payer.headers())
        data = answer.data
        try:
            status = data["transactionStatus"]
            statuses.outcome(status, STANDARD)
            amount = Decimal(str(data["instructedAmount"]["amount"]))
            if not amount.is_finite():
                raise InvalidOperation(amount)
            return PaymentStatus(resource_id=resource_id, status=status, amount=amount,
                                 currency=str(data["instructedAmount"]["currency"]),
                                 end_to_end_id=str(data.get("endToEndIdentification") or "") or None)
        except (KeyError, TypeError, InvalidOperation, statuses.UnknownStatus) as error:
            raise BankError(f"unreadable payment status: {error!r}", unreadable=True) from error
