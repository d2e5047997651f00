"""The notification pages: channels (a form per type, built from the type's config model),
their routing rules, test sends and delivery log; webhook subscriptions (the signing secret
shown once), their test deliveries and log. Through the services and models of
/api/v1/channels and /api/v1/webhooks, so a channel shows its secrets masked as the API does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeep.core.errors import WatchkeepError, validation_error
from watchkeep.core.hub import Hub, HubDep
from watchkeep.notify.channels import CHANNEL_TYPES, channel_module
from watchkeep.notify.schemas import ChannelIn, ChannelOut, DeliveryOut, RuleIn, TestOut
from watchkeep.notify.service import ChannelService
from watchkeep.web.fields import ConfigField, config_fields, config_of, config_values, lines, matchers_of
from watchkeep.web.forms import FormInvalid, errors_of, form_data, text, validated
from watchkeep.web.responses import see_other
from watchkeep.web.session import AdminChange, EditorChange, User
from watchkeep.web.templating import page
from watchkeep.webhooks.schemas import WebhookIn, WebhookOut
from watchkeep.webhooks.service import WebhookService

router = APIRouter(include_in_schema=False)

LOG_SIZE = 50


def _fields(kind: str) -> list[ConfigField]:
    if kind not in CHANNEL_TYPES:
        raise validation_error(f"unknown channel type {kind!r}; allowed: {', '.join(CHANNEL_TYPES)}", "type")
    return config_fields(channel_module(kind).Config, channel_module(kind).Config.secret_fields)


def _out(pair: tuple[Any, Any]) -> ChannelOut:
    row, rules = pair
    return ChannelOut.of(row, rules)


def _channel_body(form: dict[str, Any], kind: str) -> ChannelIn:
    return validated(
        ChannelIn,
        {
            "name": form.get("name", ""),
            "type": kind,
            "config": config_of(form, _fields(kind)),
            "enabled": form.get("enabled") in ("on", "true", "1"),
        },
    )


# Channels


@router.get("/channels")
async def channels_page(request: Request, user: User, hub: HubDep) -> Response:
    channels = [_out(pair) for pair in await ChannelService(hub).all()]
    return page(request, "channels.html", channels=channels, types=list(CHANNEL_TYPES))


def _form(request: Request, status: int, kind: str, channel: ChannelOut | None, **context: Any) -> Response:
    return page(
        request,
        "channel_form.html",
        status,
        kind=kind,
        types=list(CHANNEL_TYPES),
        fields=_fields(kind),
        channel=channel,
        **context,
    )


@router.get("/channels/new")
async def new_channel_page(request: Request, user: User) -> Response:
    kind = request.query_params.get("type") or "webhook"
    values = {"enabled": True, **config_values({}, _fields(kind))}
    return _form(request, 200, kind, None, values=values, errors={})


@router.post("/channels/new")
async def create_channel(request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    kind = form.get("type") or ""
    try:
        created = _out(await ChannelService(hub).create(_channel_body(form, kind)))
    except FormInvalid as exc:
        return _form(request, 400, kind, None, values=form, errors=exc.errors)
    except WatchkeepError as exc:
        if exc.field == "type":
            raise
        return _form(request, exc.status, kind, None, values=form, errors=errors_of(exc))
    return see_other(f"/channels/{created.id}")


async def _channel_page(request: Request, hub: Hub, channel_id: str, status: int = 200, **extra: Any) -> Response:
    channel = _out(await ChannelService(hub).get(channel_id))
    deliveries = [DeliveryOut.of(row) for row in await ChannelService(hub).deliveries(channel_id, LOG_SIZE)]
    if request.query_params.get("fragment") == "deliveries":
        return page(request, "_deliveries.html", deliveries=deliveries, source=f"/channels/{channel_id}")
    fields = _fields(channel.type)
    context: dict[str, Any] = {
        "values": {"name": channel.name, "enabled": channel.enabled, **config_values(channel.config, fields)},
        "errors": {},
        "rule_errors": {},
        "rule_values": {"sendResolved": True},
        "test": None,
        **extra,
    }
    return page(
        request,
        "channel.html",
        status,
        channel=channel,
        kind=channel.type,
        fields=fields,
        deliveries=deliveries,
        **context,
    )


@router.get("/channels/{channel_id}")
async def channel_page(channel_id: str, request: Request, user: User, hub: HubDep) -> Response:
    return await _channel_page(request, hub, channel_id)


@router.post("/channels/{channel_id}")
async def update_channel(channel_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    current = _out(await ChannelService(hub).get(channel_id))
    try:
        await ChannelService(hub).update(channel_id, _channel_body(form, current.type))
    except FormInvalid as exc:
        return await _channel_page(request, hub, channel_id, 400, values=form, errors=exc.errors)
    except WatchkeepError as exc:
        return await _channel_page(request, hub, channel_id, exc.status, values=form, errors=errors_of(exc))
    return see_other(f"/channels/{channel_id}?saved=1")


@router.post("/channels/{channel_id}/test")
async def test_channel(channel_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    delivery_id, result = await ChannelService(hub).send_test(channel_id, request.app.state.notify.http)
    test = TestOut(
        ok=result.ok,
        delivery_id=delivery_id,
        error=result.error,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
    )
    return await _channel_page(request, hub, channel_id, test=test)


@router.post("/channels/{channel_id}/delete")
async def delete_channel(channel_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await ChannelService(hub).delete(channel_id)
    return see_other("/channels")


@router.post("/channels/{channel_id}/rules")
async def create_rule(channel_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields: dict[str, Any] = {
        "matchers": matchers_of(form),
        "repeatIntervalSeconds": text(form, "repeatIntervalSeconds"),
        "sendResolved": form.get("sendResolved") in ("on", "true", "1"),
    }
    try:
        body = validated(RuleIn, {k: v for k, v in fields.items() if v is not None})
        await ChannelService(hub).add_rule(channel_id, body)
    except FormInvalid as exc:
        return await _channel_page(request, hub, channel_id, 400, rule_values=form, rule_errors=exc.errors)
    except WatchkeepError as exc:
        return await _channel_page(request, hub, channel_id, exc.status, rule_values=form, rule_errors=errors_of(exc))
    return see_other(f"/channels/{channel_id}#rules")


@router.post("/channels/{channel_id}/rules/{rule_id}/delete")
async def delete_rule(channel_id: str, rule_id: str, request: Request, user: EditorChange, hub: HubDep) -> Response:
    await ChannelService(hub).delete_rule(channel_id, rule_id)
    return see_other(f"/channels/{channel_id}#rules")


# Webhooks


async def _webhooks_page(request: Request, hub: Hub, status: int = 200, **extra: Any) -> Response:
    webhooks = [WebhookOut.of(row) for row in await WebhookService(hub).all()]
    context: dict[str, Any] = {"errors": {}, "values": {"eventTypes": "*"}, **extra}
    return page(request, "webhooks.html", status, webhooks=webhooks, **context)


@router.get("/webhooks")
async def webhooks_page(request: Request, user: User, hub: HubDep) -> Response:
    return await _webhooks_page(request, hub)


@router.post("/webhooks")
async def create_webhook(request: Request, user: AdminChange, hub: HubDep) -> Response:
    form = await form_data(request)
    fields: dict[str, Any] = {
        "name": form.get("name", ""),
        "url": form.get("url", ""),
        "secret": text(form, "secret"),
        "eventTypes": lines(form.get("eventTypes")) or ["*"],
    }
    try:
        body = validated(WebhookIn, {k: v for k, v in fields.items() if v is not None})
        row = await WebhookService(hub).create(body)
    except FormInvalid as exc:
        return await _webhooks_page(request, hub, 400, errors=exc.errors, values=form)
    except WatchkeepError as exc:
        return await _webhooks_page(request, hub, exc.status, errors=errors_of(exc), values=form)
    # The one answer that shows the signing secret: rendered here, never redirected to.
    return await _webhook_page(request, hub, row["id"], 201, secret=row["secret"])


async def _webhook_page(request: Request, hub: Hub, webhook_id: str, status: int = 200, **extra: Any) -> Response:
    webhook = WebhookOut.of(await WebhookService(hub).get(webhook_id))
    deliveries = [DeliveryOut.of(row) for row in await WebhookService(hub).deliveries(webhook_id, LOG_SIZE)]
    if request.query_params.get("fragment") == "deliveries":
        return page(request, "_deliveries.html", deliveries=deliveries, source=f"/webhooks/{webhook_id}")
    context: dict[str, Any] = {"secret": None, "test": None, **extra}
    return page(request, "webhook.html", status, webhook=webhook, deliveries=deliveries, **context)


@router.get("/webhooks/{webhook_id}")
async def webhook_page(webhook_id: str, request: Request, user: User, hub: HubDep) -> Response:
    return await _webhook_page(request, hub, webhook_id)


@router.post("/webhooks/{webhook_id}/test")
async def test_webhook(webhook_id: str, request: Request, user: AdminChange, hub: HubDep) -> Response:
    delivery_id = await WebhookService(hub).enqueue_test(webhook_id)
    row = await request.app.state.notify.worker.deliver_now(delivery_id)
    ok = row is not None and row["status"] == "delivered"
    test = TestOut(
        ok=ok,
        delivery_id=delivery_id,
        error=None if ok or row is None else row["last_error"],
        latency_ms=row["latency_ms"] if row is not None else None,
    )
    return await _webhook_page(request, hub, webhook_id, test=test)


@router.post("/webhooks/{webhook_id}/delete")
async def delete_webhook(webhook_id: str, request: Request, user: AdminChange, hub: HubDep) -> Response:
    await WebhookService(hub).delete(webhook_id)
    return see_other("/webhooks")
