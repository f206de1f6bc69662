"""QR codes a debtor can pay with from paper: the EPC credit-transfer QR code and plain links.

The EPC QR code is defined by the European Payments Council's "Quick Response Code: Guidelines to Enable
Data Capture for the Initiation of a SEPA Credit Transfer" (EPC069-12, version 2.1+): a payload of lines
separated by a line feed — service tag ``BCD``, version ``002`` (BIC optional inside the EEA), character
set ``1`` (UTF-8), identification ``SCT``, the beneficiary's BIC, name (at most 70 characters) and IBAN,
the amount as ``EUR`` followed by at most 12 characters (0.01 to 999999999.99), a purpose code, then either a
structured reference (at most 35) or an unstructured remittance (at most 140); 331 bytes at most in all.
A banking app that scans it fills in a transfer the payer only confirms.
"""

import base64
import io
from decimal import ROUND_HALF_UP, Decimal

import qrcode

MAX_PAYLOAD_BYTES = 331


class PayloadError(ValueError):
    """What makes an EPC QR code impossible: ``field`` names the part that does not fit."""

    def __init__(self, field):
        super().__init__(field)
        self.field = field


def epc_payload(name, iban, amount, remittance, bic=""):
    """The EPC069-12 payload of a euro credit transfer of ``amount`` to ``iban`` quoting ``remittance``."""
    amount = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    iban = "".join((iban or "").split()).upper()
    name = " ".join((name or "").split())
    if not name or len(name) > 70:
        raise PayloadError("name")
    if not 15 <= len(iban) <= 34 or not iban.isalnum():
        raise PayloadError("iban")
    if not Decimal("0.01") <= amount <= Decimal("999999999.99"):
        raise PayloadError("amount")
    head = "\n".join(["BCD", "002", "1", "SCT", bic or "", name, iban, f"EUR{amount}", "", ""])
    remittance = " ".join((remittance or "").split())[:140]
    # Accented characters take two bytes in UTF-8: the remittance is shortened until the whole fits.
    while len(f"{head}\n{remittance}".encode()) > MAX_PAYLOAD_BYTES:
        remittance = remittance[:-1]
    return f"{head}\n{remittance}"


def png(text, box_size=6):
    """The QR code of ``text`` as a PNG, base64-encoded (for a report's ``data:`` image or a Binary field)."""
    image = qrcode.make(text, box_size=box_size, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())
