"""The container pages in a real browser: containers grouped with their state, a state change
arriving live, and a container's page with its uptime, transitions and a chart with points."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import check_accessibility, screenshot
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT_MS = 20_000


def _agent(serve: ServeProcess) -> str:
    """A new agent's token."""
    with httpx2.Client(base_url=serve.url, timeout=30) as client:
        login = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        created = client.post(
            "/api/v1/agents", json={"name": "docker-1"}, headers={"X-CSRF-Token": login.json()["csrfToken"]}
        )
        assert created.status_code == 201, created.text
        token: str = created.json()["token"]
        return token


def _report(serve: ServeProcess, token: str, state: str, cpu: float) -> None:
    payload: dict[str, Any] = {
        "containers": [
            {
                "id": "4f1c2a9d8e7b",
                "name": "shop-web",
                "image": "nginx:1.27",
                "imageId": "sha256:1",
                "state": state,
                "status": state,
                "created": 1,
                "labels": {"com.docker.compose.project": "shop"},
            }
        ],
        "services": [{"containerName": "shop-web", "cpuPercent": cpu, "memoryUsedMb": 40, "memoryLimitMb": 512}],
    }
    response = httpx2.post(
        serve.url + "/api/metrics/ingest",
        content=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def test_containers_grouped_live_and_a_container_page_with_its_chart(browser: Any, serve: ServeProcess) -> None:
    token = _agent(serve)
    _report(serve, token, "running", 12.5)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(serve.url + "/containers")
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(serve.url + "/containers")
    await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    assert await page.get_by_role("heading", name="shop project").is_visible()
    await page.locator("#containers tr[data-state=running]", has_text="shop-web").wait_for()
    await screenshot(page, "containers")
    await check_accessibility(page)

    await page.evaluate("window.notReloaded = true")
    _report(serve, token, "exited", 0.0)
    await page.locator("#containers tr[data-state=exited]", has_text="shop-web").wait_for(timeout=TIMEOUT_MS)
    assert await page.evaluate("window.notReloaded") is True

    _report(serve, token, "running", 20.0)
    await page.get_by_role("link", name="shop-web").click()
    await page.wait_for_url(re.compile(r".*/containers/ctr_[0-9a-f]+$"))
    await page.locator("#container-status[data-state=running]").wait_for(timeout=TIMEOUT_MS)
    timeline = await page.locator("ol.timeline").inner_text()
    assert "exited" in timeline and "running" in timeline
    await page.wait_for_function(
        "() => Number(document.querySelector('figure[data-metric=cpuPercent]').dataset.points || 0) >= 1",
        timeout=TIMEOUT_MS,
    )
    await screenshot(page, "container")
    await check_accessibility(page)

    # The overview names the top consumers
    await page.goto(serve.url + "/")
    top = page.locator("table.top-consumers tbody tr", has_text="shop-web")
    assert "20%" in await top.inner_text()
    await check_accessibility(page)
    await page.close()
