"""Users: created, changed and removed by admins."""

from __future__ import annotations

from tests.support.hub import RunningHub


async def test_an_admin_creates_a_user_who_can_log_in(hub: RunningHub) -> None:
    created = await hub.admin.post(
        "/api/v1/users", json={"username": "alice", "password": "wonderland", "role": "editor"}
    )
    assert created.status_code == 201
    assert created.json()["role"] == "editor"
    assert "password" not in created.text
    login = await hub.client().post("/api/v1/auth/login", json={"username": "alice", "password": "wonderland"})
    assert login.status_code == 200


async def test_a_duplicate_username_is_a_conflict(hub: RunningHub) -> None:
    body = {"username": "alice", "password": "wonderland", "role": "viewer"}
    assert (await hub.admin.post("/api/v1/users", json=body)).status_code == 201
    again = await hub.admin.post("/api/v1/users", json=body)
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "conflict",
        "message": "user 'alice' already exists",
        "field": "username",
        "hint": None,
        "requestId": again.headers["x-request-id"],
    }


async def test_a_bad_role_and_a_short_password_are_named(hub: RunningHub) -> None:
    role = await hub.admin.post("/api/v1/users", json={"username": "a", "password": "long-enough", "role": "root"})
    assert role.json()["error"]["field"] == "role"
    short = await hub.admin.post("/api/v1/users", json={"username": "a", "password": "short", "role": "viewer"})
    assert short.json()["error"]["field"] == "password"
    assert [u["username"] for u in (await hub.admin.get("/api/v1/users")).json()] == ["admin"]


async def test_a_server_owned_field_in_a_patch_is_readonly(hub: RunningHub) -> None:
    user = (
        await hub.admin.post("/api/v1/users", json={"username": "bob", "password": "builder1", "role": "viewer"})
    ).json()
    response = await hub.admin.patch(f"/api/v1/users/{user['id']}", json={"role": "editor", "createdAt": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "readonly_field"
    assert response.json()["error"]["field"] == "createdAt"
    unchanged = await hub.admin.get(f"/api/v1/users/{user['id']}")
    assert unchanged.json()["role"] == "viewer"


async def test_a_patch_changes_the_role(hub: RunningHub) -> None:
    user = (
        await hub.admin.post("/api/v1/users", json={"username": "bob", "password": "builder1", "role": "viewer"})
    ).json()
    response = await hub.admin.patch(f"/api/v1/users/{user['id']}", json={"role": "editor"})
    assert response.json()["role"] == "editor"


async def test_the_last_admin_cannot_be_deleted_or_demoted(hub: RunningHub) -> None:
    me = (await hub.admin.get("/api/v1/me")).json()
    assert (await hub.admin.delete(f"/api/v1/users/{me['id']}")).status_code == 409
    assert (await hub.admin.patch(f"/api/v1/users/{me['id']}", json={"role": "viewer"})).status_code == 409


async def test_deleting_a_user_removes_their_keys(hub: RunningHub) -> None:
    key = await hub.user_key("dave", "editor", ["read"])
    dave = next(u for u in (await hub.admin.get("/api/v1/users")).json() if u["username"] == "dave")
    assert (await hub.admin.delete(f"/api/v1/users/{dave['id']}")).status_code == 204
    assert (await hub.client(key).get("/api/v1/me")).status_code == 401
    assert (await hub.admin.get(f"/api/v1/users/{dave['id']}")).status_code == 404
