"""What a person does in the UI, in a real browser: log in, create a heartbeat, watch it
come up and go down without reloading, acknowledge the alert, look at a host's charts, and
use the overview on a phone."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import check_accessibility, screenshot
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT_MS = 20_000


async def _log_in(page: Any, serve: ServeProcess) -> None:
    await page.goto(serve.url + "/")
    assert page.url.startswith(serve.url + "/login")
    assert await page.get_by_text("First start?").is_visible()
    await check_accessibility(page)
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(serve.url + "/")
    await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)


async def test_a_heartbeat_from_the_form_to_an_acknowledged_alert(browser: Any, serve: ServeProcess) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await _log_in(page, serve)
    await screenshot(page, "overview")
    await check_accessibility(page)

    await page.goto(serve.url + "/heartbeats/new")
    # A cron schedule is read back in words with its next five runs
    await page.get_by_label("Cron expression").first.check()
    await page.locator("#f-cron").fill("30 2 * * 1-5")
    await page.get_by_text("At 02:30 on Monday to Friday").wait_for(timeout=TIMEOUT_MS)
    assert await page.locator("#cron-preview ol.runs li").count() == 5
    await page.get_by_label("Every period").check()
    await page.get_by_label("Name").fill("nightly backup")
    await page.get_by_label("Period (seconds)").fill("30")
    await page.get_by_role("button", name="Create").click()
    # The API's error, next to its field
    error = page.locator("#e-f-periodSeconds")
    assert "greater than or equal to 60" in await error.inner_text()
    assert await page.get_by_label("Period (seconds)").get_attribute("aria-invalid") == "true"
    await check_accessibility(page)
    await page.get_by_label("Period (seconds)").fill("3600")
    await page.get_by_role("button", name="Create").click()
    await page.wait_for_url(re.compile(r".*/heartbeats/[^/]+$"))
    ping_url = await page.locator("#ping-url").inner_text()
    await check_accessibility(page)

    await page.goto(serve.url + "/heartbeats")
    await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    row = page.locator("table.monitors tbody tr", has_text="nightly backup")
    assert await row.get_attribute("data-state") == "pending"
    await page.evaluate("window.notReloaded = true")
    assert httpx2.get(ping_url).text == "OK"
    await page.locator("table.monitors tbody tr[data-state=up]", has_text="nightly backup").wait_for(timeout=TIMEOUT_MS)
    await screenshot(page, "heartbeat-up")

    await page.goto(serve.url + "/")
    await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    await page.evaluate("window.notReloaded = true")
    assert httpx2.get(ping_url + "/fail").text == "OK"
    down = page.locator("table.monitors tbody tr[data-state=down]", has_text="nightly backup")
    await down.wait_for(timeout=TIMEOUT_MS)
    alert = page.locator("#alerts tbody tr", has_text="nightly backup")
    await alert.wait_for(timeout=TIMEOUT_MS)
    assert await page.evaluate("window.notReloaded") is True
    await screenshot(page, "alert-fired")
    await check_accessibility(page)

    await alert.get_by_role("button", name="Acknowledge").click()
    await page.wait_for_url(serve.url + "/alerts")
    acknowledged = page.locator("#alerts tbody tr[data-status=acknowledged]", has_text="nightly backup")
    await acknowledged.wait_for(timeout=TIMEOUT_MS)
    assert await page.locator("#alerts").get_by_text("by admin").is_visible()
    await screenshot(page, "alert-acknowledged")
    await check_accessibility(page)
    await page.close()


async def test_the_hub_host_page_shows_charts_with_points(browser: Any, serve: ServeProcess) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await _log_in(page, serve)
    await page.locator("table.monitors tbody tr[data-state=up]", has_text="host").first.wait_for(timeout=TIMEOUT_MS)
    await page.locator("table.monitors a[href^='/hosts/']").first.click()
    await page.wait_for_url(re.compile(r".*/hosts/[^/]+$"))
    # Charts fill in as the hub samples its own host every second
    await page.wait_for_function(
        "() => Number(document.querySelector('figure[data-metric=memoryPercent]').dataset.points || 0) >= 2",
        timeout=TIMEOUT_MS,
    )
    await page.locator("figure[data-metric=memoryPercent] canvas").wait_for()
    await page.get_by_role("button", name="6h").click()
    assert await page.get_by_role("button", name="6h").get_attribute("aria-pressed") == "true"
    await screenshot(page, "host")
    await check_accessibility(page)
    await page.close()


async def test_the_overview_on_a_phone_in_the_dark(browser: Any, serve: ServeProcess) -> None:
    page = await browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    await _log_in(page, serve)
    await page.locator("table.monitors tbody tr").first.wait_for(timeout=TIMEOUT_MS)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 21, 26)", background
    await screenshot(page, "overview-phone-dark")
    await check_accessibility(page)
    # The Theme button switches to light and the choice survives a reload
    await page.get_by_role("button", name="Switch between light and dark theme").click()
    await page.reload()
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"
    await check_accessibility(page)
    await page.close()
