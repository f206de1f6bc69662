"""What every payment-initiation service implements, and the values that cross that interface.

A service is one module with one ``PaymentInitiationAdapter`` subclass: the banks' own APIs (``stet``,
``berlin_group``), or a contracted service that talks to the banks for us. Odoo only ever calls
``initiate``, ``status`` and ``confirm``, and reads ``BankError`` when something went wrong.
"""

import dataclasses
from decimal import Decimal

MAX_AMOUNT = Decimal(10) ** 12


class BankError(Exception):
    """The bank could not be reached, refused the call, or answered something we cannot read
    (``unreadable``: it did answer, and not what its standard says it answers)."""

    def __init__(self, message, http_status=None, unreadable=False, details=None):
        super().__init__(message)
        self.http_status = http_status
        self.unreadable = unreadable
        self.details = details  # the refusal's JSON body, where it had one


@dataclasses.dataclass(frozen=True)
class Payer:
    """The payer's browser, as the bank wants to know it (PSU-IP-Address, PSU-User-Agent)."""

    ip_address: str | None = None
    user_agent: str | None = None

    def headers(self):
        values = {"PSU-IP-Address": self.ip_address, "PSU-User-Agent": _printable(self.user_agent)}
        return {name: value for name, value in values.items() if value}


@dataclasses.dataclass(frozen=True)
class PaymentOrder:
    """One credit transfer the payer is asked to approve at their bank."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_name: str
    creditor_iban: str
    remittance: str
    return_url: str
    cancel_url: str
    notification_url: str
    payer: Payer
    instant: bool = False
    creditor_bic: str | None = None
    debtor_iban: str | None = None
    # What a contracted service shows the payer, and whether it also sets up a direct-debit mandate for the
    # later installments of a plan (GoCardless).
    payer_name: str | None = None
    payer_email: str | None = None
    language: str | None = None
    set_up_mandate: bool = False

    def __post_init__(self):
        if not self.amount.is_finite() or not 0 < self.amount < MAX_AMOUNT:
            raise ValueError(f"amount out of range: {self.amount}")


@dataclasses.dataclass(frozen=True)
class PaymentStatus:
    """What the bank says of a payment; ``amount`` is None where its answer does not repeat it."""

    resource_id: str
    status: str
    approval_url: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    end_to_end_id: str | None = None
    needs_confirmation: bool = False
    service_status: str | None = None  # the service's own words for it ("payment_created / completed")
    mandate_reference: str | None = None  # the direct-debit mandate set up with the payment (GoCardless)
    payment_reference: str | None = None  # the service's payment, where it is not the resource (GoCardless)


class PaymentInitiationAdapter:
    """One service's API. ``status`` and ``confirm`` are told whether the payment was instant, since some
    APIs address instant and ordinary transfers apart, and who is asking when the payer is."""

    standard = None
    # Whether the service must be told the payer's account (Berlin Group: debtorAccount is mandatory).
    needs_debtor_account = False

    def initiate(self, order):
        raise NotImplementedError

    def status(self, resource_id, instant=False, payer=None):
        raise NotImplementedError

    def confirm(self, resource_id, instant=False, payer=None):
        """Confirm a payment the payer approved, where the bank asks for it; most banks do not."""
        return self.status(resource_id, instant=instant, payer=payer)


class ServiceAdapter(PaymentInitiationAdapter):
    """A contracted payment-initiation service (Fintecture, GoCardless): it shows the payer the banks and
    talks to them, so Odoo never asks the payer for theirs. Its HTTP goes through ``send(method, endpoint,
    payload=None, **options)``, Odoo's provider request hooks in production, which returns the answer's
    JSON object and raises ``BankError`` (with the HTTP status where there was one)."""

    picks_the_bank = True

    def __init__(self, send):
        self.send = send

    def check_connection(self):
        """[(what, works, detail)] of the credentials: what the provider form's *Test connection* says."""
        raise NotImplementedError


def amount_text(amount):
    return f"{Decimal(amount):.2f}"


def _printable(text, limit=255):
    """A header value the bank can read: printable ASCII, others replaced, at most ``limit`` characters."""
    if not text:
        return None
    return "".join(char if " " <= char <= "~" else "?" for char in str(text))[:limit]


def json_answer(response):
    """The JSON object a service answered (a ``requests.Response``); BankError(unreadable) if it is not one."""
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError as error:
        raise BankError("the service's answer is not JSON", http_status=response.status_code,
                        unreadable=True) from error
    if not isinstance(data, dict):
        raise BankError("the service's answer is not a JSON object", http_status=response.status_code,
                        unreadable=True)
    return data


def refusal(response, error_message):
    """The BankError of a refused call: its HTTP status and what the service says (``error_message`` reads its
    error body), else the start of its text."""
    try:
        details = response.json()
    except ValueError:
        details = None
    message = error_message(details) if details is not None else ""
    return BankError(f"HTTP {response.status_code}: {message or _printable(response.text, 300) or response.reason}",
                     http_status=response.status_code, details=details)
