"""eIDAS certificate stand-ins: a QSEAL for HTTP signatures, and TLS files for mutual TLS (QWAC)."""

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

# A qualified trust service provider's name, with the spaces and the comma of a real one's.
QTSP_NAME = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sandbox Trust Services, SAS"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Sandbox QTSP CA 1"),
])


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(subject, issuer=None, days=3650, ca=False, ip=None):
    """(key, certificate) for ``subject``: self-signed, or signed by ``issuer`` (its key and certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer[1].subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    return key, builder.sign(issuer[0] if issuer else key, hashes.SHA256())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def certificate_pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_identity(common_name="Sandbox PISP"):
    """(private key PEM, certificate PEM) of a QSEAL stand-in, issued by a QTSP stand-in."""
    authority = _issue(QTSP_NAME, ca=True)
    key, certificate = _issue(x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "PSDFR-ACPR-99999"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]), issuer=authority)
    return key_pem(key).decode(), certificate_pem(certificate).decode()


def make_tls_files(folder):
    """A certificate authority, the bank's server certificate for 127.0.0.1 and a client certificate
    (a QWAC stand-in), both signed by it, as PEM files in ``folder``: their paths by name."""
    folder = Path(folder)
    authority = _issue(_name("Sandbox Bank CA"), days=30, ca=True)
    paths = {"ca": folder / "ca.pem"}
    paths["ca"].write_bytes(certificate_pem(authority[1]))
    for label, common_name, ip in (("server", "Sandbox Bank API", "127.0.0.1"), ("client", "Sandbox PISP QWAC", None)):
        key, certificate = _issue(_name(common_name), issuer=authority, days=30, ip=ip)
        paths[f"{label}_cert"], paths[f"{label}_key"] = folder / f"{label}.pem", folder / f"{label}.key"
        paths[f"{label}_cert"].write_bytes(certificate_pem(certificate))
        paths[f"{label}_key"].write_bytes(key_pem(key))
    return paths


def server_tls_context(tls_files):
    """HTTPS with the server certificate of ``make_tls_files``, asking clients for a certificate of its CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["server_cert"], tls_files["server_key"])
    context.load_verify_locations(tls_files["ca"])
    context.verify_mode = ssl.CERT_OPTIONAL
    return context
