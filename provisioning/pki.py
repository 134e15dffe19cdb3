"""The site's small PKI: a dedicated CA, the broker's server certificate, client
certificates and the revocation list, as PEM bytes (pure functions, no files).

Mosquitto trusts every certificate its ``cafile`` CA signed, so each site gets a
CA of its own that signs nothing but this site's broker and clients.  Keys are
ECDSA P-256: small, fast to make on a laptop, supported by every OpenSSL that
Mosquitto and Raspberry Pi OS ship.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 20 * 365
SERVER_DAYS = 5 * 365
CLIENT_DAYS = 10 * 365
#: Mosquitto reads the CRL from a local file we rewrite on every revocation; with
#: ``crlfile`` set, an *expired* CRL makes OpenSSL refuse every client, so its
#: next update lies far ahead instead of forcing a periodic re-sign.
CRL_DAYS = 10 * 365
_BACKDATE = timedelta(minutes=5)  # tolerate a Pi whose clock is slightly behind


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str, site: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Lämna & Hämta {site}"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def load_cert(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the site CA key is not an EC key")
    return key


def make_ca(site: str, *, now: datetime | None = None) -> KeyPair:
    """A self-signed CA for one site; it may sign certificates but no further CAs."""
    now = now or datetime.now(UTC)
    key = _new_key()
    name = _name(f"Lämna & Hämta site CA ({site})", site)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _leaf(
    ca: KeyPair,
    common_name: str,
    site: str,
    *,
    days: int,
    usage: x509.ObjectIdentifier,
    alt_names: list[x509.GeneralName] | None,
    now: datetime | None,
) -> KeyPair:
    now = now or datetime.now(UTC)
    ca_cert, ca_key = load_cert(ca.cert_pem), load_key(ca.key_pem)
    key = _new_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, site))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(min(now + timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                key_cert_sign=False,
                crl_sign=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def alt_name(host: str) -> x509.GeneralName:
    """An IP address SAN for an address, a DNS SAN for a name."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def make_server_cert(ca: KeyPair, site: str, hosts: list[str], *, now: datetime | None = None) -> KeyPair:
    """The broker's certificate; ``hosts`` (names or addresses) go into its SAN, the first is the CN."""
    if not hosts:
        raise ValueError("the broker certificate needs at least one host name or address")
    names = list(dict.fromkeys(hosts))
    return _leaf(
        ca,
        names[0],
        site,
        days=SERVER_DAYS,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        alt_names=[alt_name(h) for h in names],
        now=now,
    )


def make_client_cert(ca: KeyPair, site: str, username: str, *, now: datetime | None = None) -> KeyPair:
    """A client certificate whose CN is the MQTT username (a device id, ``central``, ``monitor``)."""
    return _leaf(
        ca,
        username,
        site,
        days=CLIENT_DAYS,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        alt_names=None,
        now=now,
    )


def make_crl(ca: KeyPair, revoked: dict[int, datetime], *, now: datetime | None = None) -> bytes:
    """A CRL signed by the site CA listing ``revoked`` (serial -> revocation time)."""
    now = now or datetime.now(UTC)
    ca_cert, ca_key = load_cert(ca.cert_pem), load_key(ca.key_pem)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - _BACKDATE)
        .next_update(now + timedelta(days=CRL_DAYS))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False)
        .add_extension(x509.CRLNumber(int(now.timestamp())), False)
    )
    for serial, when in sorted(revoked.items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def crl_entries(crl_pem: bytes) -> dict[int, datetime]:
    """The serials a CRL lists, with their revocation times."""
    crl = x509.load_pem_x509_crl(crl_pem)
    return {r.serial_number: r.revocation_date_utc for r in crl}


def revoke(ca: KeyPair, crl_pem: bytes, cert_pem: bytes, *, now: datetime | None = None) -> bytes:
    """The CRL ``crl_pem`` plus ``cert_pem``'s serial (unchanged if it is already listed)."""
    now = now or datetime.now(UTC)
    entries = crl_entries(crl_pem)
    entries.setdefault(load_cert(cert_pem).serial_number, now)
    return make_crl(ca, entries, now=now)


def common_name(cert_pem: bytes) -> str:
    attrs = load_cert(cert_pem).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""
