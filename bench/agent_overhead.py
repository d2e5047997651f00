"""The agent's own cost: starts a hub (`watchkeep serve`, SQLite), creates an agent, runs
`watchkeep agent` against it at a 1 s interval and then at the default 15 s interval (set as
the agent's `pushIntervalSeconds` on the hub, which wins over `--interval`), and prints the
agent's CPU in % of one core and its peak RSS for each.

    .venv/bin/python bench/agent_overhead.py [--duration 60] [--default-duration 90]

CPU is counted from the agent's first push on (start-up is not steady state); peak RSS is the
process's high-water mark (VmHWM), start-up included."""

from __future__ import annotations

import argparse
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx2
import psutil
from serve import WATCHKEEP, serving


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _last_sample(hub: str, key: str, agent_id: str) -> str | None:
    response = httpx2.get(f"{hub}/api/v1/agents/{agent_id}/metrics/current", headers={"X-API-Key": key}, timeout=5)
    sampled: str | None = response.json().get("sampledAt") if response.status_code == 200 else None
    return sampled


def _measure(
    hub: str, key: str, agent: dict[str, str], env: dict[str, str], interval: float, duration: float
) -> tuple[float, float]:
    """(CPU % of one core, peak RSS MB) of one agent run."""
    # the hub's push interval wins over --interval, so the hub is told first
    patched = httpx2.patch(
        f"{hub}/api/v1/agents/{agent['id']}", json={"pushIntervalSeconds": int(interval)}, headers={"X-API-Key": key}
    )
    patched.raise_for_status()
    before = _last_sample(hub, key, agent["id"])
    with tempfile.TemporaryDirectory() as spool:
        command = [WATCHKEEP, "agent", "--hub", hub, "--token", agent["token"], "--interval", str(interval)]
        running = subprocess.Popen([*command, "--spool-dir", spool], env=env, stderr=subprocess.DEVNULL)
        process = psutil.Process(running.pid)
        deadline = time.monotonic() + 60
        while _last_sample(hub, key, agent["id"]) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        start_cpu = sum(process.cpu_times()[:2])
        started = time.monotonic()
        time.sleep(duration)
        cpu = sum(process.cpu_times()[:2]) - start_cpu
        elapsed = time.monotonic() - started
        peak = _peak_rss_mb(running.pid)
        running.send_signal(signal.SIGTERM)
        running.wait(30)
    return 100.0 * cpu / elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--default-duration", type=float, default=90.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        database = f"sqlite:///{data}/watchkeep.db"
        with serving(database, data, self_monitor="false") as hub:
            created = subprocess.run(
                [WATCHKEEP, "key", "create", "--name", "bench", "--scopes", "admin", "--database-url", database],
                capture_output=True, text=True, env=hub.env, check=True,
            )  # fmt: skip
            key = created.stdout.strip().splitlines()[-1]
            response = httpx2.post(
                f"{hub.url}/api/v1/agents", json={"name": "bench"}, headers={"X-API-Key": key}, timeout=10
            )
            agent = response.json()
            fast = _measure(hub.url, key, agent, hub.env, 1.0, options.duration)
            default = _measure(hub.url, key, agent, hub.env, 15.0, options.default_duration)
    print(
        f"agent at 1 s: {fast[0]:.2f} % of one core, peak RSS {fast[1]:.1f} MB over {options.duration:.0f} s"
        f" · at 15 s (default): {default[0]:.2f} % of one core, peak RSS {default[1]:.1f} MB"
        f" over {options.default_duration:.0f} s (target < 0.5 % and < 60 MB)"
    )


if __name__ == "__main__":
    main()
