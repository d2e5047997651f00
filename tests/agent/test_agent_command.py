"""`watchkeep agent` as a real process: one payload on stdout, settings errors, and SIGTERM
keeping every payload for the next run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from tests.agent.loopback import LoopbackHub, serving
from tests.support.process import WATCHKEEP, free_port
from watchkeep.protocol.ingest import IngestPayload


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHKEEP_")}
    env.update({"WATCHKEEP_DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock", **extra})
    return env


def test_once_print_writes_one_valid_payload(tmp_path: Path) -> None:
    result = subprocess.run(
        [WATCHKEEP, "agent", "--once", "--print"], capture_output=True, env=_env(tmp_path), timeout=60
    )
    assert result.returncode == 0, result.stderr
    payload = msgspec.json.decode(result.stdout, type=IngestPayload)
    assert payload.memory_total_mb and payload.cpu_percent is not None and payload.top_processes is not None
    assert payload.timestamp is not None and payload.agent_version
    assert b"no Docker engine" in result.stderr


def test_the_agent_command_does_not_load_the_hub(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "sys.argv = ['watchkeep', 'agent', '--once', '--print']\n"
        "from watchkeep import cli\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'sqlalchemy', 'uvicorn', 'alembic')"
        " or m.startswith(('watchkeep.app', 'watchkeep.core.db', 'watchkeep.core.auth', 'watchkeep.runtime'))]\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(tmp_path))
    assert "LOADED []" in result.stderr, result.stderr[-2000:]


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [WATCHKEEP, "agent", "--hub", "http://127.0.0.1:9"], capture_output=True, text=True, env=_env(tmp_path)
    )
    assert result.returncode == 2 and "agent_token" in result.stdout


def test_a_bad_hub_url_is_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [WATCHKEEP, "agent", "--token", "t"], capture_output=True, text=True, env=_env(tmp_path, WATCHKEEP_HUB="hub:80")
    )
    assert result.returncode == 2 and "hub" in result.stdout


async def _wait_for(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.05)


async def test_sigterm_keeps_the_payload_in_flight_and_the_next_run_delivers_it(tmp_path: Path) -> None:
    # A "hub" that accepts connections and never answers: the push is in flight at SIGTERM.
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    silent = await asyncio.start_server(swallow, "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    spool = tmp_path / "spool"
    args = ["agent", "--token", "agent-token-1", "--spool-dir", str(spool), "--interval", "60"]
    log = tmp_path / "agent.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [WATCHKEEP, *args, "--hub", f"http://127.0.0.1:{silent_port}"], env=_env(tmp_path), stderr=stderr
        )
    await _wait_for(lambda: spool.exists() and any(spool.glob("0*.json")))
    await asyncio.sleep(0.3)  # the push is now waiting on the silent hub
    process.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(process.wait, 30)
    silent.close()
    assert code == 0, log.read_text()
    kept = sorted(p.name for p in spool.glob("0*.json"))
    assert len(kept) == 1
    key = kept[0].removesuffix(".json").split("-", 2)[2]

    hub, port = LoopbackHub(), free_port()
    async with serving(hub, port) as url:
        again = subprocess.Popen([WATCHKEEP, *args, "--hub", url], env=_env(tmp_path), stderr=subprocess.DEVNULL)
        await _wait_for(lambda: len(hub.stored) >= 2)
        again.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(again.wait, 30) == 0
    assert hub.keys[0] == key  # the spooled payload first, under its original key
    assert not any(spool.glob("0*.json"))
