"""The endpoint pages in a real browser: the list with statuses and sparklines filled in live,
the form showing the fields of the chosen type, and an endpoint's page with its chart."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import check_accessibility, screenshot
from tests.endpoints.servers import http_server
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT_MS = 30_000


def _create(serve: ServeProcess, bodies: list[dict[str, Any]]) -> list[str]:
    with httpx2.Client(base_url=serve.url, timeout=30) as client:
        login = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        headers = {"X-CSRF-Token": login.json()["csrfToken"]}
        ids = []
        for body in bodies:
            created = client.post("/api/v1/endpoints", json=body, headers=headers)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        client.post(f"/api/v1/endpoints/{ids[-1]}/pause", headers=headers)
        return ids


async def test_endpoints_listed_live_with_sparklines_and_an_endpoint_page_with_its_chart(
    browser: Any, serve: ServeProcess
) -> None:
    async with http_server() as server:
        _create(
            serve,
            [
                {"name": "shop", "type": "http", "target": f"{server}/ok", "intervalSeconds": 5, "timeoutSeconds": 2},
                {
                    "name": "billing api",
                    "type": "http",
                    "target": f"{server}/status/503",
                    "intervalSeconds": 5,
                    "failureThreshold": 1,
                },
                {"name": "database", "type": "tcp", "target": "127.0.0.1:1", "intervalSeconds": 60},
            ],
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(serve.url + "/endpoints")
        await page.get_by_label("Username").fill("admin")
        await page.get_by_label("Password").fill(ADMIN_PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(serve.url + "/endpoints")
        await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
        # Filled in live as the checks come in: no reload.
        await page.evaluate("window.notReloaded = true")
        await page.locator("#endpoints tr[data-state=up]", has_text="shop").wait_for(timeout=TIMEOUT_MS)
        await page.locator("#endpoints tr[data-state=down]", has_text="billing api").wait_for(timeout=TIMEOUT_MS)
        await page.wait_for_function(
            "() => document.querySelectorAll('#endpoints svg.spark').length >= 2", timeout=TIMEOUT_MS
        )
        assert await page.evaluate("window.notReloaded") is True
        await screenshot(page, "endpoints")
        await check_accessibility(page)

        await page.get_by_role("link", name="shop").click()
        await page.wait_for_url(re.compile(r".*/endpoints/ep_[0-9a-f]+$"))
        await page.wait_for_function(
            "() => Number(document.querySelector('figure[data-metric=responseMs]').dataset.points || 0) >= 1",
            timeout=TIMEOUT_MS,
        )
        assert await page.locator("ol.days li.day.good").count() == 1
        await screenshot(page, "endpoint")
        await check_accessibility(page)

        await page.goto(serve.url + "/endpoints/new")
        assert await page.get_by_label("Expected status").is_visible()
        await page.get_by_label("DNS record").check()
        assert not await page.get_by_label("Expected status").is_visible()
        assert await page.get_by_label("Record type").is_visible()
        await screenshot(page, "endpoint-form")
        await check_accessibility(page)
        await page.close()
