"""Scans through the API against docker-registry on loopback: semver tags with variants,
floating tags by the running platform's digest, pins, exclusions and labels; the events and
the info alert of a detected update, resolved by a pin, an exclusion or the update applied."""

from __future__ import annotations

from typing import Any

import httpx2

from tests.support.hub import RunningHub
from tests.support.polling import eventually
from tests.support.registry import CountingProxy, Registry
from watchkeep.containers.model import ContainerInfo, public_id
from watchkeep.containers.service import ContainerService
from watchkeep.core.events import Event
from watchkeep.core.events.log import events_after

AGENT = "agt_updates_test"


def container(name: str, image: str, *, digests: list[str] | None = None, **extra: Any) -> ContainerInfo:
    return ContainerInfo(
        id=f"id-{name}",
        name=name,
        image=image,
        image_id=f"sha256:{name}",
        state="running",
        repo_digests=digests,
        platform=extra.pop("platform", "linux/amd64"),
        labels=extra.pop("labels", {}),
        image_labels=extra.pop("image_labels", {}),
    )


async def seed(hub: RunningHub, containers: list[ContainerInfo], agent: str = AGENT) -> None:
    await ContainerService(hub.hub).record(agent, containers, full=True)


async def scan(client: httpx2.AsyncClient) -> dict[str, Any]:
    started = await client.post("/api/v1/updates/scan")
    assert started.status_code == 202, started.text
    scan_id = started.json()["id"]
    assert started.json()["status"] == "queued"

    async def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/api/v1/updates/scan/{scan_id}")).json()
        return body if body["status"] in ("completed", "failed") else None

    done = await eventually(finished, "the scan to finish")
    assert done["status"] == "completed", done
    return done


async def logged(hub: RunningHub) -> list[Event]:
    async with hub.hub.store.read() as conn:
        events, _ = await events_after(conn, 0, 10_000)
    return events


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


