"""The bank's side of HTTP signatures: checked as the standards say, independently of the addon's code.

draft-cavage-http-signatures-10: ``Signature: keyId="…",algorithm="rsa-sha256",headers="…",signature="…"``
over a signing string of ``name: value`` lines, and a ``Digest`` of the body (RFC 3230). The rules on
top of it are each standard's:

- Berlin Group, Implementation Guidelines §12.2: the signature covers Digest, X-Request-ID and Date,
  and PSU-ID, PSU-Corporate-ID and TPP-Redirect-URI when present; TPP-Signature-Certificate carries the
  certificate (base64 of its DER) and keyId names it as ``SN=<serial, hex>,CA=<issuer DN>``.
- STET, Part 1 (HTTP signature): the signature covers (request-target), Digest and every PSU-* header
  present; keyId is the URL of the QSEAL certificate.
"""

import base64
import binascii
import hashlib
import re
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

_PARAMETER = re.compile(r'\s*([A-Za-z]+)="([^"]*)"\s*(?:,|$)')
_HASHES = {"SHA-256": hashlib.sha256, "SHA-512": hashlib.sha512}


class SignatureRefused(Exception):
    """``code`` as the Berlin Group names them (FORMAT_ERROR → 400, the others → 401)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.http_status = 400 if code == "FORMAT_ERROR" else 401


def parse(value):
    """The parameters of a Signature header; FORMAT_ERROR if it is not one."""
    if not value.isascii() or not value.isprintable():
        raise SignatureRefused("FORMAT_ERROR", "the Signature header is not printable ASCII")
    parameters, position = {}, 0
    while position < len(value):
        match = _PARAMETER.match(value, position)
        if not match or match.group(1) in parameters:
            raise SignatureRefused("FORMAT_ERROR", "the Signature header is malformed")
        parameters[match.group(1)] = match.group(2)
        position = match.end()
    if not {"keyId", "signature"} <= parameters.keys():
        raise SignatureRefused("FORMAT_ERROR", "the Signature header has no keyId or no signature")
    parameters.setdefault("headers", "date")
    return parameters


def check_digest(headers, body):
    value = headers.get("digest")
    if not value:
        raise SignatureRefused("FORMAT_ERROR", "the Digest header is missing")
    algorithm, _, encoded = value.partition("=")
    function = _HASHES.get(algorithm.upper())
    if not function or not encoded:
        raise SignatureRefused("FORMAT_ERROR", "the Digest header is malformed")
    if encoded != base64.b64encode(function(body).digest()).decode():
        raise SignatureRefused("SIGNATURE_INVALID", "the Digest does not match the body")


def check_signature(method, target, headers, parameters, certificate, required):
    """Check the signature with ``certificate`` (a cryptography certificate) and that it covers ``required``."""
    names = parameters["headers"].lower().split()
    missing = [name for name in required if name not in names]
    if missing:
        raise SignatureRefused("SIGNATURE_INVALID", f"the signature does not cover {', '.join(missing)}")
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            raise SignatureRefused("SIGNATURE_INVALID", f"the signed header {name} is not in the request")
    algorithm = parameters.get("algorithm", "rsa-sha256").lower()
    digest = {"rsa-sha256": hashes.SHA256(), "rsa-sha512": hashes.SHA512()}.get(algorithm)
    if digest is None:
        raise SignatureRefused("SIGNATURE_INVALID", f"the algorithm {algorithm} is not accepted")
    try:
        signature = base64.b64decode(parameters["signature"], validate=True)
        certificate.public_key().verify(signature, "\n".join(lines).encode("latin-1"), padding.PKCS1v15(), digest)
    except (InvalidSignature, binascii.Error, ValueError, UnicodeEncodeError) as error:
        raise SignatureRefused("SIGNATURE_INVALID", "the signature does not match") from error


def verify_stet(method, target, headers, body, certificates_by_url):
    """``headers`` with lower-case names; ``certificates_by_url``: the QSEAL certificates the bank knows."""
    parameters = parse(headers.get("signature") or _missing("SIGNATURE_MISSING"))
    check_digest(headers, body)
    certificate = certificates_by_url.get(parameters["keyId"])
    if certificate is None:
        raise SignatureRefused("CERTIFICATE_INVALID", f"no QSEAL certificate is known at {parameters['keyId']}")
    required = ["(request-target)", "digest", *sorted(name for name in headers if name.startswith("psu-"))]
    check_signature(method, target, headers, parameters, certificate, required)


def verify_berlin_group(method, target, headers, body, registered_fingerprints):
    """``registered_fingerprints``: SHA-256 of the DER of the QSEAL certificates the bank accepts."""
    parameters = parse(headers.get("signature") or _missing("SIGNATURE_MISSING"))
    check_digest(headers, body)
    encoded = headers.get("tpp-signature-certificate") or _missing("CERTIFICATE_MISSING")
    try:
        der = base64.b64decode(encoded, validate=True)
        certificate = x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as error:
        raise SignatureRefused("CERTIFICATE_INVALID", "TPP-Signature-Certificate is not a base64 DER certificate") \
            from error
    if hashlib.sha256(der).hexdigest() not in registered_fingerprints:
        raise SignatureRefused("CERTIFICATE_INVALID", "this QSEAL certificate is not registered with the bank")
    serial, _, issuer = parameters["keyId"].partition(",CA=")
    try:
        named = serial.startswith("SN=") and int(serial[3:], 16) == certificate.serial_number \
            and unquote(issuer) == certificate.issuer.rfc4514_string()
    except ValueError:
        named = False
    if not named:
        raise SignatureRefused("SIGNATURE_INVALID", "keyId does not name the certificate (SN=…,CA=…)")
    present = [name for name in ("psu-id", "psu-corporate-id", "tpp-redirect-uri") if name in headers]
    check_signature(method, target, headers, parameters, certificate, ["digest", "x-request-id", "date", *present])


def _missing(code):
    raise SignatureRefused(code, f"{code.split('_')[0].title()} header missing")
