"""The certificate pages in a real browser: a monitor made from the form, checked by the hub
against a TLS server on loopback, the list by days left, and the detail with its chain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.certificates.tls import days, issued, now, self_signed, tls_server
from tests.e2e.conftest import check_accessibility, screenshot
from tests.support.hub import ADMIN_PASSWORD
from tests.support.process import ServeProcess, start_serve

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT_MS = 20_000


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusting_serve(tmp_path: Path, ca: trustme.CA) -> Iterator[ServeProcess]:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    process = start_serve(
        tmp_path,
        f"sqlite:///{tmp_path / 'watchkeep.db'}",
        env={"WATCHKEEP_CERTIFICATE_CA_BUNDLE": str(bundle), "WATCHKEEP_CERTIFICATE_CHECK_INTERVAL_SECONDS": "0.3"},
    )
    try:
        process.wait_healthy()
        yield process
    finally:
        process.terminate()


async def _log_in(page: Any, serve: ServeProcess) -> None:
    await page.goto(serve.url + "/login")
    await page.get_by_label("Username").fill("admin")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(serve.url + "/")


async def _create(page: Any, serve: ServeProcess, port: int, sni: str = "localhost") -> None:
    await page.goto(serve.url + "/certificates/new")
    await page.get_by_label("Host").fill("127.0.0.1")
    await page.get_by_label("Port").fill(str(port))
    await page.get_by_label("Server name (SNI)").fill(sni)
    await page.get_by_role("button", name="Create").click()
    await page.wait_for_url(re.compile(r".*/certificates/crt_[^/]+$"))


async def _until_checked(page: Any) -> None:
    for _ in range(100):
        if await page.locator("#checks").count():
            return
        await page.wait_for_timeout(200)
        await page.reload()
    raise AssertionError("the monitor was never checked")


async def test_certificates_from_the_form_to_the_chain(
    browser: Any, trusting_serve: ServeProcess, ca: trustme.CA, tmp_path: Path
) -> None:
    serve = trusting_serve
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await _log_in(page, serve)
    intermediate = ca.create_child_ca()
    async with (
        tls_server(tmp_path, issued(intermediate, not_after=now() + days(200))) as good,
        tls_server(tmp_path, issued(ca, not_after=now() + days(10))) as soon,
        tls_server(tmp_path, self_signed()) as untrusted,
    ):
        await page.goto(serve.url + "/certificates/new")
        await page.get_by_label("Host").fill("https://example.org")
        await page.get_by_role("button", name="Create").click()
        assert "host name or an IP address" in await page.locator("#e-f-host").inner_text()
        await check_accessibility(page)

        await _create(page, serve, good.port)
        await _until_checked(page)
        assert await page.locator(".badge", has_text="valid").first.is_visible()
        assert await page.locator("#chain tbody tr").count() == 2
        await screenshot(page, "certificate-detail")
        await check_accessibility(page)

        await _create(page, serve, soon.port)
        await _until_checked(page)
        await _create(page, serve, untrusted.port)
        await _until_checked(page)

    await page.goto(serve.url + "/certificates")
    statuses = [await row.get_attribute("data-status") for row in await page.locator("#certificates tbody tr").all()]
    assert statuses == ["expiring", "error", "valid"]
    await screenshot(page, "certificates")
    await check_accessibility(page)
    await page.close()
