"""Storing and reading metric samples. `record` runs inside the ingest write unit of an
agent's payload; the reads take a pooled connection."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from operator import attrgetter, itemgetter
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from watchkeep.core.errors import validation_error
from watchkeep.core.hub import Hub
from watchkeep.resources import repository as repo
from watchkeep.resources import rollups, sparklines
from watchkeep.resources.model import ContainerSample, HostSample, NodeSample, ProcessSnapshot
from watchkeep.resources.tables import CONTAINER_METRICS, HOST_METRICS, host_samples

HOST = "host"
CONTAINER = "container"
RANGES_MS = {
    "1h": 3_600_000,
    "6h": 6 * 3_600_000,
    "24h": 24 * 3_600_000,
    "7d": 7 * 24 * 3_600_000,
    "30d": 30 * 24 * 3_600_000,
}
RAW = "raw"
TIER_ORDER = (rollups.HOUR, rollups.MINUTE, RAW)
# The tier each range reads and its bucket: at most 360 points, each a whole number of the
# tier's buckets.
RANGE_TIERS = {
    "1h": (RAW, 10_000),
    "6h": (rollups.MINUTE, rollups.MINUTE_MS),
    "24h": (rollups.MINUTE, 4 * rollups.MINUTE_MS),
    "7d": (rollups.HOUR, rollups.HOUR_MS),
    "30d": (rollups.HOUR, 2 * rollups.HOUR_MS),
}
_encoder = msgspec.json.Encoder()


def _rate(current: float | None, previous: Any, elapsed_ms: int) -> float | None:
    """Bytes per second between two cumulative counters; None when the counter went back
    (a restart) or there is nothing to compare with."""
    if current is None or not isinstance(previous, int | float) or elapsed_ms <= 0 or current < previous:
        return None
    return round((current - previous) * 1000 / elapsed_ms, 3)


def _percent(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part * 100 / whole, 3)


def _fill_rates(sample: HostSample | ContainerSample, previous: dict[str, Any] | None, elapsed_ms: int) -> None:
    """Network rates from the cumulative counters, where the agent sent counters, not rates."""
    previous = previous or {}
    if sample.network_rx_bytes_per_sec is None:
        sample.network_rx_bytes_per_sec = _rate(sample.network_rx_bytes, previous.get("networkRxBytes"), elapsed_ms)
    if sample.network_tx_bytes_per_sec is None:
        sample.network_tx_bytes_per_sec = _rate(sample.network_tx_bytes, previous.get("networkTxBytes"), elapsed_ms)


def _host_values(host: HostSample, previous: dict[str, Any] | None, elapsed_ms: int) -> dict[str, Any]:
    if host.memory_percent is None:
        host.memory_percent = _percent(host.memory_used_mb, host.memory_total_mb)
    if host.swap_percent is None:
        host.swap_percent = _percent(host.swap_used_mb, host.swap_total_mb)
    if host.disk_used_gb is None and host.disks:
        host.disk_used_gb = round(sum(d.used_gb for d in host.disks), 3)
        host.disk_total_gb = round(sum(d.total_gb for d in host.disks), 3)
    _fill_rates(host, previous, elapsed_ms)
    values = {name: getattr(host, name) for name in HOST_METRICS if name != "disk_percent"}
    values["disk_percent"] = _percent(host.disk_used_gb, host.disk_total_gb)
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


CAMEL_HOST = {_camel(name): name for name in HOST_METRICS}
CAMEL_CONTAINER = {_camel(name): name for name in CONTAINER_METRICS}
_CAMEL = {name: _camel(name) for name in (*HOST_METRICS, *CONTAINER_METRICS, "disks")}


# A container sample's values in the order they are computed (memory_percent last); stored in
# the order of CONTAINER_METRICS, and camel-cased in the latest values (followed there by the
# counters the next rates are computed from).
_CONTAINER_COLUMNS = (*(name for name in CONTAINER_METRICS if name != "memory_percent"), "memory_percent")
_container_stored = attrgetter(*_CONTAINER_COLUMNS[:-1])
_CONTAINER_LATEST = tuple(_CAMEL[name] for name in _CONTAINER_COLUMNS)
_STORED_ORDER = itemgetter(*(_CONTAINER_COLUMNS.index(name) for name in CONTAINER_METRICS))
CONTAINER_INDEX = {name: index for index, name in enumerate(CONTAINER_METRICS)}


def _latest(values: dict[str, Any], counters: tuple[float | None, float | None]) -> dict[str, Any]:
    latest = {_CAMEL[k]: v for k, v in values.items()}
    latest["networkRxBytes"], latest["networkTxBytes"] = counters
    return latest


@dataclass
class Recorded:
    """What `record` stored: the host values (for the snapshot event) and the latest-values
    document as now stored."""

    host: dict[str, Any] | None
    latest: dict[str, Any] | None


async def record(
    conn: AsyncConnection,
    agent_id: str,
    at_ms: int,
    host: HostSample | None,
    containers: list[ContainerSample],
    processes: ProcessSnapshot | None,
    *,
    nodes: dict[str, NodeSample] | None = None,
    series: dict[tuple[str, str], int] | None = None,
    latest: dict[str, Any] | None = None,
) -> Recorded:
    """Store one payload's samples. `series` (filled in here) and `latest` are what the
    caller knows to be stored for the agent already (see agents/ingest/memory.py); what is not
    given is read. `latest` is updated in place.

    `nodes` are further hosts the agent reports (a cluster's nodes): each is a host series
    under its name, beside the agent's own host (the series named "")."""
    if series is None:
        series = {}
    nodes = nodes or {}
    wanted = (
        ([(HOST, "")] if host else []) + [(HOST, name) for name in nodes] + [(CONTAINER, c.name) for c in containers]
    )
    if processes is not None:
        await repo.put_processes(
            conn,
            {
                "agent_id": agent_id,
                "ts": at_ms,
                "by_cpu": _encoder.encode(processes.by_cpu).decode(),
                "by_memory": _encoder.encode(processes.by_memory).decode(),
                "stats": _encoder.encode(processes.stats).decode(),
            },
        )
    if not wanted:
        return Recorded(None, latest)
    if any(key not in series for key in wanted):
        series.update(await _series_map(conn, agent_id))
        missing = [{"agent_id": agent_id, "kind": k, "name": n} for k, n in wanted if (k, n) not in series]
        if missing:
            await repo.add_series(conn, missing)
            series.update(await _series_map(conn, agent_id))
    if latest is None:
        stored = await repo.latest_of(conn, agent_id)
        latest = msgspec.json.decode(stored) if stored else {"host": None, "containers": {}}

    def previous(entry: dict[str, Any] | None) -> tuple[int, dict[str, Any] | None]:
        if entry is None or entry["at"] >= at_ms:
            return 0, None
        return at_ms - int(entry["at"]), entry["v"]

    def newest(entry: dict[str, Any] | None, values: dict[str, Any]) -> dict[str, Any] | None:
        return {"at": at_ms, "v": values} if entry is None or entry["at"] <= at_ms else entry

    host_values: dict[str, Any] | None = None
    if host is not None:
        elapsed, before = previous(latest["host"])
        host_values = _host_values(host, before, elapsed)
        disks = _encoder.encode([asdict(d) for d in host.disks]).decode() if host.disks else None
        host_row = {"series_id": series[(HOST, "")], "ts": at_ms, **host_values, "disks": disks}
        await repo.insert_samples(conn, host_samples, [host_row])
        counters = (host.network_rx_bytes, host.network_tx_bytes)
        latest["host"] = newest(latest["host"], _latest({**host_values, "disks": disks}, counters))
    if nodes:
        node_rows = []
        known_nodes = latest.setdefault("nodes", {})
        for name, node in nodes.items():
            elapsed, before = previous(known_nodes.get(name))
            node_values = _host_values(node.sample, before, elapsed)
            node_rows.append({"series_id": series[(HOST, name)], "ts": at_ms, **node_values, "disks": None})
            counters = (node.sample.network_rx_bytes, node.sample.network_tx_bytes)
            entry = newest(known_nodes.get(name), _latest(node_values, counters))
            if entry is not None and entry["at"] == at_ms:
                entry["ready"], entry["pods"] = node.ready, node.pods
            known_nodes[name] = entry
        await repo.insert_samples(conn, host_samples, node_rows)
    packed: dict[str, tuple[float | None, ...]] = {}
    by_name = latest["containers"]
    latest_keys, stored_values, stored_order = _CONTAINER_LATEST, _container_stored, _STORED_ORDER
    for sample in containers:
        name = sample.name
        entry = by_name.get(name)
        if entry is not None and entry["at"] < at_ms:  # with nothing earlier, no rate
            before, elapsed = entry["v"], at_ms - int(entry["at"])
            if sample.network_rx_bytes_per_sec is None:
                sample.network_rx_bytes_per_sec = _rate(sample.network_rx_bytes, before.get("networkRxBytes"), elapsed)
            if sample.network_tx_bytes_per_sec is None:
                sample.network_tx_bytes_per_sec = _rate(sample.network_tx_bytes, before.get("networkTxBytes"), elapsed)
        used, limit = sample.memory_used_mb, sample.memory_limit_mb
        values = (*stored_values(sample), None if used is None or not limit else round(used * 100 / limit, 3))
        if name not in packed:  # a container sampled twice in one payload: the first counts
            packed[name] = stored_order(values)
        if entry is None or entry["at"] <= at_ms:
            v = dict(zip(latest_keys, values, strict=True))
            v["networkRxBytes"], v["networkTxBytes"] = sample.network_rx_bytes, sample.network_tx_bytes
            by_name[name] = {"at": at_ms, "v": v}
    if packed:
        await repo.insert_sample_set(conn, agent_id, at_ms, _encoder.encode(packed).decode())
    await repo.put_latest(conn, agent_id, _encoder.encode(latest).decode())
    return Recorded(host_values, latest)


async def _series_map(conn: AsyncConnection, agent_id: str) -> dict[tuple[str, str], int]:
    return {(row["kind"], row["name"]): row["id"] for row in await repo.series_of(conn, agent_id)}


async def delete_for_agent(conn: AsyncConnection, agent_id: str) -> None:
    await repo.delete_for_agent(conn, agent_id)


def _merge(parts: list[repo.Bucket]) -> list[tuple[int, float, float]]:
    """Buckets read from several tiers as points; a bucket that two tiers share (the one a
    watermark falls in) is combined, its average weighted by the counts."""
    merged: dict[int, tuple[int, float, float]] = {}
    for t, n, avg, top in parts:
        found = merged.get(t)
        if found is None:
            merged[t] = (n, avg * n, top)
        else:
            merged[t] = (found[0] + n, found[1] + avg * n, max(found[2], top))
    return [(t, total / n, top) for t, (n, total, top) in sorted(merged.items())]


def _public(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in ("networkRxBytes", "networkTxBytes")}


def _current(stored: str | None) -> dict[str, Any]:
    """The latest host and container values from the stored document."""
    latest: dict[str, Any] = msgspec.json.decode(stored) if stored else {"host": None, "containers": {}}
    host: dict[str, Any] | None = None
    host_at: int | None = None
    if latest["host"] is not None:
        host = _public(latest["host"]["v"])
        disks = host.pop("disks", None)
        host["disks"] = [{_camel(k): v for k, v in disk.items()} for disk in (json.loads(disks) if disks else [])]
        host_at = int(latest["host"]["at"])
    containers = [
        {"name": name, "sampledAt": entry["at"], **_public(entry["v"])}
        for name, entry in sorted(latest["containers"].items())
    ]
    nodes = [
        {
            "name": name,
            "sampledAt": entry["at"],
            "ready": entry.get("ready"),
            "pods": entry.get("pods"),
            **_public(entry["v"]),
        }
        for name, entry in sorted(latest.get("nodes", {}).items())
    ]
    return {"host": host, "hostSampledAt": host_at, "containers": containers, "nodes": nodes}


# What `top_containers` ranks by: a container's latest value of these, summed
TOP_KEYS: dict[str, tuple[str, ...]] = {
    "cpu": ("cpuPercent",),
    "memory": ("memoryUsedMb",),
    "network": ("networkRxBytesPerSec", "networkTxBytesPerSec"),
    "io": ("blockReadMb", "blockWriteMb"),
}


class ResourceService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def current(self, agent_id: str) -> dict[str, Any]:
        async with self.hub.store.read() as conn:
            stored = await repo.latest_of(conn, agent_id)
        return _current(stored)

    async def current_of(self, agent_ids: list[str]) -> dict[str, dict[str, Any]]:
        """`current` of several agents in one read."""
        async with self.hub.store.read() as conn:
            stored = await repo.latest_of_many(conn, agent_ids)
        return {agent_id: _current(stored.get(agent_id)) for agent_id in agent_ids}

    async def top_containers(self, sort: str, limit: int) -> list[tuple[float, str, dict[str, Any]]]:
        """(score, agent id, latest values) of the `limit` containers using the most of `sort`
        (cpu, memory, network or io) now, across every agent."""
        keys = TOP_KEYS[sort]
        async with self.hub.store.read() as conn:
            stored = await repo.latest_of_all(conn)
        ranked = [
            (float(sum(values.get(key) or 0 for key in keys)), agent_id, values)
            for agent_id, doc in stored.items()
            for values in _current(doc)["containers"]
        ]
        ranked.sort(key=lambda entry: entry[0], reverse=True)
        return ranked[:limit]

    async def history(
        self, agent_id: str, range_name: str, metric: str, container: str | None, *, node: str | None = None
    ) -> dict[str, Any]:
        """A metric's points over the range, from the coarsest tier the range reads (RANGE_TIERS);
        the time a tier has not rolled up yet comes from the finer tiers, so the newest
        points are there too. Each point: (bucket start, average, maximum). The series is
        the container's, else the node's, else the agent's own host."""
        if range_name not in RANGES_MS:
            raise validation_error(f"range must be one of {', '.join(RANGES_MS)}", "range")
        if node is not None and container is not None:
            raise validation_error("give either container or node, not both", "node")
        names = CAMEL_CONTAINER if container is not None else CAMEL_HOST
        if metric not in names:
            raise validation_error(f"metric must be one of {', '.join(sorted(names))}", "metric")
        tier, bucket_ms = RANGE_TIERS[range_name]
        since = self.hub.clock.now_ms() - RANGES_MS[range_name]
        kind, name = (CONTAINER, container) if container is not None else (HOST, node or "")
        column = names[metric]
        parts: list[repo.Bucket] = []
        async with self.hub.store.read() as conn:
            series = {(r["kind"], r["name"]): r["id"] for r in await repo.series_of(conn, agent_id)}
            series_id = series.get((kind, name))
            if series_id is not None:
                marks = await repo.marks(conn) if tier != RAW else {}
                lower = since
                for step in TIER_ORDER[TIER_ORDER.index(tier) :]:
                    if step == RAW:
                        if container is not None:
                            index = CONTAINER_INDEX[column]
                            parts += await repo.container_history(
                                conn, agent_id, container, index, lower, None, bucket_ms
                            )
                        else:
                            parts += await repo.history(conn, series_id, column, lower, None, bucket_ms)
                        break
                    upper = marks.get(step)
                    if upper is None or upper <= lower:
                        continue
                    table = rollups.TIERS[step][1 if container is not None else 0]
                    parts += await repo.tier_history(conn, table, series_id, column, lower, upper, bucket_ms)
                    lower = upper
        return {"points": _merge(parts), "bucketSeconds": bucket_ms // 1000}

    async def processes(self, agent_id: str) -> dict[str, Any] | None:
        async with self.hub.store.read() as conn:
            row = await repo.processes_of(conn, agent_id)
        if row is None:
            return None
        return {
            "ts": int(row["ts"]),
            "byCpu": json.loads(row["by_cpu"]),
            "byMemory": json.loads(row["by_memory"]),
            "stats": json.loads(row["stats"]),
        }

    async def sparklines(self, span_ms: int, points: int) -> tuple[sparklines.Window, sparklines.Series]:
        """Every host's and container's CPU and memory over about the last `span_ms`, in
        `points` buckets (see resources/sparklines.py)."""
        window = sparklines.Window.ending(self.hub.clock.now_ms(), span_ms, points)
        async with self.hub.store.read() as conn:
            return window, await sparklines.recent(conn, window)
