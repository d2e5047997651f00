"""The SSE streams against real `watchkeep serve` processes: replay with Last-Event-ID, type
filters, a slow client dropped while a fast one keeps receiving, and two replicas on one
PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select

from tests.support.process import ServeProcess, admin_session, start_serve
from tests.support.sse import SseFrame, open_stream
from watchkeep.core.db import Store
from watchkeep.core.events.tables import event_log

FAST = {
    "WATCHKEEP_EVENT_POLL_SECONDS": "0.5",
    "WATCHKEEP_HEARTBEAT_PING_RATE_LIMIT_PER_MINUTE": "0",
    "WATCHKEEP_API_RATE_LIMIT_PER_MINUTE": "0",
}


@contextlib.contextmanager
def serving(tmp_path: Path, database_url: str, name: str = "hub", **env: str) -> Iterator[ServeProcess]:
    serve = start_serve(tmp_path, database_url, name=name, env={**FAST, **env})
    try:
        serve.wait_healthy()
        yield serve
    finally:
        serve.terminate()


async def read_key(serve: ServeProcess) -> str:
    async with admin_session(serve) as admin:
        created = await admin.post("/api/v1/keys", json={"name": "stream", "scopes": ["read"]})
        assert created.status_code == 201, created.text
        key: str = created.json()["key"]
        return key


async def heartbeats(serve: ServeProcess, *names: str) -> list[str]:
    """Create heartbeats; their ping uuids."""
    uuids = []
    async with admin_session(serve) as admin:
        for name in names:
            created = await admin.post("/api/v1/heartbeats", json={"name": name})
            assert created.status_code == 201, created.text
            uuids.append(created.json()["uuid"])
    return uuids


async def ping(serve: ServeProcess, uuid: str, suffix: str = "") -> None:
    async with httpx2.AsyncClient(timeout=30) as client:
        assert (await client.get(f"{serve.url}/ping/{uuid}{suffix}")).status_code == 200


async def logged_after(database_url: str, after: int) -> list[tuple[int, str]]:
    store = Store(database_url)
    await store.start()
    try:
        async with store.read() as conn:
            query = select(event_log.c.id, event_log.c.type).where(event_log.c.id > after).order_by(event_log.c.id)
            return [(row.id, row.type) for row in await conn.execute(query)]
    finally:
        await store.close()


def logged(frames: list[SseFrame]) -> list[tuple[int, str]]:
    return [(f.id, f.event) for f in frames if f.id is not None]


def seen(event_type: str, count: int = 1) -> object:
    return lambda frames: sum(f.event == event_type for f in frames) >= count


async def test_a_reconnect_with_last_event_id_replays_every_missed_event_once_then_goes_live(
    sqlite_url: str, tmp_path: Path
) -> None:
    with serving(tmp_path, sqlite_url) as serve:
        key = await read_key(serve)
        first, second, third = await heartbeats(serve, "backup", "report", "sync")
        async with open_stream(serve.url, key) as stream:
            await ping(serve, first, "/fail")
            frames = await stream.until(seen("alert.fired"))  # type: ignore[arg-type]
            assert stream.comments[0] == "connected"
        before = logged(frames)
        assert [t for _, t in before] == ["heartbeat.failed", "alert.fired"]
        # The data body is the webhook body's shape.
        failed = next(f for f in frames if f.event == "heartbeat.failed")
        assert set(failed.data) == {"id", "type", "timestamp", "data"}
        assert failed.data["id"] == failed.id and failed.data["type"] == "heartbeat.failed"
        assert failed.data["data"]["name"] == "backup"
        pinged = next(f for f in frames if f.event == "heartbeat.pinged")
        assert pinged.id is None and pinged.data["id"] is None  # live-only: not in the log
        last = before[-1][0]

        # While no client is connected: two more failures and a recovery.
        await ping(serve, second, "/fail")
        await ping(serve, third, "/1")
        await ping(serve, first)
        async with asyncio.timeout(15):
            while len(missed := await logged_after(sqlite_url, last)) < 6:
                await asyncio.sleep(0.05)
        assert sorted(t for _, t in missed).count("alert.fired") == 2

        async with open_stream(serve.url, key, last_event_id=last) as stream:
            replayed = await stream.until(lambda fs: len(logged(fs)) >= len(missed))
            assert logged(replayed) == missed
            # Then live, with nothing repeated.
            await ping(serve, second)
            live = await stream.until(seen("alert.resolved"))  # type: ignore[arg-type]
        after_replay = logged(live)
        assert [t for _, t in after_replay] == ["heartbeat.recovered", "alert.resolved"]
        assert after_replay[0][0] > missed[-1][0]

        # The same replay through the query parameter, filtered to alerts.
        query = {"lastEventId": str(last), "types": "alert.*"}
        async with open_stream(serve.url, key, path="/api/v1/containers/events", params=query) as stream:
            alerts_only = await stream.until(seen("alert.resolved", 2))  # type: ignore[arg-type]
        assert [t for _, t in logged(alerts_only)] == [t for _, t in missed + after_replay if t.startswith("alert.")]


async def test_the_type_filter_takes_names_and_prefixes(sqlite_url: str, tmp_path: Path) -> None:
    with serving(tmp_path, sqlite_url) as serve:
        key = await read_key(serve)
        (uuid,) = await heartbeats(serve, "backup")
        async with (
            open_stream(serve.url, key, params={"types": "heartbeat.*"}) as heartbeat_stream,
            open_stream(serve.url, key, params={"types": "alert.fired, heartbeat.failed"}) as named_stream,
        ):
            await ping(serve, uuid)
            await ping(serve, uuid, "/fail")
            await ping(serve, uuid)
            by_prefix = await heartbeat_stream.until(seen("heartbeat.recovered"))  # type: ignore[arg-type]
            by_name = await named_stream.until(lambda fs: len(fs) == 2)
        assert sorted(f.event for f in by_prefix) == [
            "heartbeat.failed",
            "heartbeat.pinged",
            "heartbeat.pinged",
            "heartbeat.pinged",
            "heartbeat.recovered",
        ]
        assert [t for _, t in logged(by_prefix)] == ["heartbeat.failed", "heartbeat.recovered"]
        assert sorted(f.event for f in by_name) == ["alert.fired", "heartbeat.failed"]

        async with httpx2.AsyncClient(base_url=serve.url, headers={"X-API-Key": key}) as client:
            unknown = await client.get("/api/v1/events", params={"types": "heartbeat.pnged"})
            assert unknown.status_code == 400
            assert unknown.json()["error"]["field"] == "types"
            bad_id = await client.get("/api/v1/events", headers={"Last-Event-ID": "yesterday"})
            assert bad_id.status_code == 400
            assert bad_id.json()["error"]["field"] == "Last-Event-ID"
            assert (await client.get("/api/v1/events", headers={"X-API-Key": ""})).status_code == 401


def stream_client(serve: ServeProcess, key: str, receive_buffer: int | None = None) -> socket.socket:
    """A raw stream client, connected and subscribed once this returns."""
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", serve.port))
    sock.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: hub\r\nX-API-Key: {key}\r\n\r\n".encode())
    sock.settimeout(10)
    head = b""
    while b": connected" not in head:
        head += sock.recv(4096)
    return sock


def read_stream_to_end(sock: socket.socket, timeout: float = 20) -> bytes:
    """What the server sent until it ended the chunked response."""
    sock.settimeout(timeout)
    received = bytearray()
    while not received.endswith(b"\r\n0\r\n\r\n"):
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        received += chunk
    return bytes(received)


def count_frames(sock: socket.socket, event_type: str, wanted: int) -> int:
    """A fast stream client (in a thread of its own, so the pings sent from the test's loop
    never hold it up): reads until it has `wanted` frames of `event_type`."""
    sock.settimeout(30)
    marker, tail, seen_count = f"event: {event_type}\n".encode(), b"", 0
    while seen_count < wanted:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise EOFError("the stream ended")
        text = tail + chunk
        seen_count += text.count(marker)
        tail = text[-len(marker) + 1 :]
        assert b"event: overflow" not in text
    return seen_count


async def ping_many(serve: ServeProcess, uuid: str, count: int, connections: int = 16) -> None:
    """`count` pings over keep-alive connections, each sending its requests back to back."""

    async def one(share: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", serve.port)
        request = f"GET /ping/{uuid} HTTP/1.1\r\nHost: hub\r\n\r\n".encode()
        try:
            for start in range(0, share, 50):
                batch = min(50, share - start)
                writer.write(request * batch)
                for _ in range(batch):
                    head = await reader.readuntil(b"\r\n\r\n")
                    assert head.startswith(b"HTTP/1.1 200"), head
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    await reader.readexactly(length)
        finally:
            writer.close()

    await asyncio.gather(*(one(count // connections) for _ in range(connections)))


async def test_a_slow_client_is_dropped_while_a_fast_one_keeps_receiving(sqlite_url: str, tmp_path: Path) -> None:
    # Enough frames to fill the slow client's socket buffers on loopback (a few megabytes,
    # its queue of 1,000 frames after that): then it is behind by more than its queue.
    pings = 32_000
    with serving(tmp_path, sqlite_url) as serve:
        key = await read_key(serve)
        (uuid,) = await heartbeats(serve, "busy")
        # The slow one reads nothing until the end, through a small receive buffer.
        slow, quick = stream_client(serve, key, receive_buffer=4096), stream_client(serve, key)
        try:
            fast = asyncio.create_task(asyncio.to_thread(count_frames, quick, "heartbeat.pinged", pings))
            await ping_many(serve, uuid, pings)
            assert await fast == pings
            # The slow client, reading at last, finds the overflow frame and the end of the stream.
            body = await asyncio.to_thread(read_stream_to_end, slow)
        finally:
            slow.close()
            quick.close()
        assert 0 < body.count(b"event: heartbeat.pinged") < pings
        frames = body.removesuffix(b"\r\n0\r\n\r\n")
        assert frames.rstrip().endswith(b'reconnect with Last-Event-ID"}')
        assert b"event: overflow" in frames[-200:]


async def test_a_stream_on_one_replica_carries_events_made_on_another(postgres_url: str, tmp_path: Path) -> None:
    with serving(tmp_path, postgres_url, name="one") as one, serving(tmp_path, postgres_url, name="two") as two:
        key = await read_key(one)
        (uuid,) = await heartbeats(one, "replicated")
        async with open_stream(two.url, key) as stream:
            await ping(one, uuid)
            await ping(one, uuid, "/fail")
            frames = await stream.until(seen("alert.fired"), timeout=30)  # type: ignore[arg-type]
        assert "heartbeat.pinged" in [f.event for f in frames]  # live-only, relayed from the other replica
        assert [t for _, t in logged(frames)] == ["heartbeat.failed", "alert.fired"]


@pytest.mark.parametrize("spec", ["*", "", "heartbeat.*,*"])
def test_a_filter_of_everything(spec: str) -> None:
    from watchkeep.core.events.streams import TypeFilter

    assert TypeFilter(spec, []).wants("anything.at_all")


async def test_open_streams_end_when_the_hub_shuts_down(sqlite_url: str, tmp_path: Path) -> None:
    serve = start_serve(tmp_path, sqlite_url, env=FAST)
    try:
        serve.wait_healthy()
        key = await read_key(serve)
        async with open_stream(serve.url, key) as stream:
            started = time.monotonic()
            serve.process.send_signal(signal.SIGTERM)
            with pytest.raises(EOFError):
                await stream.next(timeout=10)
        await asyncio.to_thread(serve.process.wait, 10)
        # Well within the shutdown grace period, which an open stream would otherwise use up.
        assert time.monotonic() - started < 5
        assert "every acknowledged write is committed" in serve.stderr()
    finally:
        serve.terminate()
