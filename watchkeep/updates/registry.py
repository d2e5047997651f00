"""A client of the OCI distribution API (`/v2/`): Docker Hub, GHCR, Quay and any registry
that speaks it.

Auth follows each registry's challenge: the first request to a host is `GET /v2/`, whose
`WWW-Authenticate` says how the host wants to be spoken to. `Bearer realm=,service=` sends
the client to the token service (with the host's basic credentials, if configured, else
anonymously) for a token per repository scope, cached until it expires; `Basic` sends the
configured credentials on every request; a configured static token is sent as a bearer.

Each host has its own gate: at most `concurrency` requests at once, and after a 429 (or a
503 with `Retry-After`) nothing more until the time it asked for. Failed requests are
retried with backoff. Docker Hub counts manifest GETs against an anonymous pull limit (a
HEAD is free): its `ratelimit-remaining` header (any registry's that sends one) is tracked,
and once it reaches zero no GET is sent to it until the window has passed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

from watchkeep.core.clock import Clock, SystemClock
from watchkeep.updates.references import DOCKER_HUB_API, is_docker_hub

log = logging.getLogger("watchkeep.updates")

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """A registry answered with an error or could not be reached; `message` says which."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RateLimited(RegistryError):
    pass


@dataclass(frozen=True)
class Credentials:
    username: str | None = None
    password: str | None = None
    token: str | None = None  # a static bearer token, sent as is

    def basic(self) -> str | None:
        if self.username is None:
            return None
        pair = f"{self.username}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode()


def parse_credentials(table: dict[str, Any]) -> dict[str, Credentials]:
    """host → credentials from `WATCHKEEP_REGISTRY_AUTH`'s table; Docker Hub's aliases all
    mean its API host. Raises ValueError naming the host whose entry is wrong."""
    found: dict[str, Credentials] = {}
    for host, entry in table.items():
        if not isinstance(entry, dict):
            raise ValueError(f"registry_auth.{host}: a table of username and password, or token")
        unknown = set(entry) - {"username", "password", "token"}
        if unknown:
            raise ValueError(f"registry_auth.{host}: unknown key {sorted(unknown)[0]!r}")
        if not entry.get("token") and not entry.get("username"):
            raise ValueError(f"registry_auth.{host}: give username and password, or token")
        if entry.get("username") and entry.get("password") is None:
            raise ValueError(f"registry_auth.{host}: a username needs a password")
        key = DOCKER_HUB_API if is_docker_hub(host) else host.lower()
        found[key] = Credentials(
            username=entry.get("username"), password=entry.get("password"), token=entry.get("token")
        )
    return found


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    @staticmethod
    def parse(text: str | None) -> Platform:
        """`linux/arm64/v8`; an empty or missing value is linux/amd64."""
        parts = [p for p in (text or "").split("/") if p]
        if len(parts) < 2:
            return Platform()
        return Platform(parts[0], parts[1], parts[2] if len(parts) > 2 else None)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def matches(self, entry: dict[str, Any]) -> bool:
        if entry.get("os") != self.os or entry.get("architecture") != self.architecture:
            return False
        # arm64 images often omit v8; a variant we do not know matches any
        return self.variant is None or entry.get("variant") in (None, self.variant)


@dataclass(frozen=True)
class ManifestHead:
    digest: str
    media_type: str

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    body: dict[str, Any]

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def digest_for(self, platform: Platform) -> str | None:
        """The digest of the platform's image: the index entry for it, or this manifest's own."""
        if not self.is_index:
            return self.digest
        for entry in self.body.get("manifests") or []:
            if platform.matches(entry.get("platform") or {}):
                digest = entry.get("digest")
                return str(digest) if digest else None
        return None


@dataclass
class _Challenge:
    scheme: str  # bearer | basic | none
    realm: str | None = None
    service: str | None = None


@dataclass
class _Gate:
    """One registry host's limits: concurrency, a pause asked for by the registry, and Docker
    Hub's remaining pulls."""

    slots: asyncio.Semaphore
    challenge: _Challenge | None = None
    challenge_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    paused_until_ms: int = 0
    pulls_remaining: int | None = None
    pulls_reset_ms: int = 0


def _retry_after_seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(float(value.strip()), 0.0)
    except ValueError:
        return None  # an HTTP date: rare from registries; back off as usual


