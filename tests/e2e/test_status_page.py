"""The public status page in a real browser: a linked heartbeat goes down and the component
changes without a reload; the page is complete with JavaScript off; the admin pages order
components without dragging, open an incident and show the settings' preview."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import check_accessibility, screenshot
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT_MS = 30_000


def _signed_in(serve: ServeProcess) -> tuple[httpx2.Client, dict[str, str]]:
    client = httpx2.Client(base_url=serve.url, timeout=30)
    login = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert login.status_code == 200, login.text
    return client, {"X-CSRF-Token": login.json()["csrfToken"]}


def _post(client: httpx2.Client, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    created: dict[str, Any] = response.json()
    return created


async def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    await screenshot(page, name)


async def test_a_component_goes_down_live_and_the_page_works_without_javascript(
    browser: Any, serve: ServeProcess, tmp_path: Path
) -> None:
    client, headers = _signed_in(serve)
    with contextlib.closing(client):
        job = _post(client, headers, "/api/v1/heartbeats", {"name": "nightly-export-job", "periodSeconds": 3600})
        assert client.post(f"/ping/{job['uuid']}").status_code == 200
        other = _post(client, headers, "/api/v1/heartbeats", {"name": "billing-run", "periodSeconds": 3600})
        assert client.post(f"/ping/{other['uuid']}").status_code == 200
        _post(client, headers, "/api/v1/status/groups", {"name": "Data"})
        group = client.get("/api/v1/status/groups").json()[0]
        exports = _post(
            client,
            headers,
            "/api/v1/status/components",
            {"name": "Exports", "groupId": group["id"], "monitors": [{"type": "heartbeat", "id": job["id"]}]},
        )
        _post(
            client,
            headers,
            "/api/v1/status/components",
            {"name": "Billing", "groupId": group["id"], "monitors": [{"type": "heartbeat", "id": other["id"]}]},
        )
        client.put(
            "/api/v1/status/settings",
            json={"title": "Acme status", "description": "How our services are doing", "footer": "Acme Inc."},
            headers=headers,
        )

        page = await browser.new_page(viewport={"width": 1100, "height": 900})
        await page.goto(serve.url + "/status")
        await page.locator("#status-root[data-live=live]").wait_for(timeout=TIMEOUT_MS)
        row = page.locator(f'[data-component="{exports["id"]}"]')
        assert await row.get_attribute("data-status") == "operational"
        await page.evaluate("window.notReloaded = true")
        await _shot(page, tmp_path, "status-operational")

        assert client.post(f"/ping/{job['uuid']}/fail").status_code == 200
        await page.locator(f'[data-component="{exports["id"]}"][data-status="major_outage"]').wait_for(
            timeout=TIMEOUT_MS
        )
        await page.locator("#status-root[data-status=major_outage]").wait_for(timeout=TIMEOUT_MS)
        await page.get_by_role("heading", name="Major outage").wait_for(timeout=TIMEOUT_MS)
        assert await page.evaluate("window.notReloaded") is True
        assert "Major outage" in await row.inner_text()
        await _shot(page, tmp_path, "status-major-outage")
        await check_accessibility(page)
        await page.close()

        context = await browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 900})
        static = await context.new_page()
        await static.goto(serve.url + "/status")
        assert await static.locator("#status-root").get_attribute("data-live") == "off"
        components = static.locator("li.status-component")
        assert await components.count() == 2
        assert "Major outage" in await static.locator(f'[data-component="{exports["id"]}"]').inner_text()
        assert "Operational" in await components.filter(has_text="Billing").inner_text()
        assert await static.locator(".status-day").count() == 2 * 90
        assert "nightly-export-job" not in await static.content()
        await _shot(static, tmp_path, "status-no-javascript")
        await context.close()


async def test_the_admin_pages_order_components_open_an_incident_and_preview_the_page(
    browser: Any, serve: ServeProcess, tmp_path: Path
) -> None:
    client, headers = _signed_in(serve)
    with contextlib.closing(client):
        for name in ("Website", "API", "Mail"):
            _post(client, headers, "/api/v1/status/components", {"name": name})

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(serve.url + "/status-page")
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(serve.url + "/status-page")
    names = page.locator("#component-order li[data-component] .grow a")
    assert await names.all_inner_texts() == ["Website", "API", "Mail"]
    # The keyboard way: the Move buttons are plain form buttons.
    await page.get_by_role("button", name="Move Mail up").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_load_state()
    await page.locator("#component-order li[data-component]").first.wait_for()
    assert await names.all_inner_texts() == ["Website", "Mail", "API"]
    await page.get_by_label("Name").fill("Core")
    await page.get_by_role("button", name="Create group").click()
    await page.get_by_role("heading", name="Core").wait_for()
    await _shot(page, tmp_path, "status-admin")
    await check_accessibility(page)

    await page.goto(serve.url + "/status-page/incidents")
    await page.get_by_label("Title").fill("Mail is slow")
    await page.get_by_label("First update").fill("We are looking into slow mail delivery.")
    await page.get_by_label("Mail").check()
    await page.get_by_role("button", name="Open incident").click()
    await page.get_by_role("heading", name="Mail is slow").wait_for()
    await page.get_by_role("button", name="Resolve").click()
    await page.locator("#incident-status", has_text="resolved").wait_for()
    assert await page.locator("#updates li").count() == 2
    await _shot(page, tmp_path, "status-incident")
    await check_accessibility(page)

    await page.goto(serve.url + "/status-page/settings")
    await page.get_by_label("Title").fill("Acme status")
    await page.get_by_role("button", name="Save").click()
    await page.get_by_role("status").filter(has_text="Saved").wait_for()
    preview = page.frame_locator("iframe.preview")
    await preview.get_by_role("heading", name="Acme status").wait_for(timeout=TIMEOUT_MS)
    await _shot(page, tmp_path, "status-settings")
    await page.close()
