"""/api/v1/channels: channels, routing rules, test sends and the delivery log."""

from __future__ import annotations

from fastapi import Query, Request, Response

from watchkeep.core.auth.deps import CanRead, CanWrite
from watchkeep.core.http.routing import make_router
from watchkeep.core.hub import HubDep
from watchkeep.notify.schemas import ChannelIn, ChannelOut, DeliveryOut, RuleIn, RuleOut, TestOut
from watchkeep.notify.service import ChannelService

router = make_router(prefix="/api/v1", tags=["channels"])


def _out(pair: tuple[object, object]) -> ChannelOut:
    row, rules = pair
    return ChannelOut.of(row, rules)  # type: ignore[arg-type]


@router.get("/channels", response_model=list[ChannelOut])
async def list_channels(_: CanRead, hub: HubDep) -> list[ChannelOut]:
    return [_out(pair) for pair in await ChannelService(hub).all()]


@router.post("/channels", response_model=ChannelOut, status_code=201)
async def create_channel(body: ChannelIn, _: CanWrite, hub: HubDep) -> ChannelOut:
    return _out(await ChannelService(hub).create(body))


@router.get("/channels/{channel_id}", response_model=ChannelOut)
async def get_channel(channel_id: str, _: CanRead, hub: HubDep) -> ChannelOut:
    return _out(await ChannelService(hub).get(channel_id))


@router.put("/channels/{channel_id}", response_model=ChannelOut)
async def update_channel(channel_id: str, body: ChannelIn, _: CanWrite, hub: HubDep) -> ChannelOut:
    return _out(await ChannelService(hub).update(channel_id, body))


@router.delete("/channels/{channel_id}", status_code=204)
async def delete_channel(channel_id: str, _: CanWrite, hub: HubDep) -> Response:
    await ChannelService(hub).delete(channel_id)
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", response_model=TestOut)
async def test_channel(channel_id: str, request: Request, _: CanWrite, hub: HubDep) -> TestOut:
    delivery_id, result = await ChannelService(hub).send_test(channel_id, request.app.state.notify.http)
    return TestOut(
        ok=result.ok,
        delivery_id=delivery_id,
        error=result.error,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
    )


@router.post("/channels/{channel_id}/rules", response_model=RuleOut, status_code=201)
async def create_rule(channel_id: str, body: RuleIn, _: CanWrite, hub: HubDep) -> RuleOut:
    return RuleOut.of(await ChannelService(hub).add_rule(channel_id, body))


@router.delete("/channels/{channel_id}/rules/{rule_id}", status_code=204)
async def delete_rule(channel_id: str, rule_id: str, _: CanWrite, hub: HubDep) -> Response:
    await ChannelService(hub).delete_rule(channel_id, rule_id)
    return Response(status_code=204)


@router.get("/channels/{channel_id}/deliveries", response_model=list[DeliveryOut])
async def channel_deliveries(
    channel_id: str, _: CanRead, hub: HubDep, limit: int = Query(50, ge=1, le=500)
) -> list[DeliveryOut]:
    return [DeliveryOut.of(row) for row in await ChannelService(hub).deliveries(channel_id, limit)]
