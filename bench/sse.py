"""Server-sent events fan-out of one hub process: a real `watchkeep serve` holds N concurrent
`GET /api/v1/events?types=heartbeat.pinged` streams while pings (`GET /ping/{uuid}`, spread
over 100 monitors at a steady rate) drive events, on SQLite and on PostgreSQL, side by side.

    .venv/bin/python bench/sse.py [--clients 1000] [--rate 20] [--seconds 20] [--monitors 100]
        [--only sqlite|postgresql] [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--log-level warning]

One line per database: the time it took to connect every client, the events each client should
have seen (one per ping answered 200), the events delivered against those expected, the
delivery latency p50 and p99 over every client's every event (from the event's `timestamp`,
when the hub recorded the ping, to the client reading the frame), and the hub's peak RSS while
the streams were open. Overflowed or otherwise closed streams and refused pings are added when
there are any.

Target: p99 <= 200 ms on SQLite with the defaults.

The clients live in this process, one raw HTTP/1.1 socket each on uvloop, and share the
machine with the hub: a frame waits for this process to get to its socket too, so the latency
is an upper bound on the hub's own. Both sides read the same wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psutil
import uvloop
from serve import DEFAULT_POSTGRES, admin_client, create_heartbeats, postgres_database, serving
from sqlalchemy.engine import make_url

STREAM_PATH = "/api/v1/events?types=heartbeat.pinged"
# Every stream is opened with one key and every ping comes from one address: far over both limits.
HUB_SETTINGS = {"api_rate_limit_per_minute": "0", "heartbeat_ping_rate_limit_per_minute": "100000000"}
# Pings go out on a few connections so that one slow answer does not hold back the schedule.
PING_CONNECTIONS = 4
WARMUP_SECONDS = 1.0
STRAGGLER_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 120.0
READ_SIZE = 65536
TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"([^"]+)"')


@dataclass
class Tally:
    """What the clients have seen, all together."""

    latencies: list[float] = field(default_factory=list)
    overflows: int = 0
    # A thousand clients receive the same timestamps: each is parsed once.
    epochs: dict[bytes, float] = field(default_factory=dict)
    peak_rss: int = 0


@dataclass
class Result:
    clients: int
    connect_seconds: float
    pings: int
    answered: int
    delivered: int
    latencies: list[float]
    overflows: int
    closed_early: int
    peak_rss: int


class Stream:
    """One client's event stream, decoded as it arrives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, chunked: bool) -> None:
        self.reader, self.writer, self.chunked = reader, writer, chunked
        self.raw = b""  # body bytes short of a whole chunk
        self.text = b""  # event-stream text short of a whole frame
        self.connected = False
        self.ended = False
        self.overflowed = False
        self.received = 0

    @classmethod
    async def open(cls, host: str, port: int, key: str, tally: Tally) -> Stream:
        """A stream that has seen the hub's `: connected` comment, so that it hears every later event."""
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            f"GET {STREAM_PATH} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n"
            f"X-API-Key: {key}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        lowered = head.lower()
        if not head.startswith(b"HTTP/1.1 200") or b"text/event-stream" not in lowered:
            raise RuntimeError(f"unexpected answer: {head[:300]!r} {await reader.read(300)!r}")
        stream = cls(reader, writer, b"transfer-encoding: chunked" in lowered)
        while not stream.connected:
            data = await reader.read(READ_SIZE)
            if not data or stream.ended:
                raise RuntimeError("the stream ended before its `: connected` comment")
            stream.feed(data, time.time(), tally)
        return stream

    async def run(self, tally: Tally) -> None:
        while not self.ended:
            data = await self.reader.read(READ_SIZE)
            if not data:
                self.ended = True
                return
            # Every frame of one read arrived at the same moment: one clock read serves them all.
            self.feed(data, time.time(), tally)

    def feed(self, data: bytes, received_at: float, tally: Tally) -> None:
        self.text += self._dechunk(data) if self.chunked else data
        *frames, self.text = self.text.split(b"\n\n")
        for frame in frames:
            self._frame(frame, received_at, tally)

    def _dechunk(self, data: bytes) -> bytes:
        # A frame may straddle chunks or reads, so only whole chunks are passed on.
        raw, pos, parts = self.raw + data, 0, []
        while (eol := raw.find(b"\r\n", pos)) >= 0:
            size = int(raw[pos:eol].split(b";", 1)[0], 16)
            end = eol + 2 + size
            if len(raw) < end + 2:
                break
            pos = end + 2
            if size == 0:
                self.ended = True
                break
            parts.append(raw[eol + 2 : end])
        self.raw = raw[pos:]
        return b"".join(parts)

    def _frame(self, frame: bytes, received_at: float, tally: Tally) -> None:
        if frame.startswith(b":"):
            self.connected = self.connected or frame.startswith(b": connected")
            return
        if b"event: overflow" in frame:
            tally.overflows += 1
            self.overflowed = self.ended = True
            return
        if b"event: heartbeat.pinged" not in frame or (match := TIMESTAMP.search(frame)) is None:
            return
        stamp = match.group(1)
        epoch = tally.epochs.get(stamp)
        if epoch is None:
            epoch = tally.epochs[stamp] = datetime.fromisoformat(stamp.decode()).timestamp()
        self.received += 1
        tally.latencies.append(received_at - epoch)


