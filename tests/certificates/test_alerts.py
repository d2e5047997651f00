"""Certificate alerts through the engine: raised by a check, raised again at each lower
expiry threshold, resolved when the condition clears (a renewed certificate resolves all)."""

from __future__ import annotations

from tests.certificates.conftest import Certificates
from tests.certificates.tls import days, now, self_signed
from watchkeep.core.events import AlertFired, CertificateAlert
from watchkeep.core.events import log as event_log

DAY_S = 86_400


async def test_an_expiring_certificate_is_raised_again_at_each_lower_threshold(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued(not_after=now() + days(20))) as server:
        monitor = await certificates.create(server.port)
        await certificates.check()
        [alert] = (await certificates.active()).values()
        assert (alert["type"], alert["severity"]) == ("certificate_expiring", "warning")
        assert alert["details"]["stage"] == "30"
        assert alert["entityId"] == monitor["id"]

        certificates.clock.advance(7 * DAY_S)  # 13 days left: below 14
        await certificates.check()
        [again] = (await certificates.active()).values()
        assert again["id"] == alert["id"]
        assert again["details"]["stage"] == "14"
        assert "expires in 12 days" in again["message"] or "expires in 13 days" in again["message"]

        certificates.clock.advance(DAY_S)  # still below 14, above 7: nothing new
        await certificates.check()
        [same] = (await certificates.active()).values()
        assert same["details"]["stage"] == "14"
        assert same["message"] == again["message"]


async def test_a_stage_change_is_logged_as_a_fired_alert(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued(not_after=now() + days(20))) as server:
        await certificates.create(server.port)
        await certificates.check()
        await certificates.alerts()
        certificates.clock.advance(15 * DAY_S)  # 4 days left: below 7
        await certificates.check()
        await certificates.alerts()
    async with certificates.running.hub.store.read() as conn:
        logged, _ = await event_log.events_after(conn, 0, 1000)
    fired = [e for e in logged if isinstance(e, AlertFired) and e.source == "certificate"]
    assert [e.upgraded for e in fired] == [False, True]
    changes = [e for e in logged if isinstance(e, CertificateAlert)]
    assert [e.threshold_days for e in changes] == [30, 7]


async def test_a_renewed_certificate_resolves_every_alert(certificates: Certificates) -> None:
    async with certificates.server(self_signed("wrong.example")) as server:
        await certificates.create(server.port)
        await certificates.check()
        assert set(await certificates.active()) == {"certificate_chain_invalid", "certificate_hostname_mismatch"}

        server.serve(certificates.issued(not_after=now() + days(90)))
        certificates.clock.advance(13 * 3600)
        await certificates.check()
    assert await certificates.active() == {}
    resolved = [a for a in await certificates.alerts() if a["status"] == "resolved"]
    assert {a["type"] for a in resolved} == {"certificate_chain_invalid", "certificate_hostname_mismatch"}


async def test_an_expired_certificate_raises_expired_and_clears_expiring(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued(not_after=now() + days(2))) as server:
        await certificates.create(server.port)
        await certificates.check()
        assert set(await certificates.active()) == {"certificate_expiring"}
        certificates.clock.advance(3 * DAY_S)
        await certificates.check()
        active = await certificates.active()
        assert set(active) == {"certificate_expired"}
        assert active["certificate_expired"]["severity"] == "critical"

        server.serve(certificates.issued(not_after=now() + days(365)))
        certificates.clock.advance(13 * 3600)
        await certificates.check()
    assert await certificates.active() == {}


async def test_a_refused_connection_leaves_the_alerts_as_they_were(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued("other.example")) as server:
        await certificates.create(server.port)
        await certificates.check()
    certificates.clock.advance(13 * 3600)
    await certificates.check()  # the server is gone
    assert set(await certificates.active()) == {"certificate_hostname_mismatch"}


async def test_deleting_a_monitor_resolves_its_alerts(certificates: Certificates) -> None:
    async with certificates.server(self_signed()) as server:
        monitor = await certificates.create(server.port)
        await certificates.check()
    assert set(await certificates.active()) == {"certificate_chain_invalid"}
    response = await certificates.api.delete(f"/api/v1/certificates/{monitor['id']}")
    assert response.status_code == 204
    assert await certificates.active() == {}
    assert (await certificates.api.get(f"/api/v1/certificates/{monitor['id']}")).status_code == 404
