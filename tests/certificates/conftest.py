"""Certificate tests: a real hub on loopback whose time is a FrozenClock (set to now, as the
certificates served are dated from the wall clock), a trustme CA the hub trusts through
`certificate_ca_bundle`, TLS servers on loopback, and the hub's check loop stepped by the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import trustme

from tests.certificates.tls import Served, TlsServer, issued, tls_server
from tests.support.events import settled
from tests.support.hub import RunningHub
from watchkeep.certificates.worker import CertificateWorker
from watchkeep.core.clock import FrozenClock

# The hub's own loop makes one pass at start and then waits: tests step it themselves.
QUIET = {"certificate_check_interval_seconds": 3600, "alerts_evaluate_seconds": 3600}


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """SQLite; a test marked `BOTH_STORES` runs on PostgreSQL too."""
    kind = getattr(request, "param", "sqlite")
    url: str = request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[kind])
    return url


BOTH_STORES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "trusted-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@dataclass
class Certificates:
    running: RunningHub
    clock: FrozenClock
    ca: trustme.CA
    directory: Path

    @property
    def api(self) -> httpx2.AsyncClient:
        return self.running.admin

    @property
    def worker(self) -> CertificateWorker:
        worker: CertificateWorker = self.running.app.state.certificate_checks
        return worker

    def server(self, served: Served) -> AbstractAsyncContextManager[TlsServer]:
        return tls_server(self.directory, served)

    def issued(self, *names: str, **kwargs: Any) -> Served:
        return issued(self.ca, *names, **kwargs)

    async def create(self, port: int, **fields: Any) -> dict[str, Any]:
        body = {"host": "127.0.0.1", "port": port, "sni": "localhost", **fields}
        response = await self.api.post("/api/v1/certificates", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get(self, certificate_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/api/v1/certificates/{certificate_id}")
        assert response.status_code == 200, response.text
        got: dict[str, Any] = response.json()
        return got

    async def check(self) -> None:
        """Run the check loop's step until nothing is due."""
        while await self.worker.step():
            pass

    async def checked(self, port: int, **fields: Any) -> dict[str, Any]:
        """Create a monitor, check it once, and return its details."""
        created = await self.create(port, **fields)
        await self.check()
        return await self.get(created["id"])

    async def alerts(self, **params: Any) -> list[dict[str, Any]]:
        await settled(self.running)
        response = await self.api.get("/api/v1/alerts", params={"source": "certificate", **params})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def active(self) -> dict[str, dict[str, Any]]:
        """Active certificate alerts by type."""
        return {a["type"]: a for a in await self.alerts() if a["status"] == "active"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def certificates(
    start_hub: Callable[..., AbstractAsyncContextManager[RunningHub]],
    clock: FrozenClock,
    ca: trustme.CA,
    ca_file: Path,
    tmp_path: Path,
) -> AsyncIterator[Certificates]:
    async with start_hub(clock=clock, certificate_ca_bundle=str(ca_file), **QUIET) as running:
        yield Certificates(running, clock, ca, tmp_path)
