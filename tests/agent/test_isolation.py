"""A failing collector costs only its own figures: a Docker engine answering nonsense is named
in collectorErrors and the host metrics still ship."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.agent.loopback import serving
from tests.support.process import free_port
from watchkeep.agent.docker import DockerCollector
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.agent.sampler import Sampler


async def _nonsense(_: object) -> JSONResponse:
    return JSONResponse([{"Names": ["/no-id"]}])  # a container without its Id


async def test_a_docker_engine_answering_nonsense_does_not_stop_the_sample() -> None:
    port = free_port()
    app = Starlette(routes=[Route("/containers/json", _nonsense)])
    async with serving(app, port):
        sampler = Sampler(HostCollector(), DockerCollector(f"tcp://127.0.0.1:{port}"))
        payload = await sampler.sample()
    assert "docker" in payload.collector_errors and "KeyError" in payload.collector_errors["docker"]
    assert payload.memory_total_mb is not None and payload.top_processes is not None
    assert payload.server_healthy is True


async def test_a_docker_engine_answering_errors_is_reported_as_absent() -> None:
    port = free_port()
    async with serving(Starlette(), port):  # every path answers 404
        sample = await DockerCollector(f"tcp://127.0.0.1:{port}").collect()
    assert sample.available is False and sample.services == []
