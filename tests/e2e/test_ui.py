"""What a person does in the UI, in a real browser: log in, create a heartbeat, watch it
come up and go down without reloading, acknowledge the alert, look at a host's charts, and
use the overview on a phone."""

from __future__ import annotations

import re
from typing import Any

import httpx2

from tests.e2e.conftest import check_accessibility, screenshot
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess

TIMEOUT_MS = 20_000


def _log_in(page: Any, serve: ServeProcess) -> None:
    page.goto(serve.url + "/")
    assert page.url.startswith(serve.url + "/login")
    assert page.get_by_text("First start?").is_visible()
    check_accessibility(page)
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(serve.url + "/")
    page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)


def test_a_heartbeat_from_the_form_to_an_acknowledged_alert(browser: Any, serve: ServeProcess) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, serve)
    screenshot(page, "overview")
    check_accessibility(page)

    page.goto(serve.url + "/heartbeats/new")
    page.get_by_label("Name").fill("nightly backup")
    page.get_by_label("Period (seconds)").fill("30")
    page.get_by_role("button", name="Create").click()
    # The API's error, next to its field
    error = page.locator("#e-periodSeconds")
    assert "greater than or equal to 60" in error.inner_text()
    assert page.get_by_label("Period (seconds)").get_attribute("aria-invalid") == "true"
    check_accessibility(page)
    page.get_by_label("Period (seconds)").fill("3600")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/heartbeats/[^/]+$"))
    ping_url = page.locator("#ping-url").inner_text()
    check_accessibility(page)

    page.goto(serve.url + "/heartbeats")
    page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    row = page.locator("table.monitors tbody tr", has_text="nightly backup")
    assert row.get_attribute("data-state") == "pending"
    page.evaluate("window.notReloaded = true")
    assert httpx2.get(ping_url.replace(serve.url, serve.url)).text == "OK"
    page.locator("table.monitors tbody tr[data-state=up]", has_text="nightly backup").wait_for(timeout=TIMEOUT_MS)
    screenshot(page, "heartbeat-up")

    page.goto(serve.url + "/")
    page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    page.evaluate("window.notReloaded = true")
    assert httpx2.get(ping_url + "/fail").text == "OK"
    page.locator("table.monitors tbody tr[data-state=down]", has_text="nightly backup").wait_for(timeout=TIMEOUT_MS)
    alert = page.locator("#alerts tbody tr", has_text="nightly backup")
    alert.wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, "alert-fired")
    check_accessibility(page)

    alert.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(serve.url + "/alerts")
    page.locator("#alerts tbody tr[data-status=acknowledged]", has_text="nightly backup").wait_for(timeout=TIMEOUT_MS)
    assert page.locator("#alerts").get_by_text("by admin").is_visible()
    screenshot(page, "alert-acknowledged")
    check_accessibility(page)
    page.close()


def test_the_hub_host_page_shows_charts_with_points(browser: Any, serve: ServeProcess) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, serve)
    page.locator("table.monitors tbody tr[data-state=up]", has_text="host").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("table.monitors a[href^='/hosts/']").first.click()
    page.wait_for_url(re.compile(r".*/hosts/[^/]+$"))
    # Charts fill in as the hub samples its own host every second
    page.wait_for_function(
        "() => Number(document.querySelector('figure[data-metric=memoryPercent]').dataset.points || 0) >= 2",
        timeout=TIMEOUT_MS,
    )
    page.locator("figure[data-metric=memoryPercent] canvas").wait_for()
    page.get_by_role("button", name="6h").click()
    assert page.get_by_role("button", name="6h").get_attribute("aria-pressed") == "true"
    screenshot(page, "host")
    check_accessibility(page)
    page.close()


def test_the_overview_on_a_phone_in_the_dark(browser: Any, serve: ServeProcess) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    _log_in(page, serve)
    page.locator("table.monitors tbody tr").first.wait_for(timeout=TIMEOUT_MS)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 21, 26)", background
    screenshot(page, "overview-phone-dark")
    check_accessibility(page)
    # The Theme button switches to light and the choice survives a reload
    page.get_by_role("button", name="Switch between light and dark theme").click()
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 247, 249)"
    check_accessibility(page)
    page.close()
