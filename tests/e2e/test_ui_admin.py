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

TIMEOUT_MS = 20_000


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP receiver on loopback, served from a thread of its own (the browser test is
    synchronous)."""
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


def _log_in(page: Any, serve: ServeProcess, path: str) -> None:
    page.goto(serve.url + path)
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(serve.url + path)
    page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)


def _look(page: Any, name: str) -> None:
    screenshot(page, name)
    check_accessibility(page)


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


def _on_a_phone(browser: Any, signed_in: Any, serve: ServeProcess, paths: list[str]) -> None:
    """The pages at 390 px wide, signed in as `signed_in` is: nothing wider than the screen."""
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(signed_in.context.cookies())
    for path in paths:
        phone.goto(serve.url + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        plain = re.sub(r"/[a-z]+_[0-9a-f]{8,}", "/one", path.split("?")[0])
        name = re.sub(r"[^a-z]+", "-", plain).strip("-")
        _look(phone, f"phone-{name}")
    phone.close()


def test_a_silence_is_created_and_ended(browser: Any, serve: ServeProcess) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, serve, "/alerts")
    _look(page, "alerts")
    page.get_by_role("navigation", name="Alerts").get_by_role("link", name="Silences").click()
    page.wait_for_url(serve.url + "/silences")
    page.get_by_label("Source").fill("heartbeat")
    page.get_by_label("Duration (seconds)").fill("30")
    page.get_by_label("Comment").fill("database upgrade")
    page.get_by_role("button", name="Create silence").click()
    # The API's error, next to its field
    assert "greater than or equal to 60" in page.locator("#e-f-durationSeconds").inner_text()
    assert page.get_by_label("Duration (seconds)").get_attribute("aria-invalid") == "true"
    check_accessibility(page)
    page.get_by_label("Duration (seconds)").fill("3600")
    page.get_by_role("button", name="Create silence").click()
    page.wait_for_url(serve.url + "/silences")
    row = page.locator("#silences tbody tr", has_text="database upgrade")
    assert row.get_attribute("data-active") == "true"
    assert "source=heartbeat" in row.inner_text()
    _look(page, "silences")
    row.get_by_role("button", name="End now").click()
    page.wait_for_url(serve.url + "/silences")
    assert page.locator("#silences").count() == 0
    assert page.get_by_text("No silence is active or coming.").is_visible()

    page.get_by_role("link", name="Maintenance windows").click()
    page.get_by_label("Name").fill("Sunday patching")
    page.get_by_label("On a schedule").check()
    assert page.get_by_label("Starts (your browser's time)").is_hidden()
    page.get_by_label("Cron expression").fill("0 3 * * 0")
    page.get_by_label("Open for (seconds)").fill("7200")
    page.get_by_label("Timezone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create window").click()
    page.wait_for_url(serve.url + "/maintenance")
    assert "0 3 * * 0" in page.locator("#windows tbody tr", has_text="Sunday patching").inner_text()
    _look(page, "maintenance")
    page.close()


def test_a_webhook_channel_from_its_form_to_a_delivered_alert(
    browser: Any, serve: ServeProcess, receiver: Receiver
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, serve, "/channels")
    page.get_by_label("Type").select_option("webhook")
    page.get_by_role("button", name="New channel").click()
    page.wait_for_url(re.compile(r".*/channels/new\?type=webhook$"))
    # The webhook type's own fields, read from its config model
    assert page.get_by_label("URL").is_visible()
    assert page.get_by_label("Headers (optional)").is_visible()
    page.get_by_label("Name").fill("ops receiver")
    page.get_by_label("URL").fill(receiver.url + "/alerts")
    page.get_by_label("Headers (optional)").fill("X-Team: ops")
    _look(page, "channel-new-webhook")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/channels/chn_[^/]+$"))
    channel_path = page.url.removeprefix(serve.url)

    page.get_by_role("button", name="Test").click()
    result = page.locator("#test-result")
    result.wait_for(timeout=TIMEOUT_MS)
    assert result.get_attribute("data-ok") == "true", result.inner_text()
    assert "HTTP 200" in result.inner_text()
    assert receiver.requests[-1].path == "/alerts"
    assert receiver.requests[-1].headers["x-team"] == "ops"

    # A rule for every alert; then an alert fires and its delivery shows up without a reload
    page.get_by_role("button", name="Add rule").click()
    page.locator("#rules").wait_for()
    assert "every alert" in page.locator("ul.rules").inner_text()
    page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    page.evaluate("window.notReloaded = true")
    ping_url = _failing_heartbeat(serve)
    delivered = page.locator("#deliveries tbody tr[data-status=delivered][data-event='alert.fired']")
    delivered.wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("window.notReloaded") is True
    assert any(r.path == "/alerts" and b"nightly backup" in r.body for r in receiver.requests)
    _look(page, "channel")

    # The alert's page tells its story, delivery included
    delivered.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/alerts/[^/]+$"))
    timeline = page.locator("ol.timeline").inner_text()
    for moment in ("Fired", "Notified", "Delivered"):
        assert moment in timeline, timeline
    _look(page, "alert")
    page.get_by_role("button", name="1 h").click()
    page.wait_for_url(re.compile(r".*/alerts/[^/]+$"))
    assert page.get_by_text("Snoozed until").is_visible()
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(re.compile(r".*/alerts/[^/]+$"))
    assert page.locator("#alert-status").get_attribute("data-status") == "acknowledged"
    assert "Acknowledged" in page.locator("ol.timeline").inner_text()
    # It resolves with the next good ping, and the page says so without a reload
    page.locator("#live[data-state=live]").wait_for(timeout=TIMEOUT_MS)
    page.evaluate("window.notReloaded = true")
    assert httpx2.get(ping_url).text == "OK"
    page.locator("#alert-status[data-status=resolved]").wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("window.notReloaded") is True
    assert "Resolved" in page.locator("ol.timeline").inner_text()
    alert_path = page.url.removeprefix(serve.url)
    _on_a_phone(browser, page, serve, ["/alerts", alert_path, "/channels", channel_path, "/silences"])
    page.close()


def test_secrets_are_shown_once_and_pages_fit_a_phone(browser: Any, serve: ServeProcess, receiver: Receiver) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, serve, "/settings")
    page.get_by_role("link", name="API keys").click()
    page.wait_for_url(serve.url + "/settings/keys")
    page.get_by_label("Name").fill("backup script")
    page.get_by_label("write").check()
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text()
    assert key.startswith("wk")
    assert page.get_by_role("button", name="Copy").is_visible()
    me = httpx2.get(serve.url + "/api/v1/me", headers={"X-API-Key": key})
    assert me.json()["scopes"] == ["read", "write"]
    _look(page, "key-created")
    page.goto(serve.url + "/settings/keys")
    assert key not in page.content()
    assert page.locator("#keys tbody tr", has_text="backup script").is_visible()

    page.get_by_role("link", name="Users").click()
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("long-enough-1")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url(serve.url + "/settings/users")
    assert page.get_by_label("Role of sam", exact=True).input_value() == "editor"
    _look(page, "users")

    page.goto(serve.url + "/webhooks")
    page.get_by_label("Name").fill("audit log")
    page.get_by_label("URL").fill(receiver.url + "/hook")
    page.get_by_role("button", name="Create webhook").click()
    secret = page.locator("#webhook-secret").inner_text()
    assert len(secret) >= 16
    _look(page, "webhook-created")
    page.get_by_role("button", name="Test").click()
    page.locator("#test-result[data-ok=true]").wait_for(timeout=TIMEOUT_MS)
    assert page.locator("#deliveries tbody tr[data-status=delivered]").count() == 1
    assert secret not in page.content()
    assert receiver.requests[-1].headers["x-watchkeep-signature"].startswith("sha256=")

    _on_a_phone(browser, page, serve, ["/webhooks", "/settings/keys", "/settings/users", "/channels/new?type=email"])
    page.close()