async def test_a_scan_finds_semver_variant_and_floating_updates(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    for tag in ("1.25.3-alpine", "1.25.4-alpine", "1.27.0-alpine", "1.28.0", "1.29.0-rc1-alpine", "2.0.0"):
        registry.push_image("scan/web", [tag], content=tag)
    old = registry.push_image("scan/floating", ["latest"], platforms=("linux/amd64", "linux/arm64"), content="v1")
    new = registry.push_image("scan/floating", ["latest"], platforms=("linux/amd64", "linux/arm64"), content="v2")
    same = registry.push_image("scan/steady", ["stable"], platforms=("linux/amd64", "linux/arm64"))
    labels = {"org.opencontainers.image.source": "https://github.com/acme/web"}
    await seed(
        hub,
        [
            container("web", f"{host}/scan/web:1.25.3-alpine", digests=[], image_labels=labels),
            container("web-plain", f"{host}/scan/web:1.28.0"),
            container("web-patch", f"{host}/scan/web:1.25.3-alpine", labels={"watchkeep.update.pin": "1.25."}),
            container(
                "web-filtered", f"{host}/scan/web:1.25.3-alpine", labels={"watchkeep.update.tag_exclude": r"^1\.2[7-9]"}
            ),
            container("floating", f"{host}/scan/floating:latest", digests=[f"{host}/scan/floating@{old.digest}"]),
            container("steady", f"{host}/scan/steady:stable", digests=[f"{host}/scan/steady@{same.digest}"]),
            # pulled by its platform's manifest, not the index: compared with the index's entry
            container(
                "steady-arm",
                f"{host}/scan/steady:stable",
                digests=[f"{host}/scan/steady@{same.platforms['linux/arm64']}"],
                platform="linux/arm64",
            ),
            container("off", f"{host}/scan/web:1.25.3-alpine", labels={"watchkeep.update.enabled": "false"}),
            container("built-here", f"{host}/scan/floating:latest", digests=[]),
        ],
    )
    client = hub.admin
    done = await scan(client)
    assert (done["total"], done["checked"], done["progress"], done["found"], done["errors"]) == (9, 9, 1.0, 5, 0)

    items = by_name((await client.get("/api/v1/updates")).json())
    web = items["web"]
    assert (web["status"], web["updateType"], web["currentTag"], web["latestTag"]) == (
        "available",
        "minor",
        "1.25.3-alpine",
        "1.27.0-alpine",
    )
    assert web["sourceUrl"] == "https://github.com/acme/web"
    assert web["changelogUrl"] == "https://github.com/acme/web/releases/tag/1.27.0-alpine"
    assert (items["web-plain"]["updateType"], items["web-plain"]["latestTag"]) == ("major", "2.0.0")
    assert (items["web-patch"]["updateType"], items["web-patch"]["latestTag"]) == ("patch", "1.25.4-alpine")
    assert (items["web-filtered"]["updateType"], items["web-filtered"]["latestTag"]) == ("patch", "1.25.4-alpine")
    floating = items["floating"]
    assert (floating["status"], floating["updateType"]) == ("available", "digest")
    assert floating["latestDigest"] == new.platforms["linux/amd64"]
    assert floating["currentDigest"] == old.digest
    assert items["steady"]["status"] == "up_to_date"
    assert items["steady-arm"]["status"] == "up_to_date"
    assert items["off"]["status"] == "disabled"
    assert items["built-here"]["status"] == "unsupported"

    minor = (await client.get("/api/v1/updates", params={"status": "available", "update_type": "minor"})).json()
    assert [item["name"] for item in minor] == ["web"]
    bad = await client.get("/api/v1/updates", params={"update_type": "huge"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "update_type"

    summary = (await client.get("/api/v1/updates/summary")).json()
    assert summary["available"] == 5
    assert summary["byType"] == {"major": 1, "minor": 1, "patch": 2, "digest": 1}
    assert summary["lastScan"]["id"] == done["id"]

    detail = (await client.get(f"/api/v1/updates/container/{public_id(AGENT, 'id-web')}")).json()
    assert detail["current"]["tag"] == "1.25.3-alpine" and detail["latest"]["tag"] == "1.27.0-alpine"
    assert detail["kind"] == "minor" and detail["sourceUrl"] == "https://github.com/acme/web"

    metrics = (await client.get("/metrics")).text
    assert 'watchkeep_updates_available{kind="patch"} 2.0' in metrics


async def test_the_dry_run_says_what_would_be_checked_without_asking(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    await seed(
        hub,
        [
            container("a", f"{host}/dry/a:1.0.0"),
            container("b", f"{host}/dry/a:1.0.0"),
            container("c", f"{host}/dry/b:latest", digests=[f"{host}/dry/b@sha256:{'0' * 64}"]),
            container("d", f"{host}/dry/b@sha256:{'1' * 64}"),
        ],
    )
    plan = (await hub.admin.get("/api/v1/updates/dry-run")).json()
    assert (plan["checked"], plan["skipped"], plan["tagLists"], plan["manifests"]) == (3, 1, 1, 1)
    methods = {item["name"]: (item["method"], item["status"]) for item in plan["containers"]}
    assert methods == {"a": ("semver", None), "b": ("semver", None), "c": ("digest", None), "d": (None, "unsupported")}
    assert sum(proxy.counts.values()) == 0


async def test_a_detected_update_alerts_once_and_a_pin_resolves_it(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    registry.push_image("alerting/app", ["3.1.0", "3.2.0"])
    await seed(hub, [container("app", f"{host}/alerting/app:3.1.0")])
    client = hub.admin
    await scan(client)
    container_id = public_id(AGENT, "id-app")

    async def firing() -> list[dict[str, Any]] | None:
        items = (await client.get("/api/v1/alerts", params={"source": "update", "status": "active"})).json()["items"]
        return items or None

    alert = (await eventually(firing, "the update alert"))[0]
    assert (alert["type"], alert["severity"], alert["entityId"]) == ("update_available", "info", container_id)
    assert "3.1.0 → 3.2.0" in alert["message"]

    await scan(client)  # the same update again: no second update.detected
    assert [e.type for e in await logged(hub) if e.type.startswith("update.") and "scan" not in e.type] == [
        "update.detected"
    ]

    pinned = await client.post(f"/api/v1/updates/pin/{container_id}")
    assert pinned.status_code == 200 and pinned.json()["tag"] == "3.1.0"

    async def resolved() -> bool | None:
        items = (await client.get("/api/v1/alerts", params={"source": "update"})).json()["items"]
        return True if items and items[0]["status"] == "resolved" else None

    await eventually(resolved, "the update alert to resolve")
    detail = (await client.get(f"/api/v1/updates/container/{container_id}")).json()
    assert detail["status"] == "pinned" and detail["pin"]["tag"] == "3.1.0"

    await scan(client)  # a pinned container is not asked about
    assert by_name((await client.get("/api/v1/updates")).json())["app"]["status"] == "pinned"
    assert (await client.delete(f"/api/v1/updates/pin/{container_id}")).status_code == 204
    assert (await client.delete(f"/api/v1/updates/pin/{container_id}")).status_code == 404
    await scan(client)
    assert by_name((await client.get("/api/v1/updates")).json())["app"]["status"] == "available"
    await eventually(firing, "the update alert again after unpinning")
    told = [e.type for e in await logged(hub) if e.type.startswith("update.") and "scan" not in e.type]
    assert told == ["update.detected", "update.pinned", "update.unpinned", "update.detected"]


async def test_exclusions_cover_images_and_tags_by_glob(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    registry.push_image("excl/app", ["1.0.0", "1.1.0"])
    registry.push_image("excl/tool", ["1.0.0", "1.1.0"])
    await seed(hub, [container("app", f"{host}/excl/app:1.0.0"), container("tool", f"{host}/excl/tool:1.0.0")])
    client = hub.admin
    await scan(client)
    assert {i["name"]: i["status"] for i in (await client.get("/api/v1/updates")).json()} == {
        "app": "available",
        "tool": "available",
    }
    created = await client.post("/api/v1/updates/exclusions", json={"image": f"{host}/excl/t*", "tag": "1.*"})
    assert created.status_code == 201, created.text
    exclusion = created.json()
    # covered at once, before any scan: its update resolves
    assert {i["name"]: i["status"] for i in (await client.get("/api/v1/updates")).json()}["tool"] == "excluded"
    again = await client.post("/api/v1/updates/exclusions", json={"image": f"{host}/excl/t*", "tag": "1.*"})
    assert again.status_code == 409
    bad = await client.post("/api/v1/updates/exclusions", json={"image": "a b"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "image"
    assert len((await client.get("/api/v1/updates/exclusions")).json()) == 1

    await scan(client)
    statuses = {i["name"]: i["status"] for i in (await client.get("/api/v1/updates")).json()}
    assert statuses == {"app": "available", "tool": "excluded"}

    assert (await client.delete(f"/api/v1/updates/exclusions/{exclusion['id']}")).status_code == 204
    assert (await client.delete(f"/api/v1/updates/exclusions/{exclusion['id']}")).status_code == 404
    await scan(client)
    statuses = {i["name"]: i["status"] for i in (await client.get("/api/v1/updates")).json()}
    assert statuses == {"app": "available", "tool": "available"}


async def test_an_applied_update_resolves_and_a_removed_container_goes(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    registry.push_image("applied/app", ["1.0.0", "1.0.1"])
    await seed(hub, [container("app", f"{host}/applied/app:1.0.0"), container("gone", f"{host}/applied/app:1.0.0")])
    client = hub.admin
    await scan(client)
    await seed(hub, [container("app", f"{host}/applied/app:1.0.1")])  # "gone" left the inventory
    await scan(client)
    items = by_name((await client.get("/api/v1/updates")).json())
    assert set(items) == {"app"} and items["app"]["status"] == "up_to_date"

    async def all_resolved() -> bool | None:
        items = (await client.get("/api/v1/alerts", params={"source": "update"})).json()["items"]
        return True if len(items) == 2 and all(a["status"] == "resolved" for a in items) else None

    await eventually(all_resolved, "both update alerts to resolve")


async def test_a_second_scan_request_answers_the_running_one(hub: RunningHub) -> None:
    client = hub.admin
    first = await client.post("/api/v1/updates/scan")
    second = await client.post("/api/v1/updates/scan")
    if second.status_code == 200:
        assert second.json()["id"] == first.json()["id"]
    else:  # the first had finished already (no containers)
        assert second.status_code == 202
    assert (await client.get("/api/v1/updates/scan/scan_missing")).status_code == 404
    reader = hub.client(await hub.user_key("viewer", "viewer", ["read"]))
    assert (await reader.post("/api/v1/updates/scan")).status_code == 403
