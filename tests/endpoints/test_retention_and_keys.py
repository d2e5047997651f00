"""Raw results past their retention are dropped while the rollups keep the history; a hub
whose key does not open the endpoints' sealed headers is stopped at start (the check the
hub runs before serving)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.endpoints.conftest import QUIET, Endpoints
from tests.endpoints.servers import http_server
from tests.support.hub import running_hub
from watchkeep.core.config import Settings
from watchkeep.core.crypto import SecretKeyError
from watchkeep.core.hub import Hub
from watchkeep.endpoints.service import EndpointService
from watchkeep.endpoints.worker import retention_step

KEY_A = "the-first-key-of-this-hub-0123456789"
KEY_B = "another-key-entirely-0123456789abcdef"


async def test_results_past_their_retention_go_and_the_daily_uptime_stays(endpoints: Endpoints) -> None:
    async with http_server() as server:
        endpoint = await endpoints.create(type="http", target=f"{server}/ok", intervalSeconds=60)
        await endpoints.check(endpoint["id"])
        endpoints.clock.advance(47 * 3600)
        await endpoints.check(endpoint["id"])
    endpoints.clock.advance(2 * 3600)  # the first result is now 49 hours old; the limit is 48
    await retention_step(endpoints.running.hub)
    assert len(await endpoints.results(endpoint["id"])) == 1
    days = (await endpoints.api.get(f"/api/v1/endpoints/{endpoint['id']}/uptime/daily", params={"days": 3})).json()
    assert sum(day["checks"] for day in days) == 2


async def test_another_key_that_does_not_open_the_stored_headers_stops_the_check_at_start(
    sqlite_url: str, settings_for: Callable[..., Settings]
) -> None:
    async with running_hub(settings_for(sqlite_url, secret_key=KEY_A, **QUIET)) as running:
        body = {
            "name": "api",
            "type": "http",
            "target": "http://127.0.0.1:9/",
            "http": {"headers": {"Authorization": "Bearer sk-0123456789abcdef"}},
        }
        assert (await running.admin.post("/api/v1/endpoints", json=body)).status_code == 201
        await EndpointService(running.hub).check_stored_secrets()
        other = Hub(
            settings=settings_for(sqlite_url, secret_key=KEY_B), store=running.hub.store, clock=running.hub.clock
        )
        with pytest.raises(SecretKeyError, match="does not decrypt"):
            await EndpointService(other).check_stored_secrets()
