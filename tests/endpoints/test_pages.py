"""The endpoint pages over HTTP, signed in through the login form: the list with sparklines,
the forms per type with errors next to their fields, an endpoint's page, masked secrets."""

from __future__ import annotations

import re

import httpx2

from tests.agents.support import create_agent
from tests.endpoints.conftest import Endpoints
from tests.endpoints.servers import http_server
from tests.support.hub import ADMIN_PASSWORD
from watchkeep.core.auth.cookies import CSRF_COOKIE

SECRET = "Bearer sk-live-0123456789abcdef"


async def _signed_in(endpoints: Endpoints) -> tuple[httpx2.AsyncClient, str]:
    client = endpoints.running.client()
    response = await client.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "next": "/"})
    assert response.status_code == 303, response.text
    return client, client.cookies[CSRF_COOKIE]


async def test_an_endpoint_created_from_the_form_shows_on_the_list_and_its_page(endpoints: Endpoints) -> None:
    browser, csrf = await _signed_in(endpoints)
    async with http_server() as server:
        form = {
            "csrf": csrf,
            "name": "shop",
            "type": "http",
            "target": f"{server}/ok",
            "intervalSeconds": "30",
            "http.method": "GET",
            "http.expectedStatus": "2xx",
            "http.headers": f"Authorization: {SECRET}\nX-Trace: visible",
            "http.jsonPath": "",
            "http.verifyTls": "on",
            "dns.recordType": "A",
        }
        response = await browser.post("/endpoints/new", data=form)
        assert response.status_code == 303, response.text
        endpoint_id = response.headers["location"].rsplit("/", 1)[1]
        await endpoints.check(endpoint_id)
        await endpoints.check(endpoint_id)
    listing = (await browser.get("/endpoints")).text
    assert "shop" in listing and 'class="spark spark-checks"' in listing and "<polyline" in listing
    detail = (await browser.get(f"/endpoints/{endpoint_id}")).text
    assert "response-times?range={range}" in detail and "Recent checks" in detail and "Last 90 days" in detail
    edit = (await browser.get(f"/endpoints/{endpoint_id}/edit")).text
    assert "Authorization: ********cdef" in edit and SECRET not in edit
    # Saved again as shown, the secret stays the stored one.
    form["http.headers"] = "Authorization: ********cdef\nX-Trace: visible"
    assert (await browser.post(f"/endpoints/{endpoint_id}/edit", data=form)).status_code == 303
    got = await endpoints.get(endpoint_id)
    assert got["http"]["headers"] == {"Authorization": "********cdef", "X-Trace": "visible"}


async def test_a_form_error_is_shown_next_to_its_field_and_nothing_is_created(endpoints: Endpoints) -> None:
    browser, csrf = await _signed_in(endpoints)
    form = {"csrf": csrf, "name": "shop", "type": "http", "target": "http://x.test", "http.expectedStatus": "2xx,abc"}
    response = await browser.post("/endpoints/new", data=form)
    assert response.status_code == 400
    error = re.search(r'id="e-f-http-expectedStatus" class="field-error">([^<]*)<', response.text)
    assert error is not None and "abc" in error.group(1)
    assert 'value="2xx,abc"' in response.text
    assert (await endpoints.api.get("/api/v1/endpoints")).json() == []


async def test_the_form_chooses_where_an_endpoint_is_checked_and_by_which_rule(endpoints: Endpoints) -> None:
    browser, csrf = await _signed_in(endpoints)
    near = await create_agent(endpoints.running, "edge-1")
    base = {"csrf": csrf, "name": "api", "type": "http", "target": "http://api.test/health", "http.method": "GET"}
    shown = (await browser.get("/endpoints/new")).text
    assert f'name="locations.{near["id"]}"' in shown and "edge-1" in shown
    assert re.search(r'name="locations.hub" checked', shown)

    # No place ticked: an error at the locations, and nothing created.
    response = await browser.post("/endpoints/new", data={**base, "locationRule": "any"})
    assert response.status_code == 400 and 'class="field-error" role="alert"' in response.text
    assert (await endpoints.api.get("/api/v1/endpoints")).json() == []

    form = {**base, "locations.hub": "on", f"locations.{near['id']}": "on", "locationRule": "majority"}
    response = await browser.post("/endpoints/new", data=form)
    assert response.status_code == 303, response.text
    endpoint_id = response.headers["location"].rsplit("/", 1)[1]
    got = await endpoints.get(endpoint_id)
    assert got["locations"] == ["hub", near["id"]] and got["locationRule"] == "majority"

    edit = (await browser.get(f"/endpoints/{endpoint_id}/edit")).text
    assert re.search(rf'name="locations.{near["id"]}" checked', edit)
    assert re.search(r'<option value="majority" selected>', edit)
    # Moved to the agent alone; a form without the location fields keeps them.
    form = {**base, f"locations.{near['id']}": "on", "locationRule": "any"}
    assert (await browser.post(f"/endpoints/{endpoint_id}/edit", data=form)).status_code == 303
    assert (await endpoints.get(endpoint_id))["locations"] == [near["id"]]
    assert (await browser.post(f"/endpoints/{endpoint_id}/edit", data=base)).status_code == 303
    assert (await endpoints.get(endpoint_id))["locations"] == [near["id"]]


async def test_pause_resume_and_delete_from_the_endpoints_page(endpoints: Endpoints) -> None:
    browser, csrf = await _signed_in(endpoints)
    created = await endpoints.create(type="tcp", target="db.internal:5432")
    await browser.post(f"/endpoints/{created['id']}/pause", data={"csrf": csrf})
    assert (await endpoints.get(created["id"]))["paused"] is True
    assert "Resume" in (await browser.get(f"/endpoints/{created['id']}")).text
    await browser.post(f"/endpoints/{created['id']}/resume", data={"csrf": csrf})
    assert (await endpoints.get(created["id"]))["paused"] is False
    response = await browser.post(f"/endpoints/{created['id']}/delete", data={"csrf": csrf})
    assert (response.status_code, response.headers["location"]) == (303, "/endpoints")
    assert (await endpoints.api.get("/api/v1/endpoints")).json() == []
