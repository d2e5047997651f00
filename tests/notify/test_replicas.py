"""Two hub processes on one PostgreSQL database deliver each notification once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.support.process import start_serve
from tests.support.receiver import running_receiver
from watchkeep.core.clock import SystemClock
from watchkeep.core.config import Settings
from watchkeep.core.db import Store
from watchkeep.core.hub import Hub
from watchkeep.notify.message import AlertNotice
from watchkeep.notify.outbox import enqueue
from watchkeep.notify.schemas import ChannelIn
from watchkeep.notify.service import ChannelService
from watchkeep.notify.tables import outbox

MESSAGES = 60
SECRET_KEY = "replicas-share-this-key-0123456789abcdef"


async def test_two_hub_processes_send_every_message_exactly_once(
    postgres_url: str, settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    async with running_receiver() as receiver:
        store = Store(postgres_url)
        await store.start()
        # Replicas share one key for the secrets stored in the database (docs/configuration.md).
        settings = settings_for(postgres_url, allow_private_targets=True, secret_key=SECRET_KEY)
        hub = Hub(settings=settings, store=store, clock=SystemClock())
        try:
            channel, _ = await ChannelService(hub).create(
                ChannelIn(name="ops", type="webhook", config={"url": f"{receiver.url}/hook"})
            )
            now = hub.clock.now_ms()

            async def fill(conn: AsyncConnection) -> None:
                for index in range(MESSAGES):
                    notice = AlertNotice(
                        f"alr_{index}",
                        "firing",
                        "agent",
                        "agent_offline",
                        "critical",
                        "offline",
                        "agent",
                        f"agt_{index}",
                        None,
                        now,
                    )
                    await enqueue(
                        conn,
                        target_kind="channel",
                        target_id=channel["id"],
                        event_type="alert.fired",
                        payload=json.dumps([notice.stored()]),
                        now_ms=now,
                        alert_id=notice.alert_id,
                    )

            await store.write(fill)
            env = {
                "WATCHKEEP_ALLOW_PRIVATE_TARGETS": "true",
                "WATCHKEEP_OUTBOX_POLL_SECONDS": "0.05",
                "WATCHKEEP_DIGEST_THRESHOLD": "1000",
                "WATCHKEEP_SECRET_KEY": SECRET_KEY,
            }
            hubs = [start_serve(tmp_path, postgres_url, name=f"hub{i}", env=env) for i in range(2)]
            try:
                await receiver.wait_for(MESSAGES, timeout=60)
                async with asyncio.timeout(30):
                    while True:
                        async with store.read() as conn:
                            query = select(func.count()).select_from(outbox).where(outbox.c.status != "delivered")
                            if (await conn.execute(query)).scalar_one() == 0:
                                break
                        await asyncio.sleep(0.1)
                # Both replicas keep polling: give them a few more rounds to show no repeats.
                await asyncio.sleep(0.5)
            finally:
                for process in hubs:
                    process.terminate()
            async with store.read() as conn:
                claimed_by = Counter((await conn.execute(select(outbox.c.claimed_by))).scalars())
        finally:
            await store.close()
    per_delivery = Counter(r.headers["x-watchkeep-delivery"] for r in receiver.requests)
    assert len(per_delivery) == MESSAGES
    assert set(per_delivery.values()) == {1}
    assert sum(claimed_by.values()) == MESSAGES
