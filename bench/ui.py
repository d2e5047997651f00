"""Server time of the UI's heaviest pages with 10,000 heartbeats and 500 agents, on SQLite:
the overview, the heartbeats list with a search and a status filter, and page 50 of the
overview. One logged-in client asks for each page in turn; the time is from request sent to
response read over loopback (so it includes a little client time).

    .venv/bin/python bench/ui.py [--heartbeats 10000] [--agents 500] [--requests 200]

Target: p99 at or under 100 ms for each page.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx2
from serve import ADMIN_PASSWORD, admin_client, serving

PAGES = {
    "overview": "/",
    "search+filter": "/heartbeats?q=bench-12&state=pending",
    "page 50": "/?page=50",
}


def _fill(client: httpx2.Client, heartbeats: int, agents: int) -> None:
    for i in range(agents):
        client.post("/api/v1/agents", json={"name": f"host-{i:03d}"}).raise_for_status()
    for i in range(heartbeats):
        client.post("/api/v1/heartbeats", json={"name": f"bench-{i}", "periodSeconds": 3600}).raise_for_status()


def _measure(url: str, requests: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in PAGES}
    with httpx2.Client(base_url=url, timeout=30) as browser:
        login = browser.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status_code == 303, login.text
        for path in PAGES.values():
            assert browser.get(path).status_code == 200  # warm
        for _ in range(requests):
            for name, path in PAGES.items():
                started = time.perf_counter()
                response = browser.get(path)
                timings[name].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heartbeats", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'ui.db'}"
        with serving(
            database, tmp, log_level="warning", self_monitor="false", api_rate_limit_per_minute="1000000"
        ) as serve:
            with admin_client(serve.url) as client:
                started = time.perf_counter()
                _fill(client, args.heartbeats, args.agents)
                filled = time.perf_counter() - started
            timings = _measure(serve.url, args.requests)
    parts = []
    for name, values in timings.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        parts.append(f"{name} p50 {statistics.median(values):.1f} ms p99 {p99:.1f} ms")
    print(
        f"ui sqlite {args.heartbeats} heartbeats {args.agents} agents (filled in {filled:.0f} s), "
        f"{args.requests} requests each: " + "; ".join(parts)
    )


if __name__ == "__main__":
    main()
