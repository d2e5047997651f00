"""Top processes by CPU and by memory, and process state counts, from /proc/<pid>/stat.

One read per process per sample: the CPU % of a process is its utime + stime delta against
the previous sample over the elapsed wall time, in % of one core."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from watchkeep.agent.host import MB, clock_ticks, page_size
from watchkeep.protocol.ingest import Process, ProcessStats, TopProcesses

TOP_N = 10


@dataclass(frozen=True)
class ProcStat:
    pid: int
    name: str
    state: str
    cpu_ticks: int
    threads: int
    rss_bytes: int
    start_ticks: int


def parse_proc_stat(pid: int, text: str, page: int) -> ProcStat | None:
    """One /proc/<pid>/stat line. The name sits in parentheses and may hold spaces or ')'."""
    open_at, close_at = text.find("("), text.rfind(")")
    if open_at < 0 or close_at < open_at:
        return None
    rest = text[close_at + 2 :].split()
    if len(rest) < 22:
        return None
    try:
        return ProcStat(
            pid=pid,
            name=text[open_at + 1 : close_at],
            state=rest[0],
            cpu_ticks=int(rest[11]) + int(rest[12]),
            threads=int(rest[17]),
            start_ticks=int(rest[19]),
            rss_bytes=max(int(rest[21]), 0) * page,
        )
    except ValueError:
        return None


def _state_bucket(state: str) -> str | None:
    if state == "R":
        return "running"
    if state in ("S", "D", "I"):
        return "sleeping"
    if state in ("T", "t"):
        return "stopped"
    if state == "Z":
        return "zombie"
    return None


class ProcessCollector:
    def __init__(self, proc: Path) -> None:
        self._proc = proc
        self._ticks = clock_ticks()
        self._page = page_size()
        self._previous: dict[tuple[int, int], int] = {}
        self._previous_at: float | None = None

    def _read_all(self) -> list[ProcStat]:
        stats: list[ProcStat] = []
        try:
            entries = os.listdir(self._proc)
        except OSError:
            return stats
        for entry in entries:
            if not entry.isdigit():
                continue
            try:
                text = (self._proc / entry / "stat").read_text()
            except OSError:
                continue  # the process ended between listing and reading
            parsed = parse_proc_stat(int(entry), text, self._page)
            if parsed is not None:
                stats.append(parsed)
        return stats

    def collect(self) -> TopProcesses:
        now = time.monotonic()
        stats = self._read_all()
        elapsed = None if self._previous_at is None else now - self._previous_at
        current: dict[tuple[int, int], int] = {}
        rows: list[Process] = []
        counts = {"running": 0, "sleeping": 0, "stopped": 0, "zombie": 0}
        for stat in stats:
            key = (stat.pid, stat.start_ticks)  # a reused pid is another process
            current[key] = stat.cpu_ticks
            bucket = _state_bucket(stat.state)
            if bucket is not None:
                counts[bucket] += 1
            cpu = 0.0
            before = self._previous.get(key)
            if elapsed and before is not None and stat.cpu_ticks >= before:
                cpu = 100.0 * (stat.cpu_ticks - before) / self._ticks / elapsed
            rows.append(
                Process(
                    pid=stat.pid,
                    name=stat.name,
                    state=stat.state,
                    cpu_percent=round(cpu, 2),
                    memory_mb=round(stat.rss_bytes / MB, 2),
                    threads=stat.threads,
                )
            )
        self._previous, self._previous_at = current, now
        by_cpu = sorted(rows, key=lambda p: (p.cpu_percent, p.memory_mb), reverse=True)[:TOP_N]
        by_memory = sorted(rows, key=lambda p: p.memory_mb, reverse=True)[:TOP_N]
        return TopProcesses(
            by_cpu=by_cpu,
            by_memory=by_memory,
            stats=ProcessStats(total=len(stats), **counts),
        )
