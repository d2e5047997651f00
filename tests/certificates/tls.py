"""A real TLS server on loopback for certificate tests, serving certificates from trustme
(or self-signed ones made here). Replacing its certificate is what a renewal looks like:
new connections get the new chain."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def days(n: float) -> timedelta:
    return timedelta(days=n)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Served:
    """A key and the certificates a server sends, leaf first, as PEM."""

    key_pem: bytes
    chain_pems: list[bytes]


def issued(
    ca: trustme.CA,
    *names: str,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    without_intermediates: bool = False,
) -> Served:
    leaf = ca.issue_cert(
        *(names or ("localhost",)),
        not_before=not_before or now() - days(1),
        not_after=not_after or now() + days(90),
    )
    chain = [blob.bytes() for blob in leaf.cert_chain_pems]
    return Served(leaf.private_key_pem.bytes(), chain[:1] if without_intermediates else chain)


def self_signed(name: str = "localhost") -> Served:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now() - days(1))
        .not_valid_after(now() + days(90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Served(key_pem, [cert.public_bytes(serialization.Encoding.PEM)])


class TlsServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.port = 0
        self._serial = 0

    def serve(self, served: Served) -> None:
        """Send this chain on every connection from now on."""
        self._serial += 1
        chain = self.directory / f"chain-{self._serial}.pem"
        key = self.directory / f"key-{self._serial}.pem"
        chain.write_bytes(b"".join(served.chain_pems))
        key.write_bytes(served.key_pem)
        self.context.load_cert_chain(chain, key)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


@contextlib.asynccontextmanager
async def tls_server(directory: Path, served: Served) -> AsyncIterator[TlsServer]:
    tls = TlsServer(directory)
    tls.serve(served)
    server = await asyncio.start_server(_answer, "127.0.0.1", 0, ssl=tls.context)
    tls.port = server.sockets[0].getsockname()[1]
    try:
        yield tls
    finally:
        server.close()
        await server.wait_closed()


def free_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
