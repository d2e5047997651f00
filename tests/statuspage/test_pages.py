"""The admin pages: each renders for an editor and a viewer; the component form links
monitors by checkbox and by match rules and shows its errors by field; a viewer cannot
change anything."""

from __future__ import annotations

from tests.statuspage.conftest import make_heartbeat
from tests.support.hub import RunningHub
from tests.web.test_alert_and_admin_pages import signed_in


async def test_the_component_form_links_monitors_and_rules_and_every_page_renders(status_hub: RunningHub) -> None:
    job = await make_heartbeat(status_hub, "importer", tags=["env=prod"])
    admin, csrf = await signed_in(status_hub)
    form = await admin.get("/status-page/components/new")
    assert form.status_code == 200 and f'value="heartbeat:{job["id"]}"' in form.text
    bad = await admin.post(
        "/status-page/components/new",
        data={"csrf": csrf, "name": "Imports", "matches": "spaceship env=prod"},
    )
    assert bad.status_code == 400 and "start with a type" in bad.text
    created = await admin.post(
        "/status-page/components/new",
        data={
            "csrf": csrf,
            "name": "Imports",
            "monitor": f"heartbeat:{job['id']}",
            "matches": "heartbeat env=prod\ncontainer com.example.tier=web",
            "autoIncident": "on",
        },
    )
    assert created.status_code == 303, created.text
    component = (await status_hub.admin.get("/api/v1/status/components")).json()[0]
    assert component["monitors"] == [{"type": "heartbeat", "id": job["id"]}]
    assert component["matches"] == [
        {"type": "heartbeat", "labels": {"env": "prod"}},
        {"type": "container", "labels": {"com.example.tier": "web"}},
    ]
    assert component["autoIncident"] is True
    edit = await admin.get(f"/status-page/components/{component['id']}")
    assert "container com.example.tier=web" in edit.text
    for path in ("/status-page", "/status-page/incidents", "/status-page/settings", "/status"):
        response = await admin.get(path)
        assert response.status_code == 200, (path, response.text[:300])

    viewer, viewer_csrf = await signed_in(status_hub, "vera", "viewer")
    assert (await viewer.get("/status-page")).status_code == 200
    refused = await viewer.post(f"/status-page/components/{component['id']}/delete", data={"csrf": viewer_csrf})
    assert refused.status_code == 403
    assert len((await status_hub.admin.get("/api/v1/status/components")).json()) == 1
