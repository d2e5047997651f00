"""The updates page and the badge on container rows: verdicts by host and by kind, the pin,
exclude and scan buttons (forms with the CSRF token), and what a viewer does not get."""

from __future__ import annotations

import pytest

from tests.support.hub import RunningHub
from tests.support.registry import CountingProxy, Registry
from tests.updates.test_scans import AGENT, container, scan, seed
from tests.web.test_alert_and_admin_pages import signed_in
from watchkeep.containers.model import public_id


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_the_updates_page_groups_verdicts_and_pins_and_excludes(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    registry.push_image("pages/web", ["1.0.0", "2.0.0"])
    registry.push_image("pages/api", ["1.0.0", "1.0.5"])
    await seed(hub, [container("web", f"{host}/pages/web:1.0.0"), container("api", f"{host}/pages/api:1.0.0")])
    await scan(hub.admin)
    browser, csrf = await signed_in(hub)

    page = await browser.get("/updates")
    assert page.status_code == 200
    assert "major" in page.text and "patch" in page.text and "<code>2.0.0</code>" in page.text
    by_kind = await browser.get("/updates", params={"by": "kind"})
    assert by_kind.text.index(">major <") < by_kind.text.index(">patch <")

    containers = await browser.get("/containers")
    assert f'href="/updates#update-{public_id(AGENT, "id-web")}"' in containers.text
    assert 'class="badge update-major"' in containers.text

    web = public_id(AGENT, "id-web")
    pinned = await browser.post(f"/updates/pin/{web}", data={"csrf": csrf})
    assert pinned.status_code == 303
    assert (await hub.admin.get(f"/api/v1/updates/container/{web}")).json()["status"] == "pinned"
    assert f'action="/updates/unpin/{web}"' in (await browser.get("/updates")).text

    excluded = await browser.post("/updates/exclusions", data={"csrf": csrf, "image": f"{host}/pages/api"})
    assert excluded.status_code == 303
    statuses = {u["name"]: u["status"] for u in (await hub.admin.get("/api/v1/updates")).json()}
    assert statuses == {"web": "pinned", "api": "excluded"}
    refused = await browser.post("/updates/exclusions", data={"csrf": csrf, "image": "two words"})
    assert refused.status_code == 400 and "without spaces" in refused.text

    viewer, viewer_csrf = await signed_in(hub, "vera", "viewer")
    assert "Scan now" not in (await viewer.get("/updates")).text
    assert (await viewer.post("/updates/scan", data={"csrf": viewer_csrf})).status_code == 403
