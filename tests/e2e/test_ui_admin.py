"""The alert, notification and settings pages in a real browser: a silence made and ended,
a webhook channel made through its type's form, tested, routed and seen delivering an alert
live, a webhook's secret and an API key shown once, and the pages on a phone."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import check_accessibility, screenshot
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess, start_serve
from tests.support.receiver import Receiver, running_receiver

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT_MS = 20_000


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP receiver on loopback, served from a thread of its own (it answers the hub
    whatever the test's loop is waiting on)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop: asyncio.Event | None = None
    holder: list[Receiver] = []

    async def serve() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with running_receiver() as running:
            holder.append(running)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(15), "the receiver did not start"
    try:
        yield holder[0]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(15)
        loop.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    """A hub that may send to loopback (the receiver) and delivers promptly."""
    process = start_serve(
        tmp_path,
        f"sqlite:///{tmp_path / 'watchkeep.db'}",
        env={
            "WATCHKEEP_ALLOW_PRIVATE_TARGETS": "true",
            "WATCHKEEP_EVENT_POLL_SECONDS": "0.2",
            "WATCHKEEP_OUTBOX_POLL_SECONDS": "0.2",
        },
    )
    try:
        process.wait_healthy()
        yield process
    finally:
        process.terminate()


async def _log_in(page: Any, serve: ServeProcess, path: str) -> None:
    await page.goto(serve.url + path)
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(serve.url + path)
    await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)


async def _look(page: Any, name: str) -> None:
    await screenshot(page, name)
    await check_accessibility(page)


def _failing_heartbeat(serve: ServeProcess) -> str:
    """A heartbeat that reports a failed run, through the API, as a cron job would; returns
    its ping URL."""
    with httpx2.Client(base_url=serve.url, timeout=30) as client:
        login = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        headers = {"X-CSRF-Token": login.json()["csrfToken"]}
        created = client.post(
            "/api/v1/heartbeats", json={"name": "nightly backup", "periodSeconds": 3600}, headers=headers
        )
        assert created.status_code == 201, created.text
        ping_url: str = created.json()["pingUrl"]
        assert httpx2.get(ping_url + "/fail").text == "OK"
        return ping_url


async def _on_a_phone(browser: Any, signed_in: Any, serve: ServeProcess, paths: list[str]) -> None:
    """The pages at 390 px wide, signed in as `signed_in` is: nothing wider than the screen."""
    phone = await browser.new_page(viewport={"width": 390, "height": 844})
    await phone.context.add_cookies(await signed_in.context.cookies())
    for path in paths:
        await phone.goto(serve.url + path)
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        plain = re.sub(r"/[a-z]+_[0-9a-f]{8,}", "/one", path.split("?")[0])
        name = re.sub(r"[^a-z]+", "-", plain).strip("-")
        await _look(phone, f"phone-{name}")
    await phone.close()


async def test_a_silence_is_created_and_ended(browser: Any, serve: ServeProcess) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await _log_in(page, serve, "/alerts")
    await _look(page, "alerts")
    await page.get_by_role("navigation", name="Alerts").get_by_role("link", name="Silences").click()
    await page.wait_for_url(serve.url + "/silences")
    await page.get_by_label("Source").fill("heartbeat")
    await page.get_by_label("Duration (seconds)").fill("30")
    await page.get_by_label("Comment").fill("database upgrade")
    await page.get_by_role("button", name="Create silence").click()
    # The API's error, next to its field
    assert "greater than or equal to 60" in await page.locator("#e-f-durationSeconds").inner_text()
    assert await page.get_by_label("Duration (seconds)").get_attribute("aria-invalid") == "true"
    await check_accessibility(page)
    await page.get_by_label("Duration (seconds)").fill("3600")
    await page.get_by_role("button", name="Create silence").click()
    await page.wait_for_url(serve.url + "/silences")
    row = page.locator("#silences tbody tr", has_text="database upgrade")
    assert await row.get_attribute("data-active") == "true"
    assert "source=heartbeat" in await row.inner_text()
    await _look(page, "silences")
    await row.get_by_role("button", name="End now").click()
    await page.wait_for_url(serve.url + "/silences")
    assert await page.locator("#silences").count() == 0
    assert await page.get_by_text("No silence is active or coming.").is_visible()

    await page.get_by_role("link", name="Maintenance windows").click()
    await page.get_by_label("Name").fill("Sunday patching")
    await page.get_by_label("On a schedule").check()
    assert await page.get_by_label("Starts (your browser's time)").is_hidden()
    await page.get_by_label("Cron expression").fill("0 3 * * 0")
    await page.get_by_label("Open for (seconds)").fill("7200")
    await page.get_by_label("Timezone").fill("Europe/Berlin")
    await page.get_by_role("button", name="Create window").click()
    await page.wait_for_url(serve.url + "/maintenance")
    assert "0 3 * * 0" in await page.locator("#windows tbody tr", has_text="Sunday patching").inner_text()
    await _look(page, "maintenance")
    await page.close()


async def test_a_webhook_channel_from_its_form_to_a_delivered_alert(
    browser: Any, serve: ServeProcess, receiver: Receiver
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await _log_in(page, serve, "/channels")
    await page.get_by_label("Type").select_option("webhook")
    await page.get_by_role("button", name="New channel").click()
    await page.wait_for_url(re.compile(r".*/channels/new\?type=webhook$"))
    # The webhook type's own fields, read from its config model
    assert await page.get_by_label("URL").is_visible()
    assert await page.get_by_label("Headers (optional)").is_visible()
    await page.get_by_label("Name").fill("ops receiver")
    await page.get_by_label("URL").fill(receiver.url + "/alerts")
    await page.get_by_label("Headers (optional)").fill("X-Team: ops")
    await _look(page, "channel-new-webhook")
    await page.get_by_role("button", name="Create").click()
    await page.wait_for_url(re.compile(r".*/channels/chn_[^/]+$"))
    channel_path = page.url.removeprefix(serve.url)

    await page.get_by_role("button", name="Test").click()
    result = page.locator("#test-result")
    await result.wait_for(timeout=TIMEOUT_MS)
    assert await result.get_attribute("data-ok") == "true", await result.inner_text()
    assert "HTTP 200" in await result.inner_text()
    assert receiver.requests[-1].path == "/alerts"
    assert receiver.requests[-1].headers["x-team"] == "ops"

    # A rule for every alert; then an alert fires and its delivery shows up without a reload
    await page.get_by_role("button", name="Add rule").click()
    await page.locator("#rules").wait_for()
    assert "every alert" in await page.locator("ul.rules").inner_text()
    await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    await page.evaluate("window.notReloaded = true")
    ping_url = _failing_heartbeat(serve)
    delivered = page.locator("#deliveries tbody tr[data-status=delivered][data-event='alert.fired']")
    await delivered.wait_for(timeout=TIMEOUT_MS)
    assert await page.evaluate("window.notReloaded") is True
    assert any(r.path == "/alerts" and b"nightly backup" in r.body for r in receiver.requests)
    await _look(page, "channel")

    # The alert's page tells its story, delivery included
    await delivered.get_by_role("link").click()
    await page.wait_for_url(re.compile(r".*/alerts/[^/]+$"))
    timeline = await page.locator("ol.timeline").inner_text()
    for moment in ("Fired", "Notified", "Delivered"):
        assert moment in timeline, timeline
    await _look(page, "alert")
    await page.get_by_role("button", name="1 h").click()
    await page.wait_for_url(re.compile(r".*/alerts/[^/]+$"))
    assert await page.get_by_text("Snoozed until").is_visible()
    await page.get_by_role("button", name="Acknowledge").click()
    await page.wait_for_url(re.compile(r".*/alerts/[^/]+$"))
    assert await page.locator("#alert-status").get_attribute("data-status") == "acknowledged"
    assert "Acknowledged" in await page.locator("ol.timeline").inner_text()
    # It resolves with the next good ping, and the page says so without a reload
    await page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    await page.evaluate("window.notReloaded = true")
    assert httpx2.get(ping_url).text == "OK"
    await page.locator("#alert-status[data-status=resolved]").wait_for(timeout=TIMEOUT_MS)
    assert await page.evaluate("window.notReloaded") is True
    assert "Resolved" in await page.locator("ol.timeline").inner_text()
    alert_path = page.url.removeprefix(serve.url)
    await _on_a_phone(browser, page, serve, ["/alerts", alert_path, "/channels", channel_path, "/silences"])
    await page.close()


async def test_secrets_are_shown_once_and_pages_fit_a_phone(
    browser: Any, serve: ServeProcess, receiver: Receiver
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await _log_in(page, serve, "/settings")
    await page.get_by_role("link", name="API keys").click()
    await page.wait_for_url(serve.url + "/settings/keys")
    await page.get_by_label("Name").fill("backup script")
    await page.get_by_label("write").check()
    await page.get_by_role("button", name="Create key").click()
    key = await page.locator("#new-key").inner_text()
    assert key.startswith("wk")
    assert await page.get_by_role("button", name="Copy").is_visible()
    me = httpx2.get(serve.url + "/api/v1/me", headers={"X-API-Key": key})
    assert me.json()["scopes"] == ["read", "write"]
    await _look(page, "key-created")
    await page.goto(serve.url + "/settings/keys")
    assert key not in await page.content()
    assert await page.locator("#keys tbody tr", has_text="backup script").is_visible()

    await page.get_by_role("link", name="Users").click()
    await page.get_by_label("Username").fill("sam")
    await page.get_by_label("Password").fill("long-enough-1")
    await page.get_by_label("Role", exact=True).select_option("editor")
    await page.get_by_role("button", name="Create user").click()
    await page.wait_for_url(serve.url + "/settings/users")
    assert await page.get_by_label("Role of sam", exact=True).input_value() == "editor"
    await _look(page, "users")

    await page.goto(serve.url + "/webhooks")
    await page.get_by_label("Name").fill("audit log")
    await page.get_by_label("URL").fill(receiver.url + "/hook")
    await page.get_by_role("button", name="Create webhook").click()
    secret = await page.locator("#webhook-secret").inner_text()
    assert len(secret) >= 16
    await _look(page, "webhook-created")
    await page.get_by_role("button", name="Test").click()
    await page.locator("#test-result[data-ok=true]").wait_for(timeout=TIMEOUT_MS)
    assert await page.locator("#deliveries tbody tr[data-status=delivered]").count() == 1
    assert secret not in await page.content()
    assert receiver.requests[-1].headers["x-watchkeep-signature"].startswith("sha256=")

    await _on_a_phone(
        browser, page, serve, ["/webhooks", "/settings/keys", "/settings/users", "/channels/new?type=email"]
    )
    await page.close()