def raise_fd_limit() -> None:
    # Each client needs a socket here and one in the hub, which inherits this limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def prepare(url: str, monitors: int) -> tuple[list[str], str]:
    """The monitors' ping uuids and a read-only API key for the streams."""
    with admin_client(url) as client:
        uuids = create_heartbeats(client, monitors)
        key = client.post("/api/v1/keys", json={"name": "bench-sse", "scopes": ["read"]})
        key.raise_for_status()
        return uuids, key.json()["key"]


async def ping(host: str, port: int, uuids: list[str], rate: float, seconds: float) -> tuple[int, int]:
    """(pings sent, pings answered 200) at `rate` per second for `seconds`, round-robin over the monitors."""
    total = round(rate * seconds)
    requests = [f"GET /ping/{u} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n\r\n".encode() for u in uuids]
    answered = 0
    start = time.monotonic()

    async def lane(first: int) -> None:
        nonlocal answered
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in range(first, total, PING_CONNECTIONS):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(requests[i % len(requests)])
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                if head.startswith(b"HTTP/1.1 200"):
                    answered += 1
        finally:
            writer.close()

    await asyncio.gather(*(lane(k) for k in range(PING_CONNECTIONS)))
    return total, answered


async def sample_rss(process: psutil.Process, tally: Tally) -> None:
    while True:
        tally.peak_rss = max(tally.peak_rss, process.memory_info().rss)
        await asyncio.sleep(0.5)


async def drive(url: str, pid: int, uuids: list[str], key: str, args: argparse.Namespace) -> Result:
    target = make_url(url)
    host, port = target.host or "", target.port or 80
    tally = Tally()
    began = time.monotonic()
    async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
        streams = await asyncio.gather(*(Stream.open(host, port, key, tally) for _ in range(args.clients)))
    connect_seconds = time.monotonic() - began
    readers = [asyncio.create_task(stream.run(tally)) for stream in streams]
    sampler = asyncio.create_task(sample_rss(psutil.Process(pid), tally))
    try:
        await asyncio.sleep(WARMUP_SECONDS)
        pings, answered = await ping(host, port, uuids, args.rate, args.seconds)
        deadline = time.monotonic() + STRAGGLER_SECONDS
        while time.monotonic() < deadline and any(not s.ended and s.received < answered for s in streams):
            await asyncio.sleep(0.05)
        closed_early = sum(s.ended and not s.overflowed for s in streams)
    finally:
        sampler.cancel()
        for task in readers:
            task.cancel()
        await asyncio.gather(sampler, *readers, return_exceptions=True)
        for stream in streams:
            stream.writer.close()
    return Result(
        clients=args.clients,
        connect_seconds=connect_seconds,
        pings=pings,
        answered=answered,
        delivered=sum(s.received for s in streams),
        latencies=sorted(tally.latencies),
        overflows=tally.overflows,
        closed_early=closed_early,
        peak_rss=tally.peak_rss,
    )


def run(database_url: str, data_dir: Path, args: argparse.Namespace) -> Result:
    with serving(database_url, data_dir, log_level=args.log_level, **HUB_SETTINGS) as hub:
        uuids, key = prepare(hub.url, args.monitors)
        # uvloop keeps the clients' own cost low: they share the machine with the hub.
        return uvloop.run(drive(hub.url, hub.process.pid, uuids, key, args))


def summary(name: str, result: Result) -> str:
    expected = result.answered * result.clients
    latencies = result.latencies
    if latencies:
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(int(len(latencies) * 0.99), len(latencies) - 1)] * 1000
        latency = f"latency p50 {p50:.1f} ms p99 {p99:.1f} ms"
    else:
        latency = "latency n/a"
    line = (
        f"{name}: {result.clients:,} clients (connected in {result.connect_seconds:.1f} s), "
        f"{result.answered:,} events each, {result.delivered:,}/{expected:,} delivered, {latency}, "
        f"hub RSS {result.peak_rss / 2**20:.1f} MB"
    )
    if result.answered < result.pings:
        line += f", {result.pings - result.answered:,}/{result.pings:,} pings refused"
    if result.overflows:
        line += f", {result.overflows:,} overflowed"
    if result.closed_early:
        line += f", {result.closed_early:,} closed early"
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20, help="pings per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--monitors", type=int, default=100)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    raise_fd_limit()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            print(summary("sqlite", run(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args)), flush=True)
        if args.only in (None, "postgresql"):
            with postgres_database(args.postgres) as url:
                print(summary("postgresql", run(url, Path(tmp), args)), flush=True)


if __name__ == "__main__":
    main()
