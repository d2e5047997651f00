"""/api/v1/certificates: creating, validating, replacing, deleting monitors and their history."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.certificates.conftest import Certificates
from tests.certificates.tls import free_port
from watchkeep.certificates.tables import certificate_monitors


async def _count(certificates: Certificates) -> int:
    async with certificates.running.hub.store.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(certificate_monitors))).scalar_one())


async def test_a_monitor_gets_the_defaults(certificates: Certificates) -> None:
    response = await certificates.api.post("/api/v1/certificates", json={"host": "Example.ORG"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["host"], created["port"], created["sni"]) == ("example.org", 443, None)
    assert created["intervalSeconds"] == 43_200
    assert created["thresholdsDays"] == [30, 14, 7, 3, 1]
    assert (created["source"], created["status"], created["daysLeft"]) == ("standalone", "pending", None)
    assert created["nextCheckAt"] is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "host"),
        ({"host": "https://example.org"}, "host"),
        ({"host": "example.org:443"}, "host"),
        ({"host": "example.org", "port": 0}, "port"),
        ({"host": "example.org", "port": 70000}, "port"),
        ({"host": "example.org", "sni": "10.0.0.1"}, "sni"),
        ({"host": "example.org", "intervalSeconds": 10}, "intervalSeconds"),
        ({"host": "example.org", "thresholdsDays": []}, "thresholdsDays"),
        ({"host": "example.org", "thresholdsDays": [30, 30]}, "thresholdsDays"),
        ({"host": "example.org", "thresholdsDays": [0]}, "thresholdsDays"),
        ({"host": "example.org", "thresholdsDays": ["soon"]}, "thresholdsDays[0]"),
        ({"host": "example.org", "status": "valid"}, "status"),
    ],
)
async def test_a_bad_field_is_named_and_nothing_is_written(
    certificates: Certificates, body: dict[str, Any], field: str
) -> None:
    response = await certificates.api.post("/api/v1/certificates", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert await _count(certificates) == 0


async def test_thresholds_are_kept_highest_first(certificates: Certificates) -> None:
    created = await certificates.create(443, host="example.org", thresholdsDays=[7, 60, 21])
    assert created["thresholdsDays"] == [60, 21, 7]


async def test_put_replaces_the_settings_and_a_new_target_is_checked_at_once(certificates: Certificates) -> None:
    created = await certificates.create(free_port())
    await certificates.check()
    checked = await certificates.get(created["id"])
    body = {"host": "localhost", "port": 8443, "intervalSeconds": 3600, "thresholdsDays": [10]}
    response = await certificates.api.put(f"/api/v1/certificates/{created['id']}", json=body)
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert (replaced["host"], replaced["port"], replaced["sni"], replaced["thresholdsDays"]) == (
        "localhost",
        8443,
        None,
        [10],
    )
    assert replaced["nextCheckAt"] < checked["nextCheckAt"]


async def test_put_on_a_bad_body_changes_nothing(certificates: Certificates) -> None:
    created = await certificates.create(443, host="example.org")
    response = await certificates.api.put(f"/api/v1/certificates/{created['id']}", json={"host": "a b"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "host"
    assert (await certificates.get(created["id"]))["host"] == "example.org"


async def test_an_unknown_monitor_is_404(certificates: Certificates) -> None:
    for method, path in [
        ("GET", "/api/v1/certificates/crt_nope"),
        ("DELETE", "/api/v1/certificates/crt_nope"),
        ("GET", "/api/v1/certificates/crt_nope/checks"),
    ]:
        response = await certificates.api.request(method, path)
        assert response.status_code == 404, (method, path)
    response = await certificates.api.put("/api/v1/certificates/crt_nope", json={"host": "example.org"})
    assert response.status_code == 404


async def test_the_history_lists_checks_newest_first(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued()) as server:
        created = await certificates.create(server.port, intervalSeconds=3600)
        await certificates.check()
    certificates.clock.advance(3600)
    await certificates.check()  # the server is gone now
    response = await certificates.api.get(f"/api/v1/certificates/{created['id']}/checks")
    assert response.status_code == 200
    newest, oldest = response.json()
    assert (newest["status"], newest["error"]) == ("error", "connection refused")
    assert oldest["status"] == "valid"
    assert oldest["chain"][0]["notAfter"] == oldest["notAfter"]
    limited = await certificates.api.get(f"/api/v1/certificates/{created['id']}/checks", params={"limit": 1})
    assert [c["id"] for c in limited.json()] == [newest["id"]]
    # the monitor keeps the last certificate read, with the error of the last check
    detail = await certificates.get(created["id"])
    assert detail["status"] == "error" and detail["notAfter"] == oldest["notAfter"]


async def test_reading_needs_a_key(certificates: Certificates) -> None:
    response = await certificates.running.client().get("/api/v1/certificates")
    assert response.status_code == 401
