"""`POST /agent/report` (agent-report.txt) → `SampleBatch`. Every field is required; sizes
such as "50G", "512M" or "1.5T" become bytes."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from watchkeep.agents.batch import AgentFacts, SampleBatch
from watchkeep.agents.tokens import AGENT_KEY_PATTERN
from watchkeep.protocol.ingest import Message, Name, PayloadError
from watchkeep.resources.model import DiskSample, HostSample

Percent = Annotated[float, Meta(ge=0, le=100)]
Load = Annotated[float, Meta(ge=0, le=1e6)]
Bytes = Annotated[int, Meta(ge=0, le=2**62)]
GIB = 1024**3
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": GIB, "T": 1024**4, "P": 1024**5, "E": 1024**6}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:i?B)?\s*$", re.IGNORECASE)


Size = Annotated[str, Meta(max_length=64)]


class DiskEntry(Struct, forbid_unknown_fields=False):
    mount: Message
    usage: Percent
    size: Size
    used: Size
    avail: Size


class Report(Struct, forbid_unknown_fields=False):
    agent_key: Annotated[str, Meta(pattern=AGENT_KEY_PATTERN.pattern)]
    cpu_usage: Percent
    cpu_iowait: Percent
    memory_usage: Percent
    memory_total_mb: Annotated[int, Meta(ge=0, le=2**40)]
    swap_usage: Percent
    disk_usage: list[DiskEntry]
    network_rx_bytes: Bytes
    network_tx_bytes: Bytes
    load_1m: Load
    load_5m: Load
    load_15m: Load
    os: Name
    hostname: Name
    kernel: Name


decoder = msgspec.json.Decoder(Report)


def size_bytes(text: str, field: str) -> int:
    """`"1.5T"` → 1649267441664 (binary units, as `df -h` prints them)."""
    match = _SIZE.match(text)
    if match is None:
        raise PayloadError(f'{field}: "{text}" is not a size such as 50G, 512M or 1.5T', field)
    size = float(match.group(1)) * _UNITS[match.group(2).upper()]
    if not size <= 2**62:  # also refuses the infinity of a number too long for a float
        raise PayloadError(f"{field}: a size of at most 4 EiB is expected", field)
    return int(size)


def to_batch(report: Report, at_ms: int) -> SampleBatch:
    disks: list[DiskSample] = []
    for index, disk in enumerate(report.disk_usage):
        size = size_bytes(disk.size, f"disk_usage[{index}].size")
        used = size_bytes(disk.used, f"disk_usage[{index}].used")
        size_bytes(disk.avail, f"disk_usage[{index}].avail")
        disks.append(
            DiskSample(
                mount=disk.mount, used_gb=round(used / GIB, 3), total_gb=round(size / GIB, 3), percent=disk.usage
            )
        )
    host = HostSample(
        cpu_percent=report.cpu_usage,
        cpu_iowait_percent=report.cpu_iowait,
        memory_percent=report.memory_usage,
        memory_total_mb=report.memory_total_mb,
        memory_used_mb=round(report.memory_total_mb * report.memory_usage / 100, 3),
        swap_percent=report.swap_usage,
        disks=disks,
        load1=report.load_1m,
        load5=report.load_5m,
        load15=report.load_15m,
        network_rx_bytes=report.network_rx_bytes,
        network_tx_bytes=report.network_tx_bytes,
    )
    facts = AgentFacts(hostname=report.hostname, os=report.os, kernel=report.kernel)
    return SampleBatch(at_ms=at_ms, host=host, facts=facts)
