"""Builds the agent from its settings and runs it until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from watchkeep.agent.checks import CheckRunner
from watchkeep.agent.config import AgentSettings
from watchkeep.agent.docker import DockerCollector
from watchkeep.agent.endpoints import EndpointChecker
from watchkeep.agent.hostcollector import HostCollector
from watchkeep.agent.hubclient import HubClient
from watchkeep.agent.runner import Agent, Backoff
from watchkeep.agent.sampler import Sampler
from watchkeep.agent.spool import Spool
from watchkeep.protocol.ingest import encode

log = logging.getLogger("watchkeep.agent")

CPU_WARMUP_SECONDS = 1.0


def build_sampler(settings: AgentSettings) -> Sampler:
    return Sampler(
        host=HostCollector(settings.host_root, settings.statfs_timeout_seconds),
        docker=DockerCollector(settings.docker_host, settings.docker_concurrency),
        checks=CheckRunner(settings.checks),
        endpoints=EndpointChecker(),
    )


def build_agent(settings: AgentSettings) -> Agent:
    hub = HubClient(
        settings.hub,
        token=settings.agent_token,
        api_key=settings.api_key,
        name=settings.name,
        timeout=settings.request_timeout_seconds,
        registration_file=settings.spool_dir / "registration.json",
    )
    spool = Spool(settings.spool_dir, settings.spool_max_bytes, settings.spool_max_age_seconds)
    return Agent(
        build_sampler(settings),
        spool,
        hub,
        interval=settings.interval,
        config_refresh=settings.config_refresh_seconds,
        backoff=Backoff(cap=settings.backoff_max_seconds),
    )


async def print_once(settings: AgentSettings) -> None:
    """One payload as JSON on stdout; CPU figures need two readings a moment apart."""
    sampler = build_sampler(settings)
    try:
        await sampler.host.collect()
        await asyncio.sleep(CPU_WARMUP_SECONDS)
        payload = await sampler.sample()
    finally:
        if sampler.checks is not None:
            await sampler.checks.aclose()
        if sampler.endpoints is not None:
            await sampler.endpoints.aclose()
    sys.stdout.write(encode(payload).decode() + "\n")


async def run_agent(settings: AgentSettings) -> None:
    agent = build_agent(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    interval, source = agent.interval_and_source()
    log.info(
        "watchkeep agent pushing to %s every %g s (%s; spool %s)", settings.hub, interval, source, settings.spool_dir
    )
    try:
        await agent.run(stop)
    finally:
        await agent.hub.aclose()
        if agent.sampler.checks is not None:
            await agent.sampler.checks.aclose()
        if agent.sampler.endpoints is not None:
            await agent.sampler.endpoints.aclose()
