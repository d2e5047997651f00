"""`watchkeep serve` as a real process, for tests of start-up, shutdown and replicas."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx2

from tests.support.hub import ADMIN_PASSWORD

WATCHKEEP = str(Path(sys.executable).with_name("watchkeep"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServeProcess:
    process: subprocess.Popen[bytes]
    port: int
    stdout_path: Path
    stderr_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self.stdout_path.read_text()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"watchkeep serve exited with {self.process.returncode}:\n{self.stderr()}")
            try:
                if httpx2.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"watchkeep serve did not become healthy:\n{self.stderr()}")

    def terminate(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_serve(
    tmp_path: Path,
    database_url: str,
    *,
    name: str = "hub",
    port: int | None = None,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> ServeProcess:
    port = port or free_port()
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    environment = {
        **os.environ,
        "WATCHKEEP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WATCHKEEP_DATA_DIR": str(tmp_path / "data"),
        "WATCHKEEP_DOCKER_HOST": f"unix://{tmp_path / 'no-docker.sock'}",
        "WATCHKEEP_SELF_MONITOR": "false",
    }
    environment.update(env or {})
    command = [WATCHKEEP, "serve", "--port", str(port), "--database-url", database_url, *(args or [])]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=environment)
    return ServeProcess(process, port, out, err)


@contextlib.asynccontextmanager
async def admin_session(serve: ServeProcess) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of `serve` logged in as the first-start admin (session cookie and CSRF header)."""
    async with httpx2.AsyncClient(base_url=serve.url, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        yield client
