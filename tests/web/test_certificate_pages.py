"""The certificate pages over HTTP, signed in as a person is: the form's errors next to
their field with nothing written, edits through the same validation as the API, and what a
viewer may do."""

from __future__ import annotations

from tests.support.hub import RunningHub
from tests.web.test_alert_and_admin_pages import signed_in


async def _monitors(hub: RunningHub) -> list[dict[str, object]]:
    items: list[dict[str, object]] = (await hub.admin.get("/api/v1/certificates")).json()
    return items


async def test_a_bad_form_shows_the_error_by_its_field_and_writes_nothing(hub: RunningHub) -> None:
    admin, csrf = await signed_in(hub)
    form = {"csrf": csrf, "host": "example.org", "port": "443", "thresholdsDays": "30, 30"}
    response = await admin.post("/certificates/new", data=form)
    assert response.status_code == 400
    assert 'id="e-f-thresholdsDays"' in response.text
    assert await _monitors(hub) == []


async def test_a_monitor_made_and_edited_from_the_form(hub: RunningHub) -> None:
    admin, csrf = await signed_in(hub)
    form = {"csrf": csrf, "host": "example.org", "port": "8443", "sni": "", "intervalSeconds": "3600"}
    created = await admin.post("/certificates/new", data=form)
    assert created.status_code == 303
    page = created.headers["location"]
    [monitor] = await _monitors(hub)
    assert (monitor["port"], monitor["intervalSeconds"], monitor["thresholdsDays"]) == (8443, 3600, [30, 14, 7, 3, 1])
    assert "example.org:8443" in (await admin.get(page)).text
    edit = {**form, "thresholdsDays": "10, 20"}
    assert (await admin.post(f"{page}/edit", data=edit)).status_code == 303
    [edited] = await _monitors(hub)
    assert edited["thresholdsDays"] == [20, 10]
    listing = (await admin.get("/certificates")).text
    assert "example.org:8443" in listing and "pending" in listing


async def test_a_viewer_sees_the_pages_without_the_buttons(hub: RunningHub) -> None:
    await hub.admin.post("/api/v1/certificates", json={"host": "example.org"})
    [monitor] = await _monitors(hub)
    viewer, csrf = await signed_in(hub, "vera", "viewer")
    listing = await viewer.get("/certificates")
    assert listing.status_code == 200 and "New certificate" not in listing.text
    detail = (await viewer.get(f"/certificates/{monitor['id']}")).text
    assert "Delete this certificate monitor" not in detail and "/edit" not in detail
    refused = await viewer.post(f"/certificates/{monitor['id']}/delete", data={"csrf": csrf})
    assert refused.status_code == 403
    assert len(await _monitors(hub)) == 1
