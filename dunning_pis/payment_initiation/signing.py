"""HTTP message signatures, as the STET and Berlin Group APIs require them, and notification MACs.

Requests to a bank carry a ``Digest`` of their body and a ``Signature`` over the request target and
chosen headers (draft-cavage-http-signatures-10, rsa-sha256), made with the payment institution's
QSEAL key; the bank checks it with the matching certificate. Notifications from a bank to Odoo carry
an HMAC-SHA256 of a timestamp and the body under a shared secret, so a forged or replayed-late
notification can be told apart from a genuine one without any call back to the bank.
"""

import base64
import hashlib
import hmac
import re
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

NOTIFICATION_HEADER = "X-Notification-Signature"
NOTIFICATION_TOLERANCE = 300  # seconds a notification may take from the bank to us


class SignatureError(ValueError):
    """A signature is missing, malformed or does not match."""


def digest(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body or b"").digest()).decode()


def signing_string(method, path, headers, names):
    lines = []
    lower = {key.lower(): value for key, value in headers.items()}
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in lower:
            lines.append(f"{name}: {lower[name]}")
        else:
            raise SignatureError(f"header {name} is not in the request")
    return "\n".join(lines).encode()


def sign_request(method, path, headers, body, key_pem, key_id, names):
    """The Digest and Signature headers for a request (``headers`` must already hold the others)."""
    headers = {**headers, "Digest": digest(body)}
    key = serialization.load_pem_private_key(key_pem.encode() if isinstance(key_pem, str) else key_pem, None)
    signature = key.sign(signing_string(method, path, headers, names), padding.PKCS1v15(), hashes.SHA256())
    return {
        "Digest": headers["Digest"],
        "Signature": (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
                      f'signature="{base64.b64encode(signature).decode()}"'),
    }


def parse_signature(value):
    fields = dict(re.findall(r'(\w+)="([^"]*)"', value or ""))
    if not {"keyId", "headers", "signature"} <= fields.keys():
        raise SignatureError("malformed Signature header")
    return fields


def verify_request(method, path, headers, body, certificate_pem, required=("(request-target)", "digest")):
    """Check a request's Digest and Signature against a certificate; raise SignatureError if they fail."""
    lower = {key.lower(): value for key, value in headers.items()}
    if lower.get("digest") != digest(body):
        raise SignatureError("the Digest does not match the body")
    fields = parse_signature(lower.get("signature"))
    names = fields["headers"].split()
    if not set(required) <= set(names):
        raise SignatureError("the Signature does not cover the required headers")
    pem = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
    public_key = x509.load_pem_x509_certificate(pem).public_key()
    try:
        public_key.verify(base64.b64decode(fields["signature"]), signing_string(method, path, headers, names),
                          padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as error:
        raise SignatureError("the Signature does not match") from error


def sign_notification(body, secret, timestamp=None):
    timestamp = int(time.time() if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_notification(body, header, secret, now=None):
    """Check a notification's MAC and age; raise SignatureError if either fails."""
    if not secret:
        raise SignatureError("no notification secret is configured")
    fields = dict(part.split("=", 1) for part in (header or "").split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        received = fields["v1"]
    except (KeyError, ValueError):
        raise SignatureError("malformed notification signature") from None
    expected = sign_notification(body, secret, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, received):
        raise SignatureError("the notification signature does not match")
    if abs((time.time() if now is None else now) - timestamp) > NOTIFICATION_TOLERANCE:
        raise SignatureError("the notification is too old")
