"""The edge of a real `watchkeep serve`, over raw sockets: client text in the log stays on its
line, a client leaving mid-body is one INFO line, and stalled bodies are cut off in time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess, start_serve


@pytest.fixture
def serve(tmp_path: Path, sqlite_url: str) -> Iterator[ServeProcess]:
    process = start_serve(tmp_path, sqlite_url, env={"WATCHKEEP_BODY_TIMEOUT_SECONDS": "1"})
    try:
        process.wait_healthy()
        yield process
    finally:
        process.terminate()


def _agent_token(serve: ServeProcess) -> str:
    with httpx2.Client(base_url=serve.url, timeout=10) as client:
        login = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        client.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        created = client.post("/api/v1/agents", json={"name": "web-1"})
        assert created.status_code == 201, created.text
        token: str = created.json()["token"]
        return token


def _partial_request(serve: ServeProcess, path: str, headers: str = "") -> socket.socket:
    """A request whose headers promise 1000 bytes of body, of which only a few are sent."""
    sock = socket.create_connection(("127.0.0.1", serve.port))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n{headers}\r\n"
    )
    sock.sendall(head.encode() + b'{"cpuPercent": 1')
    return sock


def _read_until_closed(sock: socket.socket, deadline: float) -> bytes:
    received = b""
    while True:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"the hub kept the connection open; it answered {received[:200]!r}") from None
        if not chunk:
            return received
        received += chunk


def _access_lines(serve: ServeProcess, needle: str) -> list[str]:
    return [line for line in serve.stderr().splitlines() if "watchkeep.access" in line and needle in line]


def _wait_for_log(serve: ServeProcess, needle: str) -> list[str]:
    deadline = time.monotonic() + 10
    while not (lines := _access_lines(serve, needle)):
        assert time.monotonic() < deadline, serve.stderr()
        time.sleep(0.05)
    return lines


def test_a_path_with_crlf_is_logged_escaped_on_one_line(serve: ServeProcess) -> None:
    with socket.create_connection(("127.0.0.1", serve.port)) as sock:
        sock.sendall(b"GET /api/v1/x%0d%0a2026-01-01%20INFO%20forged%1b[31m HTTP/1.1\r\nHost: hub\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 404")
    (line,) = _wait_for_log(serve, "/api/v1/x")
    assert "/api/v1/x\\r\\n2026-01-01 INFO forged\\x1b[31m 404" in line
    assert not any(line.startswith("2026-01-01 INFO forged") for line in serve.stderr().splitlines())


def test_a_client_leaving_mid_body_is_one_info_line_not_an_error(serve: ServeProcess) -> None:
    token = _agent_token(serve)
    for headers in (f"Authorization: Bearer {token}\r\n", f"Authorization: Bearer {token}\r\nIdempotency-Key: k1\r\n"):
        _partial_request(serve, "/api/metrics/ingest", headers).close()
    _partial_request(serve, "/api/v1/auth/login").close()
    ingest = _wait_for_log(serve, "POST /api/metrics/ingest 499")
    login = _wait_for_log(serve, "POST /api/v1/auth/login 499")
    deadline = time.monotonic() + 10
    while len(ingest) < 2:
        assert time.monotonic() < deadline, serve.stderr()
        ingest = _access_lines(serve, "POST /api/metrics/ingest 499")
    assert all(" INFO " in line for line in ingest + login)
    assert "ERROR" not in serve.stderr() and "Traceback" not in serve.stderr()
    # The hub still serves, and the idempotency key of the abandoned request is free again.
    response = httpx2.post(
        f"{serve.url}/api/metrics/ingest",
        json={"cpuPercent": 1},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k1"},
    )
    assert response.status_code == 200, response.text


def test_stalled_bodies_are_cut_off_after_the_body_timeout(serve: ServeProcess) -> None:
    token = _agent_token(serve)
    started = time.monotonic()
    reading = [_partial_request(serve, "/api/metrics/ingest", f"Authorization: Bearer {token}\r\n") for _ in range(80)]
    reading += [_partial_request(serve, "/api/v1/auth/login") for _ in range(80)]
    # Refused before the body is read: the connection does not outlive the body timeout either.
    refused = [_partial_request(serve, "/api/metrics/ingest") for _ in range(40)]
    try:
        deadline = started + 1 + 5  # the 1 s timeout, and room for a busy machine
        answers = [_read_until_closed(sock, deadline) for sock in reading]
        early = [_read_until_closed(sock, deadline) for sock in refused]
    finally:
        for sock in reading + refused:
            sock.close()
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers), {a[:40] for a in answers}
    assert b'{"code":"VALIDATION_ERROR"' in answers[0]  # the flat body on /api/metrics/**
    assert b'{"error":{"code":"validation_error"' in answers[-1]
    assert b"within 1 seconds" in answers[0]
    assert all(answer.startswith(b"HTTP/1.1 401") for answer in early)
    assert "Traceback" not in serve.stderr()
