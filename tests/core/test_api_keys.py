"""API keys: scopes, roles, shown once, stored as hashes."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.hub import RunningHub
from watchkeep.core.auth.tables import api_keys


async def test_a_key_is_shown_once_at_creation(hub: RunningHub) -> None:
    created = await hub.admin.post("/api/v1/keys", json={"name": "deploy", "scopes": ["read", "write"]})
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "name", "scopes", "key", "createdAt"}
    assert body["scopes"] == ["read", "write"]
    listed = (await hub.admin.get("/api/v1/keys")).json()
    assert all("key" not in item for item in listed)
    assert body["key"] not in (await hub.admin.get("/api/v1/keys")).text


async def test_only_a_hash_of_the_key_is_stored(hub: RunningHub) -> None:
    key = (await hub.admin.post("/api/v1/keys", json={"name": "ci", "scopes": ["read"]})).json()["key"]
    async with hub.hub.store.read() as conn:
        rows = (await conn.execute(select(api_keys))).mappings().all()
    assert rows
    assert all(key not in str(dict(row).values()) for row in rows)


async def test_a_key_works_as_x_api_key_and_as_bearer_and_records_its_use(hub: RunningHub) -> None:
    key = (await hub.admin.post("/api/v1/keys", json={"name": "ci", "scopes": ["read"]})).json()["key"]
    assert (await hub.client(key).get("/api/v1/me")).status_code == 200
    bearer = hub.client(headers={"Authorization": f"Bearer {key}"})
    me = await bearer.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["auth"] == "api_key"
    listed = {k["name"]: k for k in (await hub.admin.get("/api/v1/keys")).json()}
    assert listed["ci"]["lastUsedAt"] is not None


async def test_an_unknown_key_is_unauthorized(hub: RunningHub) -> None:
    response = await hub.client("wk_not-a-real-key").get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_a_revoked_key_is_unauthorized(hub: RunningHub) -> None:
    created = (await hub.admin.post("/api/v1/keys", json={"name": "old", "scopes": ["read"]})).json()
    assert (await hub.admin.delete(f"/api/v1/keys/{created['id']}")).status_code == 204
    assert (await hub.client(created["key"]).get("/api/v1/me")).status_code == 401


async def test_a_key_without_the_scope_is_forbidden_scope(hub: RunningHub) -> None:
    reader = (await hub.admin.post("/api/v1/keys", json={"name": "ro", "scopes": ["read"]})).json()["key"]
    response = await hub.client(reader).post("/api/v1/keys", json={"name": "x", "scopes": ["read"]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_scope"


async def test_an_admin_scoped_key_of_a_viewer_is_forbidden_role(hub: RunningHub) -> None:
    key = await hub.user_key("carol", "viewer", ["admin"])
    response = await hub.client(key).get("/api/v1/users")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_role"


async def test_an_unknown_scope_is_named(hub: RunningHub) -> None:
    response = await hub.admin.post("/api/v1/keys", json={"name": "x", "scopes": ["read", "root"]})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "scopes[1]"


async def test_a_missing_field_is_named(hub: RunningHub) -> None:
    response = await hub.admin.post("/api/v1/keys", json={"name": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "scopes"