def _ratelimit(value: str | None) -> tuple[int, int] | None:
    """`ratelimit-remaining: 76;w=21600` → (76, 21600)."""
    if not value:
        return None
    count, _, rest = value.partition(";")
    window = rest.strip().removeprefix("w=")
    try:
        return int(count.strip()), int(window) if window else 21_600
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class RegistryClient:
    """One client for a scan (or longer): keeps tokens, challenges and each host's gate."""

    def __init__(
        self,
        credentials: dict[str, Credentials] | None = None,
        *,
        timeout: float = 20.0,
        concurrency: int = 4,
        page_size: int = 100,
        insecure_hosts: frozenset[str] = frozenset(),
        retries: int = 3,
        max_wait_seconds: float = 60.0,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        verify: Any = True,
    ) -> None:
        self.credentials = credentials or {}
        self.page_size = page_size
        self.insecure_hosts = insecure_hosts
        self.retries = retries
        self.max_wait_seconds = max_wait_seconds
        self.clock = clock or SystemClock()
        self._sleep = sleep
        self._concurrency = concurrency
        self._gates: dict[str, _Gate] = {}
        self._tokens: dict[tuple[str, str], tuple[str, int]] = {}
        self._client = httpx2.AsyncClient(timeout=timeout, follow_redirects=True, verify=verify)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def base_url(self, host: str) -> str:
        plain = host in self.insecure_hosts or _is_loopback(host)
        return f"{'http' if plain else 'https'}://{host}"

    def _gate(self, host: str) -> _Gate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = _Gate(asyncio.Semaphore(self._concurrency))
        return gate

    def pulls_remaining(self, host: str) -> int | None:
        """What Docker Hub's last `ratelimit-remaining` said (None: never said)."""
        gate = self._gates.get(host)
        return None if gate is None else gate.pulls_remaining

    # Auth

    async def _challenge(self, host: str) -> _Challenge:
        gate = self._gate(host)
        async with gate.challenge_lock:
            if gate.challenge is None:
                response = await self._send(host, "GET", "/v2/", {})
                gate.challenge = self._read_challenge(response)
            return gate.challenge

    @staticmethod
    def _read_challenge(response: httpx2.Response) -> _Challenge:
        header = response.headers.get("www-authenticate", "")
        if response.status_code != 401 or not header:
            return _Challenge("none")
        scheme, _, rest = header.partition(" ")
        params = dict(_PARAM.findall(rest))
        if scheme.lower() == "bearer":
            return _Challenge("bearer", params.get("realm"), params.get("service"))
        return _Challenge("basic")

    async def _authorization(self, host: str, repository: str) -> str | None:
        creds = self.credentials.get(host)
        if creds is not None and creds.token:
            return f"Bearer {creds.token}"
        challenge = await self._challenge(host)
        if challenge.scheme == "basic":
            if creds is None or creds.basic() is None:
                raise RegistryError(f"{host} asks for credentials and none are configured", 401)
            return creds.basic()
        if challenge.scheme == "bearer":
            return f"Bearer {await self._token(host, challenge, f'repository:{repository}:pull')}"
        return creds.basic() if creds is not None else None

    async def _token(self, host: str, challenge: _Challenge, scope: str) -> str:
        now = self.clock.now_ms()
        cached = self._tokens.get((host, scope))
        if cached is not None and cached[1] > now:
            return cached[0]
        if not challenge.realm:
            raise RegistryError(f"{host} asks for a bearer token but names no token service", 401)
        params = {"scope": scope}
        if challenge.service:
            params["service"] = challenge.service
        creds = self.credentials.get(host)
        headers = {}
        if creds is not None and creds.basic():
            headers["Authorization"] = creds.basic() or ""
        try:
            response = await self._client.get(challenge.realm, params=params, headers=headers)
        except httpx2.HTTPError as exc:
            raise RegistryError(f"token service of {host}: {exc.__class__.__name__}: {exc}") from exc
        if response.status_code != 200:
            raise RegistryError(f"token service of {host} answered {response.status_code}", response.status_code)
        try:
            data = response.json()
            token = str(data.get("token") or data.get("access_token"))
            expires_in = int(data.get("expires_in") or 60)
        except (ValueError, AttributeError) as exc:
            raise RegistryError(f"token service of {host} answered no token") from exc
        # Renewed a little early: a token that expires in flight costs a 401 and a retry.
        self._tokens[(host, scope)] = (token, now + max(expires_in - 10, 5) * 1000)
        return token

    # Requests

    async def _send(self, host: str, method: str, path: str, headers: dict[str, str]) -> httpx2.Response:
        """One request through the host's gate, retried on 429 and 5xx with the wait the
        registry asks for (`Retry-After`), else 1 s, 2 s, 4 s."""
        gate = self._gate(host)
        url = path if path.startswith(("http://", "https://")) else self.base_url(host) + path
        attempt = 0
        while True:
            wait_ms = gate.paused_until_ms - self.clock.now_ms()
            if wait_ms > self.max_wait_seconds * 1000:
                raise RateLimited(f"{host} asked to wait {wait_ms // 1000} s before the next request", 429)
            if wait_ms > 0:
                await self._sleep(wait_ms / 1000)
            try:
                async with gate.slots:
                    response = await self._client.request(method, url, headers=headers)
            except httpx2.HTTPError as exc:
                if attempt >= self.retries:
                    raise RegistryError(f"{host}: {exc.__class__.__name__}: {exc}") from exc
                await self._sleep(2.0**attempt)
                attempt += 1
                continue
            self._note_pull_limit(host, response)
            if response.status_code not in RETRIED_STATUSES:
                return response
            after = _retry_after_seconds(response.headers.get("retry-after"))
            if after is not None:
                gate.paused_until_ms = max(gate.paused_until_ms, self.clock.now_ms() + int(after * 1000))
            if attempt >= self.retries or (after is not None and after > self.max_wait_seconds):
                error = RateLimited if response.status_code == 429 else RegistryError
                raise error(f"{host} answered {response.status_code} to {method} {path}", response.status_code)
            if after is None:
                await self._sleep(2.0**attempt)
            attempt += 1

    def _note_pull_limit(self, host: str, response: httpx2.Response) -> None:
        limit = _ratelimit(response.headers.get("ratelimit-remaining"))
        if limit is not None:
            gate = self._gate(host)
            gate.pulls_remaining = limit[0]
            gate.pulls_reset_ms = self.clock.now_ms() + limit[1] * 1000

    async def _request(
        self, host: str, repository: str, method: str, path: str, accept: str | None = None
    ) -> httpx2.Response:
        headers = {}
        if accept:
            headers["Accept"] = accept
        auth = await self._authorization(host, repository)
        if auth:
            headers["Authorization"] = auth
        response = await self._send(host, method, path, headers)
        if response.status_code == 401 and auth and auth.startswith("Bearer") and host not in self.credentials:
            # The cached token was refused (revoked, or the service's clock differs): once more with a new one.
            self._tokens.pop((host, f"repository:{repository}:pull"), None)
            headers["Authorization"] = await self._authorization(host, repository) or ""
            response = await self._send(host, method, path, headers)
        if response.status_code == 401:
            raise RegistryError(f"{host} refused the credentials for {repository}", 401)
        if response.status_code == 403:
            raise RegistryError(f"{host} denies access to {repository}", 403)
        if response.status_code == 404:
            raise RegistryError(f"{host} has no {path.rsplit('/', 1)[-1]} in {repository}", 404)
        if response.status_code >= 400:
            raise RegistryError(f"{host} answered {response.status_code} to {method} {path}", response.status_code)
        return response

    async def head_manifest(self, host: str, repository: str, reference: str) -> ManifestHead:
        """The digest and media type of a tag (or digest), without downloading the manifest."""
        response = await self._request(
            host, repository, "HEAD", f"/v2/{repository}/manifests/{reference}", MANIFEST_ACCEPT
        )
        digest = response.headers.get("docker-content-digest")
        if not digest:
            raise RegistryError(f"{host} sent no Docker-Content-Digest for {repository}:{reference}")
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        return ManifestHead(digest=digest, media_type=media_type)

    async def get_manifest(self, host: str, repository: str, reference: str) -> Manifest:
        """The manifest or index itself (on Docker Hub this counts as a pull)."""
        gate = self._gate(host)
        if gate.pulls_remaining is not None and gate.pulls_remaining <= 0:
            if self.clock.now_ms() < gate.pulls_reset_ms:
                who = "Docker Hub's" if host == DOCKER_HUB_API else f"{host}'s"
                raise RateLimited(f"{who} pull limit is used up; the next scan tries again", 429)
            gate.pulls_remaining = None
        response = await self._request(
            host, repository, "GET", f"/v2/{repository}/manifests/{reference}", MANIFEST_ACCEPT
        )
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            raise RegistryError(f"{host} sent a manifest that is not JSON for {repository}:{reference}") from exc
        media_type = response.headers.get("content-type", "").split(";")[0].strip() or str(body.get("mediaType", ""))
        digest = response.headers.get("docker-content-digest")
        if not digest:
            digest = "sha256:" + hashlib.sha256(response.content).hexdigest()
        return Manifest(digest=digest, media_type=media_type, body=body)

    async def list_tags(self, host: str, repository: str) -> list[str]:
        """Every tag of the repository, following the `Link` header page by page."""
        tags: list[str] = []
        path: str | None = f"/v2/{repository}/tags/list?n={self.page_size}"
        pages = 0
        while path is not None:
            response = await self._request(host, repository, "GET", path)
            try:
                tags.extend(str(tag) for tag in (response.json().get("tags") or []))
            except (ValueError, AttributeError) as exc:
                raise RegistryError(f"{host} sent a tag list that is not JSON for {repository}") from exc
            following = response.links.get("next", {}).get("url")
            pages += 1
            if pages >= 1000:  # a registry that links in a circle
                break
            path = following or None
        return tags
