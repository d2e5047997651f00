"""A container's live logs in a real browser: the page of a container on the hub's own engine
shows its chart and its last lines, stdout and stderr apart; a line the container writes after
the page loaded appears live; pause holds new lines until resume; the filter hides the rest."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import check_accessibility, screenshot
from tests.support.docker_engine import DockerEngine, docker_engine
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess, start_serve

__all__ = ["docker_engine"]

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT_MS = 30_000
CHATTY = (
    "/bin/sh",
    "-c",
    "echo server started; echo warning: cache is cold >&2; "
    "while :; do if [ -s /say ]; then cat /say; : > /say; fi; sleep 1; done",
)


@pytest.fixture
def local_serve(tmp_path: Path, docker_engine: DockerEngine) -> Iterator[ServeProcess]:
    process = start_serve(
        tmp_path,
        f"sqlite:///{tmp_path / 'watchkeep.db'}",
        env={
            "WATCHKEEP_SELF_MONITOR": "true",
            "WATCHKEEP_DOCKER_HOST": docker_engine.host,
            "WATCHKEEP_AGENT_PUSH_INTERVAL_SECONDS": "1",
            "WATCHKEEP_DOCKER_STATS_INTERVAL": "1",
            "WATCHKEEP_EVENT_POLL_SECONDS": "0.2",
        },
    )
    try:
        process.wait_healthy()
        yield process
    finally:
        process.terminate()


def _say(engine: DockerEngine, name: str, text: str) -> None:
    env = {**os.environ, "DOCKER_HOST": engine.host}
    command = ["docker", "exec", name, "/bin/sh", "-c", f"echo {text} > /say"]
    subprocess.run(command, check=True, env=env, timeout=60, capture_output=True)


async def _container_id(serve: ServeProcess, name: str) -> str:
    async with httpx2.AsyncClient(base_url=serve.url, timeout=30) as client:
        await client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        for _ in range(300):
            items = (await client.get("/api/v1/containers")).json()["items"]
            found = [item["id"] for item in items if item["name"] == name]
            if found:
                return str(found[0])
            await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never appeared")


async def test_a_container_page_shows_its_logs_live(
    browser: Any, local_serve: ServeProcess, docker_engine: DockerEngine
) -> None:
    name = f"shop-api-{uuid.uuid4().hex[:6]}"
    docker_engine.run(name, command=CHATTY)
    try:
        container = await _container_id(local_serve, name)
        page = await browser.new_page(viewport={"width": 1280, "height": 1400})
        await page.goto(f"{local_serve.url}/containers/{container}")
        await page.get_by_label("Username").fill("admin")
        await page.get_by_label("Password").fill(ADMIN_PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(f"{local_serve.url}/containers/{container}")
        await page.wait_for_function(
            "() => Number(document.querySelector('figure[data-metric=cpuPercent]').dataset.points || 0) >= 1",
            timeout=TIMEOUT_MS,
        )
        lines = page.locator("#log-lines")
        await lines.locator(".log-line.stdout", has_text="server started").wait_for(timeout=TIMEOUT_MS)
        await lines.locator(".log-line.stderr", has_text="warning: cache is cold").wait_for(timeout=TIMEOUT_MS)
        await page.locator("#log-status[data-state=live]").wait_for(timeout=TIMEOUT_MS)

        await page.evaluate("window.notReloaded = true")
        _say(docker_engine, name, "order 1234 accepted")
        await lines.locator(".log-line.stdout", has_text="order 1234 accepted").wait_for(timeout=TIMEOUT_MS)
        assert await page.evaluate("window.notReloaded") is True

        # Paused, a new line waits; resumed, it shows
        await page.get_by_role("button", name="Pause").click()
        _say(docker_engine, name, "order 1235 accepted")
        await page.locator("#log-status", has_text="1 new").wait_for(timeout=TIMEOUT_MS)
        assert await lines.locator(".log-line", has_text="order 1235").count() == 0
        await page.get_by_role("button", name="Resume").click()
        await lines.locator(".log-line", has_text="order 1235 accepted").wait_for(timeout=TIMEOUT_MS)

        await screenshot(page, "container-logs")
        await check_accessibility(page)
        await page.emulate_media(color_scheme="dark")
        await screenshot(page, "container-logs-dark")
        await check_accessibility(page)

        await page.get_by_label("Show only lines containing").fill("order")
        assert await lines.locator(".log-line:visible").count() == 2
        await page.get_by_label("Show only lines containing").fill("")
        await page.close()
    finally:
        docker_engine.docker("rm", "-f", name)
