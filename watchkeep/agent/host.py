"""Host metrics from /proc (Linux), read under `host_root` so the agent can run in a container
with the host's filesystem mounted read-only at e.g. /host.

Each reader parses one file and tolerates a bad line; rates and percentages come from deltas
against the collector's own previous reading."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class CpuTimes:
    busy: int
    iowait: int
    total: int


def parse_cpu_times(text: str) -> CpuTimes | None:
    """The aggregate `cpu` line of /proc/stat. Guest time is already part of user and nice, so
    it is subtracted there rather than counted twice."""
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0] != "cpu":
            continue
        numbers = [int(p) for p in parts[1:11] if p.isdigit()]
        numbers += [0] * (10 - len(numbers))
        user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice = numbers
        user = max(user - guest, 0)
        nice = max(nice - guest_nice, 0)
        busy = user + nice + system + irq + softirq + steal
        return CpuTimes(busy=busy, iowait=iowait, total=busy + idle + iowait)
    return None


def cpu_percentages(previous: CpuTimes | None, current: CpuTimes) -> tuple[float, float] | None:
    """(busy %, iowait %) between two readings; None for the first reading or after a counter
    reset (any counter going backwards), which starts a new baseline."""
    if previous is None:
        return None
    total = current.total - previous.total
    busy = current.busy - previous.busy
    iowait = current.iowait - previous.iowait
    if total <= 0 or busy < 0 or iowait < 0:
        return None
    return _clamp(100.0 * busy / total), _clamp(100.0 * iowait / total)


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 100.0)


def parse_meminfo(text: str) -> dict[str, int]:
    """Fields of /proc/meminfo in bytes."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if not parts or not parts[0].isdigit():
            continue
        scale = 1024 if len(parts) > 1 and parts[1].lower() == "kb" else 1
        values[name.strip()] = int(parts[0]) * scale
    return values


@dataclass(frozen=True)
class Memory:
    used_mb: float
    total_mb: float
    swap_used_mb: float
    swap_total_mb: float


def memory_from(meminfo: dict[str, int]) -> Memory:
    total = meminfo["MemTotal"]
    available = meminfo.get("MemAvailable")
    if available is None:  # kernels before 3.14
        available = meminfo.get("MemFree", 0) + meminfo.get("Buffers", 0) + meminfo.get("Cached", 0)
    swap_total = meminfo.get("SwapTotal", 0)
    swap_used = max(swap_total - meminfo.get("SwapFree", 0), 0)
    return Memory(
        used_mb=max(total - available, 0) / MB,
        total_mb=total / MB,
        swap_used_mb=swap_used / MB,
        swap_total_mb=swap_total / MB,
    )


def parse_loadavg(text: str) -> tuple[float, float, float]:
    one, five, fifteen = (float(p) for p in text.split()[:3])
    return one, five, fifteen


def parse_uptime(text: str) -> float:
    return float(text.split()[0])


def parse_file_nr(text: str) -> tuple[int, int]:
    """(open, max) from /proc/sys/fs/file-nr: allocated, allocated-but-unused, max."""
    allocated, unused, maximum = (int(p) for p in text.split()[:3])
    return max(allocated - unused, 0), maximum


TCP_STATES = {"01": "established", "0A": "listen", "06": "time_wait", "08": "close_wait"}


@dataclass
class TcpCounts:
    established: int = 0
    listen: int = 0
    time_wait: int = 0
    close_wait: int = 0
    total: int = 0


def count_tcp(texts: list[str]) -> TcpCounts:
    """Socket states of /proc/net/tcp and /proc/net/tcp6 (the 4th column, hex)."""
    counts = TcpCounts()
    for text in texts:
        for line in text.splitlines()[1:]:
            parts = line.split()
            if len(parts) < 4:
                continue
            counts.total += 1
            state = TCP_STATES.get(parts[3].upper())
            if state is not None:
                setattr(counts, state, getattr(counts, state) + 1)
    return counts


def parse_net_dev(text: str) -> tuple[int, int]:
    """Received and transmitted bytes over all interfaces but loopback."""
    rx = tx = 0
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if name.strip() == "lo" or len(parts) < 9:
            continue
        try:
            rx += int(parts[0])
            tx += int(parts[8])
        except ValueError:
            continue
    return rx, tx


@dataclass
class ProcFiles:
    """Paths of the files the host collector reads, under a host root."""

    root: Path = Path("/")
    proc: Path = field(init=False)

    def __post_init__(self) -> None:
        self.proc = self.root / "proc"

    def read(self, relative: str) -> str:
        return (self.proc / relative).read_text()

    def net(self, name: str) -> str:
        # /proc/net follows the reader's network namespace; pid 1's view is the host's.
        for candidate in (self.proc / "1" / "net" / name, self.proc / "net" / name):
            try:
                return candidate.read_text()
            except OSError:
                continue
        return ""


def clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")
