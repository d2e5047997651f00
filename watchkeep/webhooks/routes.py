"""/api/v1/webhooks: subscriptions, test deliveries and the delivery log."""

from __future__ import annotations

from fastapi import Query, Request, Response

from watchkeep.core.auth.deps import CanRead, IsAdmin
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.notify.schemas import DeliveryOut, TestOut
from watchkeep.webhooks.schemas import WebhookCreated, WebhookIn, WebhookOut
from watchkeep.webhooks.service import WebhookService

router = make_router(prefix="/api/v1", tags=["webhooks"])


@router.get("/webhooks", response_model=list[WebhookOut])
async def list_webhooks(_: CanRead, hub: HubDep) -> list[WebhookOut]:
    return [WebhookOut.of(row) for row in await WebhookService(hub).all()]


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
async def create_webhook(body: WebhookIn, _: IsAdmin, hub: HubDep) -> WebhookCreated:
    row = await WebhookService(hub).create(body)
    return WebhookCreated(**WebhookOut.of(row).model_dump(), secret=row["secret"])


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: str, _: CanRead, hub: HubDep) -> WebhookOut:
    return WebhookOut.of(await WebhookService(hub).get(webhook_id))


@router.put("/webhooks/{webhook_id}", response_model=WebhookOut)
async def update_webhook(webhook_id: str, body: WebhookIn, _: IsAdmin, hub: HubDep) -> WebhookOut:
    return WebhookOut.of(await WebhookService(hub).update(webhook_id, body))


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, _: IsAdmin, hub: HubDep) -> Response:
    await WebhookService(hub).delete(webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/test", response_model=TestOut)
async def test_webhook(webhook_id: str, request: Request, _: IsAdmin, hub: HubDep) -> TestOut:
    delivery_id = await WebhookService(hub).enqueue_test(webhook_id)
    row = await request.app.state.notify.worker.deliver_now(delivery_id)
    ok = row is not None and row["status"] == "delivered"
    return TestOut(
        ok=ok,
        delivery_id=delivery_id,
        error=None if ok or row is None else row["last_error"],
        latency_ms=row["latency_ms"] if row is not None else None,
    )


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[DeliveryOut])
async def webhook_deliveries(
    webhook_id: str, _: CanRead, hub: HubDep, limit: int = Query(50, ge=1, le=500)
) -> list[DeliveryOut]:
    return [DeliveryOut.of(row) for row in await WebhookService(hub).deliveries(webhook_id, limit)]
