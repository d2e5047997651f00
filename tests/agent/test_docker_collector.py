"""The Docker collector against a real engine (a private dockerd started by the test setup)."""

from __future__ import annotations

import logging
import time

import pytest

from tests.support.docker_engine import DockerEngine
from watchkeep.agent.docker import DockerCollector, DockerSample
from watchkeep.protocol.ingest import ServiceStats


def _service(sample: DockerSample, name: str) -> ServiceStats:
    matches = [s for s in sample.services if s.container_name == name]
    assert len(matches) == 1, [s.container_name for s in sample.services]
    return matches[0]


@pytest.fixture
def collector(docker_engine: DockerEngine) -> DockerCollector:
    return DockerCollector(docker_engine.host)


async def test_a_running_container_reports_memory_and_then_cpu_from_its_second_sample(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    docker_engine.run("busy", command=("/bin/sh", "-c", "while :; do :; done"))
    first = await collector.collect()
    busy = _service(first, "busy")
    assert first.available
    assert busy.state == "running"
    assert busy.cpu_percent is None  # no baseline yet
    assert busy.memory_used_mb is not None and busy.memory_used_mb >= 0
    assert busy.memory_limit_mb is not None and busy.memory_limit_mb > 0
    time.sleep(1.0)  # let the container burn CPU between the two samples
    second = _service(await collector.collect(), "busy")
    assert second.cpu_percent is not None and second.cpu_percent > 5
    assert second.block_read_mb is not None and second.block_read_mb >= 0  # blkio may be empty here
    assert second.network_rx_mb is None  # --network none: no networks to sum
    docker_engine.docker("rm", "-f", "busy")


async def test_the_inventory_carries_image_labels_and_network_mode(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    container_id = docker_engine.run("labelled", "--label", "team=ops")
    sample = await collector.collect()
    entry = next(c for c in sample.containers if c.name == "labelled")
    assert entry.id == container_id
    assert entry.image.startswith("watchkeep-test/busybox")
    assert entry.image_id.startswith("sha256:")
    assert entry.labels == {"team": "ops"}
    assert entry.network_mode == "none"
    assert entry.state == "running"
    docker_engine.docker("rm", "-f", "labelled")


async def test_an_exited_container_reports_its_state_without_stats(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    docker_engine.run("done", command=("/bin/true",))
    docker_engine.wait_for("done", "{{.State.Status}}", "exited")
    service = _service(await collector.collect(), "done")
    assert service.state == "exited"
    assert service.cpu_percent is None and service.memory_used_mb is None
    assert service.restart_count == 0
    docker_engine.docker("rm", "-f", "done")


async def test_a_container_restarting_on_failure_reports_its_restart_count(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    docker_engine.run("flaky", "--restart", "on-failure", command=("/bin/false",))
    deadline = time.monotonic() + 60
    while int(docker_engine.inspect("flaky", "{{.RestartCount}}")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    service = _service(await collector.collect(), "flaky")
    assert service.restart_count is not None and service.restart_count >= 2
    assert service.state in ("restarting", "running", "exited")
    docker_engine.docker("rm", "-f", "flaky")


@pytest.mark.parametrize(("command", "expected"), [("/bin/true", "healthy"), ("/bin/false", "unhealthy")])
async def test_health_comes_from_the_containers_healthcheck(
    docker_engine: DockerEngine, collector: DockerCollector, command: str, expected: str
) -> None:
    name = f"health-{expected}"
    docker_engine.run(name, "--health-cmd", command, "--health-interval", "1s", "--health-retries", "1")
    docker_engine.wait_for(name, "{{.State.Health.Status}}", expected)
    service = _service(await collector.collect(), name)
    assert service.health == expected
    assert service.state == "running"
    docker_engine.docker("rm", "-f", name)


async def test_a_restarted_container_starts_a_new_cpu_baseline(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    docker_engine.run("again")
    await collector.collect()
    assert _service(await collector.collect(), "again").cpu_percent is not None
    docker_engine.docker("restart", "-t", "0", "again")
    assert _service(await collector.collect(), "again").cpu_percent is None
    docker_engine.docker("rm", "-f", "again")


async def test_host_networking_reports_no_network_figures(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    docker_engine.docker("run", "-d", "--name", "hostnet", "--network", "host", "watchkeep-test/busybox:local",
                         "/bin/sleep", "3600")  # fmt: skip
    sample = await collector.collect()
    service = _service(sample, "hostnet")
    assert service.network_rx_mb is None and service.network_tx_mb is None
    assert next(c for c in sample.containers if c.name == "hostnet").network_mode == "host"
    docker_engine.docker("rm", "-f", "hostnet")


async def test_without_a_docker_socket_the_collector_says_so_once(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    collector = DockerCollector(f"unix://{tmp_path}/missing.sock")
    with caplog.at_level(logging.INFO, logger="watchkeep.agent"):
        first = await collector.collect()
        second = await collector.collect()
    assert not first.available and not second.available
    assert first.services == [] and first.containers == []
    assert sum("no Docker engine" in r.getMessage() for r in caplog.records) == 1


async def test_an_exited_container_reports_how_it_exited(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    docker_engine.run("failed", command=("/bin/sh", "-c", "exit 3"))
    docker_engine.wait_for("failed", "{{.State.Status}}", "exited")
    service = _service(await collector.collect(), "failed")
    assert (service.exit_code, service.oom_killed) == (3, False)
    assert service.finished_at is not None and service.finished_at.endswith("Z")
    assert len(service.finished_at) == len("2026-01-01T00:00:00.000Z")
    docker_engine.docker("rm", "-f", "failed")


async def test_a_created_container_that_never_ran_reports_no_exit(
    docker_engine: DockerEngine, collector: DockerCollector
) -> None:
    docker_engine.docker("create", "--name", "never", "--network", "none", "watchkeep-test/busybox:local", "/bin/true")
    service = _service(await collector.collect(), "never")
    assert service.state == "created"
    assert (service.exit_code, service.oom_killed, service.finished_at) == (None, None, None)
    docker_engine.docker("rm", "-f", "never")
