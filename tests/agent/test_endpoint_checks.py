"""The agent runs the endpoint checks its config lists, each on its own interval, with the
hub's check code, and sends their results in the payload."""

from __future__ import annotations

from typing import Any

from tests.endpoints.servers import closed_port, http_server
from watchkeep.agent.endpoints import EndpointChecker
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.agent.sampler import Sampler
from watchkeep.protocol.ingest import AgentConfig, EndpointCheck, EndpointHttp, decode_ingest, encode


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _checks(base: str, port: int) -> list[EndpointCheck]:
    return [
        EndpointCheck(
            id="ep_ok",
            type="http",
            target=f"{base}/ok",
            interval_seconds=30,
            timeout_seconds=5,
            http=EndpointHttp(body_contains="hello"),
        ),
        EndpointCheck(
            id="ep_500",
            type="http",
            target=f"{base}/status/500",
            interval_seconds=60,
            timeout_seconds=5,
            http=EndpointHttp(expected_status="2xx"),
        ),
        EndpointCheck(id="ep_tcp", type="tcp", target=f"127.0.0.1:{port}", interval_seconds=30, timeout_seconds=2),
    ]


async def test_checks_run_on_their_interval_and_report_up_and_down() -> None:
    ticks = Ticks()
    checker = EndpointChecker(monotonic=ticks)
    try:
        async with http_server() as base:
            checks = _checks(base, closed_port())
            first = {r.endpoint_id: r for r in await checker.run(checks)}
            assert first["ep_ok"].status == "up" and first["ep_ok"].http_status == 200
            assert first["ep_500"].status == "down" and first["ep_500"].http_status == 500
            assert first["ep_tcp"].status == "down" and first["ep_tcp"].error
            assert all(r.checked_at is not None for r in first.values())
            ticks.now += 10
            assert await checker.run(checks) == []  # none due yet
            ticks.now += 20
            assert sorted(r.endpoint_id for r in await checker.run(checks)) == ["ep_ok", "ep_tcp"]
            ticks.now += 30
            assert sorted(r.endpoint_id for r in await checker.run(checks)) == ["ep_500", "ep_ok", "ep_tcp"]
    finally:
        await checker.aclose()


async def test_the_sample_carries_the_results_and_the_hub_accepts_them() -> None:
    checker = EndpointChecker()
    sampler = Sampler(HostCollector(), endpoints=checker)
    try:
        async with http_server() as base:
            config = AgentConfig(
                server_id="agent_1",
                server_name="web-1",
                push_interval_seconds=15,
                endpoint_checks=_checks(base, closed_port()),
            )
            payload = await sampler.sample(config)
    finally:
        await checker.aclose()
    decoded = decode_ingest(encode(payload))
    statuses: dict[str, Any] = {r.endpoint_id: r.status for r in decoded.endpoint_results}
    assert statuses == {"ep_ok": "up", "ep_500": "down", "ep_tcp": "down"}
    assert "endpoints" not in payload.collector_errors
