"""Three `watchkeep serve` on one PostgreSQL database; one is killed with SIGKILL in the
middle of the work (deadlines due, alerts raised by the event consumers, notifications going
out), and the other two carry on: no alert is lost, no notification goes out twice, and no
lease outlives its timeout."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, update

from tests.support.hub import running_hub
from tests.support.process import start_serve
from tests.support.receiver import running_receiver
from watchkeep.alerts.tables import alerts
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.events.tables import event_consumers, event_log
from watchkeep.heartbeats.tables import heartbeats
from watchkeep.notify.tables import outbox

MONITORS = 30
SECRET_KEY = "replicas-share-this-key-0123456789abcdef"
OUTBOX_LEASE = 5
CONSUMER_LEASE = 2


async def test_two_replicas_finish_the_work_of_a_killed_third(
    postgres_url: str, settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    async with running_receiver() as receiver:
        # Each answer takes a while, so deliveries are in flight when the replica dies.
        receiver.delay = 1.0  # well inside the outbox lease; long enough that the kill lands mid-work
        settings = settings_for(postgres_url, allow_private_targets=True, secret_key=SECRET_KEY)
        async with running_hub(settings) as hub:
            channel = await hub.admin.post(
                "/api/v1/channels", json={"name": "ops", "type": "webhook", "config": {"url": f"{receiver.url}/hook"}}
            )
            assert channel.status_code == 201, channel.text
            for index in range(MONITORS):
                created = await hub.admin.post("/api/v1/heartbeats", json={"name": f"job-{index}", "periodSeconds": 60})
                assert created.status_code == 201, created.text
        store = Store(postgres_url)
        await store.start()
        try:
            # Every monitor pinged once and now past its deadline: the replicas find all of
            # them due together.
            now = int(time.time() * 1000)
            await store.write(
                lambda conn: conn.execute(
                    update(heartbeats).values(
                        status="up", last_ping_at=now - 120_000, next_deadline_at=now - 60_000, down_at=now - 1
                    )
                )
            )
            env = {
                "WATCHKEEP_SECRET_KEY": SECRET_KEY,
                "WATCHKEEP_ALLOW_PRIVATE_TARGETS": "true",
                "WATCHKEEP_HEARTBEAT_DEADLINE_INTERVAL_SECONDS": "0.2",
                "WATCHKEEP_EVENT_POLL_SECONDS": "0.2",
                "WATCHKEEP_EVENT_CONSUMER_LEASE_SECONDS": str(CONSUMER_LEASE),
                "WATCHKEEP_OUTBOX_POLL_SECONDS": "0.05",
                "WATCHKEEP_OUTBOX_LEASE_SECONDS": str(OUTBOX_LEASE),
                "WATCHKEEP_DIGEST_THRESHOLD": "1000",
            }
            replicas = [start_serve(tmp_path, postgres_url, name=f"hub{i}", env=env) for i in range(3)]
            try:
                for replica in replicas:
                    replica.wait_healthy(60)
                await receiver.wait_for(3, timeout=60)
                victim = replicas[0]
                victim.process.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                answered_before_kill = {r.headers["x-watchkeep-delivery"] for r in receiver.requests if r.answered}
                victim.process.wait(10)

                # The others finish everything, within the leases' timeouts of the kill.
                async with asyncio.timeout(OUTBOX_LEASE + CONSUMER_LEASE + 60):
                    while True:
                        async with store.read() as conn:
                            fired = (await conn.execute(select(func.count()).select_from(alerts))).scalar_one()
                            unsent = (
                                await conn.execute(
                                    select(func.count()).select_from(outbox).where(outbox.c.status != "delivered")
                                )
                            ).scalar_one()
                            newest = (await conn.execute(select(func.max(event_log.c.id)))).scalar_one()
                            behind = (
                                await conn.execute(
                                    select(func.count())
                                    .select_from(event_consumers)
                                    .where(event_consumers.c.position < newest)
                                )
                            ).scalar_one()
                        answered = {r.headers["x-watchkeep-delivery"] for r in receiver.requests if r.answered}
                        if fired == MONITORS and unsent == 0 and behind == 0 and len(answered) == MONITORS:
                            break
                        await asyncio.sleep(0.2)
                finished_after = time.monotonic() - killed_at
                for replica in replicas[1:]:
                    assert replica.process.poll() is None, replica.stderr()
            finally:
                for replica in replicas:
                    replica.terminate()
            async with store.read() as conn:
                down = (await conn.execute(select(func.count()).where(heartbeats.c.status == "down"))).scalar_one()
                per_monitor = Counter((await conn.execute(select(alerts.c.entity_id))).scalars())
                attempts = {row.id: row.attempts for row in await conn.execute(select(outbox.c.id, outbox.c.attempts))}
        finally:
            await store.close()

    assert len(answered_before_kill) < MONITORS  # the replica died in the middle of the work
    # No lost alert: every monitor went down and raised one alert, once.
    assert down == MONITORS
    assert len(per_monitor) == MONITORS and set(per_monitor.values()) == {1}
    # No duplicate notification: each delivery was answered once. A delivery the killed
    # replica had sent without hearing the answer goes out again, under the same delivery id,
    # only after its lease ran out.
    answered = Counter(r.headers["x-watchkeep-delivery"] for r in receiver.requests if r.answered)
    assert len(answered) == MONITORS and set(answered.values()) == {1}
    cut = {r.headers["x-watchkeep-delivery"] for r in receiver.requests if not r.answered}
    assert all(attempts[delivery] >= 2 for delivery in cut)
    assert len(attempts) == MONITORS
    # No stuck lease: the work was done well within a minute of the kill.
    assert finished_after < OUTBOX_LEASE + CONSUMER_LEASE + 60
