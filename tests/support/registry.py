"""Debian's `docker-registry` (the CNCF distribution registry) on loopback, for the image
update tests: images are pushed to it over its HTTP API (blob uploads, OCI manifests and
indexes), a token service the test serves signs the bearer tokens the registry demands when
started with token auth, and a counting proxy in front of it records every request a scan
makes (and pages tag lists, which this registry version does not)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.support.process import free_port

REGISTRY = "/usr/bin/docker-registry"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
SERVICE = "watchkeep-test-registry"
ISSUER = "watchkeep-test-issuer"


def available() -> str | None:
    """Why the registry cannot run here, or None when it can."""
    if not os.access(REGISTRY, os.X_OK):
        return f"{REGISTRY} is not installed (Debian package docker-registry)"
    return None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenSigner:
    """A key and a self-signed certificate; the registry trusts the certificate (its
    rootcertbundle) and so the tokens signed with the key (RS256, certificate in `x5c`)."""

    def __init__(self, directory: Path) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "watchkeep test token signer")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle = directory / "token-signer.pem"
        self.bundle.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def mint(self, access: list[dict[str, Any]], subject: str = "watchkeep", ttl: int = 300) -> str:
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + ttl,
            "nbf": now - 60,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def push_token(self, repository: str) -> str:
        return self.mint([{"type": "repository", "name": repository, "actions": ["pull", "push"]}])


class _Threaded:
    """A stdlib HTTP server on loopback in a daemon thread."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.owner = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TokenService(_Threaded):
    """The realm: grants pull on the asked scope to `username:password`, refuses anyone else."""

    def __init__(self, signer: TokenSigner, username: str, password: str) -> None:
        self.signer = signer
        self.expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.requests: list[dict[str, list[str]]] = []
        super().__init__(_TokenHandler)

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass

    def do_GET(self) -> None:
        service: TokenService = self.server.owner  # type: ignore[attr-defined]
        query = parse_qs(urlsplit(self.path).query)
        service.requests.append(query)
        if self.headers.get("Authorization") != service.expected:
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in query.get("scope", []):
            kind, name, actions = scope.split(":", 2)
            access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a == "pull"]})
        body = json.dumps({"token": service.signer.mint(access), "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class CountingProxy(_Threaded):
    """Forwards every request to the registry and counts it by method and path; pages tag
    lists by `?n=` with `Link` headers (see `_page`); can answer the next requests itself
    with a status (and Retry-After) instead."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.counts: Counter[tuple[str, str]] = Counter()
        self.failures: list[tuple[int, str | None]] = []
        # Added to every answer (Docker Hub's `ratelimit-remaining`, say)
        self.headers: dict[str, str] = {}
        self.lock = threading.Lock()
        self.client = httpx2.Client(base_url=upstream, timeout=30)
        super().__init__(_ProxyHandler)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def fail_next(self, status: int, retry_after: str | None = None) -> None:
        self.failures.append((status, retry_after))

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()

    def count(self, method: str, kind: str) -> Counter[str]:
        """Requests of `method` on `/v2/<repo>/<kind>/...` (kind: manifests, tags), by path."""
        return Counter({path: n for (m, path), n in self.counts.items() if m == method and f"/{kind}/" in path})

    def close(self) -> None:
        super().close()
        self.client.close()


def _page(path: str, content: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    """The page `?n=&last=` asks for, with a `Link` to the next one, as the distribution
    spec has it: Debian's docker-registry (2.8) answers every tag at once whatever `n` says,
    so the proxy cuts its answer into the pages a registry that paginates (Docker Hub,
    distribution 3) would send."""
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    if "n" not in query:
        return content, []
    size = int(query["n"][0])
    last = query.get("last", [None])[0]
    listing = json.loads(content)
    tags = sorted(listing.get("tags") or [])
    if last is not None:
        tags = [tag for tag in tags if tag > last]
    page, rest = tags[:size], tags[size:]
    links = []
    if rest:
        links.append(("Link", f'<{parts.path}?last={page[-1]}&n={size}>; rel="next"'))
    return json.dumps({**listing, "tags": page}).encode(), links


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        pass

    def _forward(self) -> None:
        proxy: CountingProxy = self.server.owner  # type: ignore[attr-defined]
        with proxy.lock:
            proxy.counts[(self.command, urlsplit(self.path).path)] += 1
            failure = proxy.failures.pop(0) if proxy.failures else None
        if failure is not None:
            self.send_response(failure[0])
            if failure[1] is not None:
                self.send_header("Retry-After", failure[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        upstream = proxy.client.request(self.command, self.path, headers=headers, content=body)
        content = b"" if self.command == "HEAD" else upstream.content
        extra: list[tuple[str, str]] = []
        if upstream.status_code == 200 and urlsplit(self.path).path.endswith("/tags/list"):
            content, extra = _page(self.path, content)
        self.send_response(upstream.status_code)
        for name, value in [*upstream.headers.multi_items(), *extra, *proxy.headers.items()]:
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(name, value)
        self.send_header(
            "Content-Length",
            str(len(content) if self.command != "HEAD" else upstream.headers.get("content-length", "0")),
        )
        self.end_headers()
        if content:
            self.wfile.write(content)

    do_GET = _forward
    do_HEAD = _forward


@dataclass
class Registry:
    """A running docker-registry and a pusher speaking its API."""

    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    signer: TokenSigner | None = None
    log_path: Path | None = None
    _client: httpx2.Client = field(init=False)

    def __post_init__(self) -> None:
        self._client = httpx2.Client(base_url=self.url, timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._client.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _auth(self, repository: str) -> dict[str, str]:
        if self.signer is None:
            return {}
        return {"Authorization": f"Bearer {self.signer.push_token(repository)}"}

    def push_blob(self, repository: str, data: bytes) -> str:
        """POST an upload, PUT its bytes with the digest; returns the digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        auth = self._auth(repository)
        started = self._client.post(f"/v2/{repository}/blobs/uploads/", headers=auth)
        assert started.status_code == 202, started.text
        location = started.headers["Location"]
        separator = "&" if "?" in location else "?"
        done = self._client.put(
            f"{location}{separator}digest={digest}",
            content=data,
            headers={**auth, "Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, done.text
        return digest

    def push_manifest(self, repository: str, reference: str, manifest: dict[str, Any], media_type: str) -> str:
        data = json.dumps(manifest, separators=(",", ":")).encode()
        response = self._client.put(
            f"/v2/{repository}/manifests/{reference}",
            content=data,
            headers={**self._auth(repository), "Content-Type": media_type},
        )
        assert response.status_code == 201, response.text
        digest: str = response.headers["Docker-Content-Digest"]
        assert digest == "sha256:" + hashlib.sha256(data).hexdigest()
        return digest

    def push_image(
        self,
        repository: str,
        tags: list[str],
        *,
        platforms: tuple[str, ...] = ("linux/amd64",),
        labels: dict[str, str] | None = None,
        content: str = "",
    ) -> PushedImage:
        """An image for each platform (its config, one layer, its manifest) and, for more than
        one platform, an index over them; every tag points at the index (or the one manifest).
        `content` makes the layers differ from an earlier push of the same tags."""
        entries = []
        manifests = []
        for platform in platforms:
            os_name, arch, *variant = platform.split("/")
            platform_entry = {"os": os_name, "architecture": arch, **({"variant": variant[0]} if variant else {})}
            layer = f"{repository} {platform} {content}".encode()
            layer_digest = self.push_blob(repository, layer)
            config = {
                **platform_entry,
                "config": {"Labels": labels or {}},
                "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            }
            config_bytes = json.dumps(config).encode()
            config_digest = self.push_blob(repository, config_bytes)
            manifest = {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
                "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest, "size": len(layer)}],
            }
            size = len(json.dumps(manifest, separators=(",", ":")).encode())
            entries.append(
                {"mediaType": OCI_MANIFEST, "digest": digest_of(manifest), "size": size, "platform": platform_entry}
            )
            manifests.append(manifest)
        if len(platforms) == 1:
            top_body, top_type = manifests[0], OCI_MANIFEST
        else:
            for manifest in manifests:
                self.push_manifest(repository, digest_of(manifest), manifest, OCI_MANIFEST)
            top_body, top_type = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, OCI_INDEX
        top = ""
        for tag in tags:
            top = self.push_manifest(repository, tag, top_body, top_type)
        return PushedImage(digest=top, platforms={p: e["digest"] for p, e in zip(platforms, entries, strict=True)})

    def tags(self, repository: str) -> list[str]:
        response = self._client.get(f"/v2/{repository}/tags/list", headers=self._auth(repository))
        return list(response.json().get("tags") or [])


def digest_of(manifest: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(json.dumps(manifest, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class PushedImage:
    digest: str  # what the tags point at: the index, or the one manifest
    platforms: dict[str, str]  # platform → its manifest's digest


def start(directory: Path, *, signer: TokenSigner | None = None, realm: str | None = None) -> Registry:
    """docker-registry serving `directory` on a free loopback port (with token auth when a
    signer and realm are given); returns once it answers."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {directory / 'data'}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  secret: watchkeep-test-secret",
    ]
    if signer is not None and realm is not None:
        lines += [
            "auth:",
            "  token:",
            f"    realm: {realm}",
            f"    service: {SERVICE}",
            f"    issuer: {ISSUER}",
            f"    rootcertbundle: {signer.bundle}",
        ]
    config = directory / "config.yml"
    config.write_text("\n".join(lines) + "\n")
    log_path = directory / "registry.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [shutil.which(REGISTRY) or REGISTRY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    registry = Registry(process=process, port=port, directory=directory, signer=signer, log_path=log_path)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log_path.read_text()}")
        try:
            if httpx2.get(f"{registry.url}/v2/", timeout=1).status_code in (200, 401):
                return registry
        except httpx2.HTTPError:
            pass
        if time.monotonic() > deadline:
            registry.close()
            raise RuntimeError(f"docker-registry did not answer: {log_path.read_text()}")
        time.sleep(0.05)
