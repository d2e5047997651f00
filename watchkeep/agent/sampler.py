"""One sample: host, containers and checks assembled into the native ingest payload. A failing
collector is logged and named in `collectorErrors`; the rest of the payload still ships."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from watchkeep import __version__
from watchkeep.agent.checks import CheckRunner
from watchkeep.agent.docker import DockerCollector
from watchkeep.agent.endpoints import EndpointChecker
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.protocol.ingest import MAX_LOG_BATCHES, AgentConfig, IngestPayload, MetricsConfig

log = logging.getLogger("watchkeep.agent")


def rfc3339(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Sampler:
    def __init__(
        self,
        host: HostCollector,
        docker: DockerCollector | None = None,
        checks: CheckRunner | None = None,
        now: Callable[[], float] = time.time,
        endpoints: EndpointChecker | None = None,
    ) -> None:
        self.host = host
        self.docker = docker
        self.checks = checks
        self.endpoints = endpoints
        self._now = now

    async def sample(self, config: AgentConfig | None = None, dropped_payloads: int = 0) -> IngestPayload:
        metrics = config.metrics_config if config is not None else MetricsConfig()
        payload = IngestPayload(timestamp=rfc3339(self._now()), agent_version=__version__)
        errors: dict[str, str] = {}
        try:
            host = await self.host.collect(metrics)
            for name, value in host.fields.items():
                setattr(payload, name, value)
            errors.update(host.errors)
        except Exception as exc:
            log.exception("host collector failed")
            errors["host"] = _failure(exc)
        if self.docker is not None:
            try:
                containers = await self.docker.collect(config.log_requests if config is not None else ())
                payload.containers, payload.services = containers.containers, containers.services
                payload.container_logs = containers.logs[:MAX_LOG_BATCHES]
                errors.update(containers.errors)
            except Exception as exc:
                log.exception("docker collector failed")
                errors["docker"] = _failure(exc)
        if self.checks is not None:
            try:
                services = config.services if config is not None else []
                results = await self.checks.run(services, metrics.collect_tcp_checks, metrics.collect_cert_checks)
                payload.service_health_checks = results.http
                payload.tcp_check_results = results.tcp
                payload.cert_check_results = results.certs
            except Exception as exc:
                log.exception("checks failed")
                errors["checks"] = _failure(exc)
        if self.endpoints is not None and config is not None and config.endpoint_checks:
            try:
                payload.endpoint_results = await self.endpoints.run(config.endpoint_checks)
            except Exception as exc:
                log.exception("endpoint checks failed")
                errors["endpoints"] = _failure(exc)
        payload.server_healthy = "cpu" not in errors and "memory" not in errors and "host" not in errors
        payload.dropped_payloads = dropped_payloads
        payload.collector_errors = errors
        return payload

    async def sample_logs(self, config: AgentConfig) -> IngestPayload | None:
        """A payload of log lines only (the answers to the config's log requests), or None
        when there is nothing to send."""
        if self.docker is None or not config.log_requests:
            return None
        logs = await self.docker.collect_logs(config.log_requests)
        if not logs:
            return None
        return IngestPayload(timestamp=rfc3339(self._now()), agent_version=__version__, container_logs=logs)
