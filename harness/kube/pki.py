"""Certificates and keys of the harness's Kubernetes control plane.

Everything is generated once into one directory (``<state>/data/kubernetes/pki``) and reused on
later starts, so kubeconfigs and tokens issued earlier stay valid:

- ``ca.crt`` / ``ca.key``: a self-signed CA (ECDSA P-256, 10 years); clients verify the API
  server with ``ca.crt`` (kubeconfig ``certificate-authority-data``).
- ``apiserver.crt`` / ``apiserver.key``: the API server's serving certificate, signed by the
  CA, for ``127.0.0.1``, ``localhost``, the in-cluster names ``kubernetes``,
  ``kubernetes.default``, ``kubernetes.default.svc``, ``kubernetes.default.svc.cluster.local``
  and the ``kubernetes`` Service's cluster IP.
- ``sa.key`` / ``sa.pub``: the service-account token signing key pair (ECDSA P-256;
  kube-apiserver ``--service-account-signing-key-file`` / ``--service-account-key-file``,
  kube-controller-manager ``--service-account-private-key-file``).

Private keys are written with mode 0600. Source: Kubernetes docs "PKI certificates and
requirements" (kubernetes.io/docs/setup/best-practices/certificates/).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..install.tools import write_private

#: DNS names the API server certificate carries besides ``localhost``.
APISERVER_DNS = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                 "kubernetes.default.svc.cluster.local")
#: Validity of the generated certificates (days).
VALIDITY_DAYS = 3650


@dataclass(frozen=True)
class Pki:
    """Paths of the generated files (all inside one directory)."""

    dir: Path

    @property
    def ca_crt(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def apiserver_crt(self) -> Path:
        return self.dir / "apiserver.crt"

    @property
    def apiserver_key(self) -> Path:
        return self.dir / "apiserver.key"

    @property
    def sa_key(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_pub(self) -> Path:
        return self.dir / "sa.pub"

    def complete(self) -> bool:
        """True when every file exists (then :func:`ensure_pki` changes nothing)."""
        return all(p.is_file() for p in (self.ca_crt, self.ca_key, self.apiserver_crt, self.apiserver_key,
                                         self.sa_key, self.sa_pub))


def _key_pem(key) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert_pem(cert) -> str:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM).decode()


def ensure_pki(directory: Path, *, service_ip: str, host: str = "127.0.0.1") -> Pki:
    """Create (once) the CA, the API server certificate and the service-account key pair in
    ``directory`` and return their paths. Idempotent: when every file exists nothing is
    rewritten. ``service_ip`` is the ``kubernetes`` Service's cluster IP (first address of the
    service CIDR), ``host`` the address the API server listens on; both go into the serving
    certificate's subjectAltName. Raises ``OSError`` when the files cannot be written."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    pki = Pki(Path(directory))
    if pki.complete():
        return pki
    pki.dir.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    until = now + datetime.timedelta(days=VALIDITY_DAYS)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "somastack-harness-kubernetes-ca")])
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    srv_key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in APISERVER_DNS]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in dict.fromkeys((host, "127.0.0.1", service_ip))]
    srv_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name).public_key(srv_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=False,
                                     crl_sign=False, content_commitment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    sa_key = ec.generate_private_key(ec.SECP256R1())
    sa_pub = sa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    write_private(pki.ca_key, _key_pem(ca_key))
    write_private(pki.apiserver_key, _key_pem(srv_key))
    write_private(pki.sa_key, _key_pem(sa_key))
    write_private(pki.sa_pub, sa_pub)
    write_private(pki.apiserver_crt, _cert_pem(srv_cert))
    write_private(pki.ca_crt, _cert_pem(ca_cert))  # last: complete() keys on every file
    return pki
