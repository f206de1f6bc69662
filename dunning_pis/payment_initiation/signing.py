"""HTTP signatures of the requests a payment institution sends to banks, made with its QSEAL key.

Both standards use draft-cavage-http-signatures (algorithm ``rsa-sha256``): a ``Digest`` of the body
(RFC 3230, SHA-256) and a ``Signature`` over chosen headers. They differ in what ``keyId`` says and in
the headers the signature must cover (see ``stet`` and ``berlin_group``):

- Berlin Group (Implementation Guidelines §12.2): ``keyId="SN=<serial in hex>,CA=<issuer's distinguished
  name>"`` and the certificate itself, base64 of its DER, in ``TPP-Signature-Certificate``;
- STET (Part 1, HTTP signature): ``keyId`` is the URL where the bank can fetch the QSEAL certificate.
"""

import base64
import functools
import hashlib
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


class SigningError(ValueError):
    """The QSEAL key or certificate cannot be used."""


def digest(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body or b"").digest()).decode()


def signing_string(method, target, headers, names):
    """The text the signature covers: one ``name: value`` line per covered header, in the given order."""
    lower = {key.lower(): value for key, value in headers.items()}
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        else:
            lines.append(f"{name}: {lower[name]}")
    return "\n".join(lines).encode("ascii")


def sign(method, target, headers, names, key_pem, key_id, key_name="the QSEAL private key"):
    """The value of the Signature header over ``names`` of ``headers`` (which must hold them all)."""
    try:
        key = private_key(_bytes(key_pem))
    except (ValueError, TypeError) as error:
        raise SigningError(f"{key_name} cannot be read: {error}") from None
    signature = key.sign(signing_string(method, target, headers, names), padding.PKCS1v15(), hashes.SHA256())
    return (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
            f'signature="{base64.b64encode(signature).decode()}"')


@functools.lru_cache(maxsize=32)
def private_key(pem_bytes):
    """The key of a PEM, loaded once per process: loading checks the RSA key, which costs more than a whole
    notification (about 0.1 s on a busy 2-core machine), and every request is signed with the same key."""
    return serialization.load_pem_private_key(pem_bytes, None)


def load_certificate(pem):
    try:
        return x509.load_pem_x509_certificate(_bytes(pem))
    except (ValueError, TypeError) as error:
        raise SigningError(f"the QSEAL certificate cannot be read: {error}") from None


def certificate_header(pem):
    """TPP-Signature-Certificate: the certificate in base64 of its DER encoding (not of the PEM text)."""
    return base64.b64encode(load_certificate(pem).public_bytes(serialization.Encoding.DER)).decode()


def berlin_group_key_id(pem):
    """keyId="SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE" (the spec's own example):
    the serial number in hexadecimal and the issuer's distinguished name, URL-encoded."""
    certificate = load_certificate(pem)
    return f"SN={certificate.serial_number:X},CA={quote(certificate.issuer.rfc4514_string(), safe='=,')}"


def _bytes(pem):
    return pem.encode("ascii") if isinstance(pem, str) else pem
