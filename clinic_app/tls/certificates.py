"""The clinic's certificate authority and server certificate, made with the cryptography package.

The CA signs only names of this clinic's network (name constraints: private and loopback addresses,
``localhost``, ``*.local`` and the names given), so a phone that trusts it trusts nothing else. Its
private key stays in instance/tls/ (0600); phones install ``ca.crt`` once.
"""

import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 10 * 365
SERVER_DAYS = 825  # the longest a phone accepts for a server certificate
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16")


@dataclass(frozen=True)
class TlsFiles:
    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def server(self) -> Path:
        return self.folder / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.folder / "server-key.pem"

    def ready(self) -> bool:
        return all(path.exists() for path in (self.ca, self.server, self.server_key))


def tls_files(app) -> TlsFiles:
    """The app's TLS files: in TLS_DIR, by default instance/tls/."""
    return TlsFiles(Path(app.config.get("TLS_DIR") or Path(app.instance_path) / "tls"))


def local_addresses() -> list[str]:
    """This computer's addresses on the clinic network (no packet is sent)."""
    found = {"127.0.0.1"}
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # picks the interface of the default route
        found.add(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    try:
        found.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET))
    except OSError:
        pass
    return sorted(found)


def _names(extra: list[str]) -> tuple[list[x509.GeneralName], list[str]]:
    """Subject alternative names for the server: this computer's names and addresses, plus ``extra``."""
    hostname = socket.gethostname()
    dns = {"localhost", hostname, f"{hostname}.local"}
    ips = set(local_addresses())
    for name in extra:
        try:
            ips.add(str(ipaddress.ip_address(name)))
        except ValueError:
            dns.add(name.strip().lower())
    names = [x509.DNSName(d) for d in sorted(dns) if d] + [x509.IPAddress(ipaddress.ip_address(i)) for i in sorted(ips)]
    return names, sorted(dns) + sorted(ips)


def _constraints(dns: list[str], ips: list[str]) -> x509.NameConstraints:
    networks = {ipaddress.ip_network(n) for n in PRIVATE_NETWORKS}
    networks.update(
        ipaddress.ip_network(f"{i}/32") for i in ips if not any(ipaddress.ip_address(i) in n for n in networks)
    )
    permitted = [x509.DNSName(d) for d in sorted(set(dns) | {"local"})]
    permitted += [x509.IPAddress(n) for n in sorted(networks, key=str)]
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make(
    files: TlsFiles, *, clinic: str, extra_names: list[str] | None = None, now: datetime | None = None
) -> list[str]:
    """Make the CA (kept when it exists, so phones need not install it again) and a new server
    certificate for this computer's names and addresses; returns the names it covers."""
    now = now or datetime.now(UTC)
    files.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    files.folder.chmod(0o700)
    general_names, covered = _names(extra_names or [])
    dns = [c for c in covered if not _is_ip(c)]
    ips = [c for c in covered if _is_ip(c)]
    if files.ca.exists() and files.ca_key.exists():
        ca_cert = x509.load_pem_x509_certificate(files.ca.read_bytes())
        ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Blue Box {clinic} clinic network CA"[:64])])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(_constraints(dns, ips), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(files.ca_key, _key_pem(ca_key))
        files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, socket.gethostname()[:64] or "clinic")]))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(general_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(files.server_key, _key_pem(server_key))
    files.server.write_bytes(
        server.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    return covered


def fingerprint(path: Path) -> str:
    """The CA's SHA-256 fingerprint as phones show it (AB:CD:...), to compare before trusting it."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
