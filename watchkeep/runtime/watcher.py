"""The local runtime: the hub follows its own host's Docker engine (`WATCHKEEP_DOCKER_HOST`).

Each container event from the engine's `/events` stream becomes a transition at once: the
container is inspected, the event's action says its new state (or health), and a `die` brings
its exit code, whether the OOM killer ended it, whether a stop was requested (a `kill` event
came first) and its last log lines. After each (re)connect the full inventory is reconciled,
so what changed while the stream was down (containers removed meanwhile are archived) is
caught up. A dropped stream is reconnected after 1 s, doubling to 30 s.

The containers belong to the hub's own agent (agents/selfmonitor.py `own_agent`); every
replica watches its own host. Stats are sampled by `RuntimeStats` every
`WATCHKEEP_DOCKER_STATS_INTERVAL` seconds; while the watcher follows the engine, it alone
records state, health and restart counts, so the two never disagree on a transition."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchkeep.agent.docker import inventory_entry
from watchkeep.agents.selfmonitor import own_agent
from watchkeep.containers.model import ContainerInfo
from watchkeep.containers.service import ContainerService
from watchkeep.core.hub import Hub
from watchkeep.protocol.docker import EngineClient, EngineUnavailable, ImageFactsCache, LogLine, NoSuchContainer

log = logging.getLogger("watchkeep.runtime")

LOG_TAIL_LINES = 20
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
# The state an action leaves a container in; `destroy` reconciles, `kill` and `oom` are noted.
STATE_AFTER = {"create": "created", "start": "running", "unpause": "running", "pause": "paused", "die": "exited"}
REFRESH_ONLY = frozenset({"rename", "update"})
# Signals `docker stop` and `docker kill` send to end a container (SIGINT, SIGKILL, SIGTERM).
STOP_SIGNALS = frozenset({"2", "9", "15", "SIGINT", "SIGKILL", "SIGTERM"})


def _created_ms(stamp: str) -> int | None:
    try:
        whole, _, fraction = stamp.rstrip("Z").partition(".")
        return int(datetime.fromisoformat(f"{whole}.{(fraction + '000000')[:6]}+00:00").timestamp() * 1000)
    except ValueError:
        return None


def from_inspect(inspect: dict[str, Any], summary: dict[str, Any] | None = None) -> ContainerInfo:
    """The container as the engine's inspect (and, when given, its `docker ps` line) shows it."""
    config = inspect.get("Config") or {}
    state = inspect.get("State") or {}
    info = ContainerInfo(
        id=str(inspect["Id"]),
        name=str(inspect.get("Name") or inspect["Id"][:12]).lstrip("/"),
        image=config.get("Image"),
        image_id=inspect.get("Image"),
        state=state.get("Status"),
        health=(state.get("Health") or {}).get("Status"),
        restart_count=int(inspect.get("RestartCount") or 0),
        labels={str(k): str(v) for k, v in (config.get("Labels") or {}).items()},
        network_mode=(inspect.get("HostConfig") or {}).get("NetworkMode"),
        created_ms=_created_ms(str(inspect.get("Created") or "")),
        exit_code=int(state.get("ExitCode") or 0),
        oom_killed=bool(state.get("OOMKilled")),
    )
    if summary is not None:
        entry = inventory_entry(summary)
        info.status, info.ports, info.mounts = entry.status, entry.ports, entry.mounts
    return info


def _tail_line(line: LogLine) -> dict[str, Any]:
    return {"stream": line.stream, "at": line.at, "text": line.text}


@dataclass
class Following:
    """Whether this hub follows its engine's events now (one per hub process)."""

    following: bool = False
    last_error: str | None = None


@dataclass
class _BeforeDie:
    requested_stop: bool = False
    oom: bool = False


