"""The host collector: one call assembles every host figure of the payload. Each group is
read on its own, so a failing file costs only its own figures; the failure is recorded in
`errors` under the group's name and the rest still ships."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchkeep.agent.filesystems import FilesystemCollector
from watchkeep.agent.host import (
    CpuTimes,
    ProcFiles,
    count_tcp,
    cpu_percentages,
    memory_from,
    parse_cpu_times,
    parse_file_nr,
    parse_loadavg,
    parse_meminfo,
    parse_net_dev,
    parse_uptime,
)
from watchkeep.agent.processes import ProcessCollector
from watchkeep.protocol.ingest import MetricsConfig

log = logging.getLogger("watchkeep.agent")


@dataclass
class HostSample:
    fields: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class HostCollector:
    def __init__(self, host_root: Path = Path("/"), statfs_timeout: float = 2.0) -> None:
        self._files = ProcFiles(host_root)
        self._filesystems = FilesystemCollector(host_root, statfs_timeout)
        self._processes = ProcessCollector(self._files.proc)
        self._cpu: CpuTimes | None = None
        self._net: tuple[int, int, float] | None = None

    def _group(self, sample: HostSample, name: str, read: Callable[[], dict[str, Any]]) -> None:
        try:
            sample.fields.update(read())
        except Exception as exc:  # a bad /proc line must never stop the sample
            log.warning("host collector %s failed: %s", name, exc)
            sample.errors[name] = f"{type(exc).__name__}: {exc}"

    def _cpu_fields(self) -> dict[str, Any]:
        current = parse_cpu_times(self._files.read("stat"))
        if current is None:
            raise ValueError("no cpu line in /proc/stat")
        result = cpu_percentages(self._cpu, current)
        self._cpu = current
        if result is None:
            return {}
        busy, iowait = result
        return {"cpu_percent": round(busy, 2), "cpu_iowait_percent": round(iowait, 2)}

    def _memory_fields(self, swap: bool, memory: bool) -> dict[str, Any]:
        mem = memory_from(parse_meminfo(self._files.read("meminfo")))
        values: dict[str, Any] = {}
        if memory:
            values.update(memory_used_mb=round(mem.used_mb, 2), memory_total_mb=round(mem.total_mb, 2))
        if swap:
            values.update(swap_used_mb=round(mem.swap_used_mb, 2), swap_total_mb=round(mem.swap_total_mb, 2))
        return values

    def _load_fields(self) -> dict[str, Any]:
        one, five, fifteen = parse_loadavg(self._files.read("loadavg"))
        return {"load_avg1": one, "load_avg5": five, "load_avg15": fifteen}

    def _fds_fields(self) -> dict[str, Any]:
        open_fds, max_fds = parse_file_nr(self._files.read("sys/fs/file-nr"))
        return {"open_fds": open_fds, "max_fds": max_fds}

    def _tcp_fields(self) -> dict[str, Any]:
        counts = count_tcp([self._files.net("tcp"), self._files.net("tcp6")])
        return {
            "tcp_established": counts.established,
            "tcp_listen": counts.listen,
            "tcp_time_wait": counts.time_wait,
            "tcp_close_wait": counts.close_wait,
            "tcp_total": counts.total,
        }

    def _network_fields(self) -> dict[str, Any]:
        rx, tx = parse_net_dev(self._files.net("dev"))
        now = time.monotonic()
        previous, self._net = self._net, (rx, tx, now)
        if previous is None or rx < previous[0] or tx < previous[1] or now <= previous[2]:
            return {}
        elapsed = now - previous[2]
        return {
            "network_rx_bytes_per_sec": round((rx - previous[0]) / elapsed, 1),
            "network_tx_bytes_per_sec": round((tx - previous[1]) / elapsed, 1),
        }

    async def _disk_fields(self, sample: HostSample) -> None:
        try:
            disks, problems = await self._filesystems.collect()
        except Exception as exc:
            sample.errors["disk"] = f"{type(exc).__name__}: {exc}"
            return
        if problems:
            sample.errors["disk"] = "; ".join(problems)
        sample.fields["disks"] = disks
        sample.fields["disk_used_gb"] = round(sum(d.used_gb for d in disks), 3)
        sample.fields["disk_total_gb"] = round(sum(d.total_gb for d in disks), 3)

    async def collect(self, groups: MetricsConfig | None = None) -> HostSample:
        want = groups or MetricsConfig()
        sample = HostSample()
        if want.collect_cpu:
            self._group(sample, "cpu", self._cpu_fields)
        if want.collect_memory or want.collect_swap:
            self._group(sample, "memory", lambda: self._memory_fields(want.collect_swap, want.collect_memory))
        if want.collect_load:
            self._group(sample, "load", self._load_fields)
        self._group(sample, "uptime", lambda: {"uptime": parse_uptime(self._files.read("uptime"))})
        if want.collect_fds:
            self._group(sample, "fds", self._fds_fields)
        if want.collect_tcp:
            self._group(sample, "tcp", self._tcp_fields)
        self._group(sample, "network", self._network_fields)
        if want.collect_processes:
            self._group(sample, "processes", lambda: {"top_processes": self._processes.collect()})
        if want.collect_disk:
            await self._disk_fields(sample)
        return sample
