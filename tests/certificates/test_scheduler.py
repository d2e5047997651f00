"""The check loop: due times in the database, claimed by compare-and-set so replicas share
the work, time from the hub's clock."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from tests.certificates.conftest import BOTH_STORES, Certificates
from watchkeep.certificates.tables import certificate_checks
from watchkeep.certificates.worker import CertificateWorker


async def _checks(certificates: Certificates) -> int:
    async with certificates.running.hub.store.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(certificate_checks))).scalar_one())


@BOTH_STORES
async def test_a_monitor_is_checked_once_per_interval(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued()) as server:
        await certificates.create(server.port, intervalSeconds=3600)
        await certificates.check()
        assert await _checks(certificates) == 1
        await certificates.check()  # not due again yet
        certificates.clock.advance(3599)
        await certificates.check()
        assert await _checks(certificates) == 1
        certificates.clock.advance(1)
        await certificates.check()
        assert await _checks(certificates) == 2


@BOTH_STORES
async def test_replicas_stepping_together_check_a_monitor_once(certificates: Certificates) -> None:
    async with certificates.server(certificates.issued()) as server:
        for _ in range(5):
            await certificates.create(server.port)
        replicas = [CertificateWorker(certificates.running.hub) for _ in range(3)]
        await asyncio.gather(*(replica.step() for replica in replicas))
    assert await _checks(certificates) == 5


async def test_a_deleted_monitor_is_not_checked(certificates: Certificates) -> None:
    created = await certificates.create(443, host="example.org")
    await certificates.api.delete(f"/api/v1/certificates/{created['id']}")
    assert not await certificates.worker.step()
    assert await _checks(certificates) == 0