class RuntimeWatcher:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.state = hub.local(Following)
        self._task: asyncio.Task[None] | None = None
        self._before_die: dict[str, _BeforeDie] = {}
        self._images = ImageFactsCache()

    async def _with_images(self, client: EngineClient, infos: list[ContainerInfo], *, keep: bool = False) -> None:
        """Each container with its image's digests, labels and platform (image updates);
        `keep` keeps the other images' facts (a single container's event, not an inventory)."""
        wanted = [info.image_id or "" for info in infos] + (self._images.known() if keep else [])
        facts = await self._images.facts(client, wanted)
        for info in infos:
            image = facts.get(info.image_id or "")
            if image is not None:
                info.repo_digests, info.image_labels = image.repo_digests, image.labels
                info.platform = image.platform or None

    @property
    def following(self) -> bool:
        return self.state.following

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="watchkeep-runtime")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.state.following = False

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST_SECONDS
        quiet = False  # an engine that is not there is said once, not at every retry
        while True:
            connected = False
            try:
                connected = await self._follow()
            except EngineUnavailable as exc:
                connected = self.state.following
                if self.state.following or not quiet:
                    log.info("local Docker engine at %s: %s", self.hub.settings.docker_host, exc)
                quiet = not self.state.following
                self.state.last_error = str(exc)
            except Exception as exc:
                log.exception("following the local Docker engine failed")
                self.state.last_error = f"{type(exc).__name__}: {exc}"
            self.state.following = False
            if connected:
                backoff = BACKOFF_FIRST_SECONDS
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    async def _follow(self) -> bool:
        """Connect, reconcile, then follow the events until the stream drops (that raises)."""
        async with EngineClient(self.hub.settings.docker_host) as client:
            opened = asyncio.Event()
            stream = client.events(opened=opened)
            first = asyncio.ensure_future(anext(stream))
            waiting = asyncio.ensure_future(opened.wait())
            try:
                await asyncio.wait({first, waiting}, return_when=asyncio.FIRST_COMPLETED)
                if not opened.is_set():
                    first.result()  # raises why the engine did not answer
                agent_id = (await own_agent(self.hub)).agent_id
                await self.reconcile(client, agent_id)
                self.state.following, self.state.last_error = True, None
                log.info("following the local Docker engine at %s", self.hub.settings.docker_host)
                event = await first
                while True:
                    try:
                        await self.handle(client, agent_id, event)
                    except EngineUnavailable:
                        raise
                    except Exception:
                        log.exception("a Docker event could not be recorded: %s", event)
                    event = await anext(stream)
            finally:
                waiting.cancel()
                first.cancel()
                with contextlib.suppress(BaseException):
                    await first
                await stream.aclose()

    async def reconcile(self, client: EngineClient, agent_id: str) -> None:
        """Write the engine's full inventory: what it no longer lists is archived."""
        found: list[ContainerInfo] = []
        for summary in await client.containers():
            try:
                info = from_inspect(await client.inspect(str(summary["Id"])), summary)
            except NoSuchContainer:
                continue  # removed since it was listed
            info.requested_stop = None  # an exit while not followed: whether it was asked is unknown
            found.append(info)
        await self._with_images(client, found)
        await ContainerService(self.hub).record(agent_id, found, full=True)

    async def handle(self, client: EngineClient, agent_id: str, event: dict[str, Any]) -> None:
        actor = event.get("Actor") or {}
        container_id = str(actor.get("ID") or event.get("id") or "")
        attributes = actor.get("Attributes") or {}
        verb, _, detail = str(event.get("Action") or event.get("status") or "").partition(":")
        if not container_id:
            return
        if verb == "kill":
            if str(attributes.get("signal", "15")) in STOP_SIGNALS:
                self._before_die.setdefault(container_id, _BeforeDie()).requested_stop = True
            return
        if verb == "oom":
            self._before_die.setdefault(container_id, _BeforeDie()).oom = True
            return
        if verb == "destroy":
            self._before_die.pop(container_id, None)
            await self.reconcile(client, agent_id)
            return
        state = STATE_AFTER.get(verb)
        health = detail.strip() if verb == "health_status" else None
        if state is None and health is None and verb not in REFRESH_ONLY:
            return
        try:
            info = from_inspect(await client.inspect(container_id))
        except NoSuchContainer:
            if verb != "die":
                return  # gone already; its destroy event archives it
            info = ContainerInfo(id=container_id, name=str(attributes.get("name") or container_id[:12]))
        info.state = state or info.state
        info.health = health or info.health
        if verb in ("create", "start"):
            await self._with_images(client, [info], keep=True)
        if verb == "die":
            before = self._before_die.pop(container_id, _BeforeDie())
            if "exitCode" in attributes:
                info.exit_code = int(attributes["exitCode"])
            info.oom_killed = before.oom or bool(info.oom_killed)
            info.requested_stop = before.requested_stop
            info.log_tail = await self._log_tail(client, container_id)
            # The engine counts a restart when it starts the container again: the start's.
            info.restart_count = None
        elif verb == "start":
            self._before_die.pop(container_id, None)
        await ContainerService(self.hub).record(agent_id, [info], full=False)

    async def _log_tail(self, client: EngineClient, container_id: str) -> list[dict[str, Any]] | None:
        try:
            return [_tail_line(line) async for line in client.logs(container_id, tail=LOG_TAIL_LINES)]
        except EngineUnavailable:
            return None
