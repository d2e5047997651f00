"""The registry client against Debian's docker-registry on loopback: manifests by HEAD and
GET (OCI indexes with several platforms), tag lists over several pages, token auth through
the registry's own challenge, and the waits a registry asks for."""

from __future__ import annotations

import pytest

from tests.support.registry import CountingProxy, Registry, TokenService
from tests.updates.conftest import TOKEN_PASSWORD, TOKEN_USER
from watchkeep.updates.registry import (
    OCI_INDEX,
    OCI_MANIFEST,
    Credentials,
    Platform,
    RateLimited,
    RegistryClient,
    RegistryError,
    parse_credentials,
)


async def test_head_gives_the_index_digest_and_get_the_platforms_image(registry: Registry) -> None:
    pushed = registry.push_image(
        "client/multi", ["latest"], platforms=("linux/amd64", "linux/arm64/v8", "linux/arm/v7")
    )
    async with RegistryClient() as client:
        head = await client.head_manifest(registry.host, "client/multi", "latest")
        assert (head.digest, head.media_type, head.is_index) == (pushed.digest, OCI_INDEX, True)
        index = await client.get_manifest(registry.host, "client/multi", head.digest)
        assert index.digest == pushed.digest
        assert index.digest_for(Platform.parse("linux/arm64")) == pushed.platforms["linux/arm64/v8"]
        assert index.digest_for(Platform.parse("linux/arm/v7")) == pushed.platforms["linux/arm/v7"]
        assert index.digest_for(Platform.parse("linux/amd64")) == pushed.platforms["linux/amd64"]
        assert index.digest_for(Platform.parse("windows/amd64")) is None


async def test_a_single_manifest_is_its_own_platform_digest(registry: Registry) -> None:
    pushed = registry.push_image("client/single", ["1.0.0"])
    async with RegistryClient() as client:
        head = await client.head_manifest(registry.host, "client/single", "1.0.0")
        assert (head.digest, head.media_type, head.is_index) == (pushed.digest, OCI_MANIFEST, False)
        manifest = await client.get_manifest(registry.host, "client/single", "1.0.0")
        assert manifest.digest_for(Platform()) == pushed.digest
        with pytest.raises(RegistryError) as missing:
            await client.head_manifest(registry.host, "client/single", "9.9.9")
        assert missing.value.status == 404


async def test_tags_are_read_page_by_page_following_link(registry: Registry, proxy: CountingProxy) -> None:
    tags = [f"1.0.{n}" for n in range(23)]
    registry.push_image("client/paged", tags)
    async with RegistryClient(page_size=5) as client:
        assert sorted(await client.list_tags(proxy.host, "client/paged")) == sorted(tags)
    # 23 tags at 5 a page: 5 pages, each asked once
    assert sum(proxy.count("GET", "tags").values()) == 5


async def test_token_auth_follows_the_registrys_challenge(
    token_registry: Registry, token_service: TokenService
) -> None:
    pushed = token_registry.push_image("secure/app", ["2.0.0", "2.1.0"])
    credentials = {token_registry.host: Credentials(TOKEN_USER, TOKEN_PASSWORD)}
    before = len(token_service.requests)
    async with RegistryClient(credentials) as client:
        assert (await client.head_manifest(token_registry.host, "secure/app", "2.0.0")).digest == pushed.digest
        assert sorted(await client.list_tags(token_registry.host, "secure/app")) == ["2.0.0", "2.1.0"]
    # one token for the repository's pull scope, reused for the second request
    asked = token_service.requests[before:]
    assert [q["scope"] for q in asked] == [["repository:secure/app:pull"]]
    assert asked[0]["service"] == ["watchkeep-test-registry"]

    async with RegistryClient({token_registry.host: Credentials(TOKEN_USER, "wrong-password")}) as client:
        with pytest.raises(RegistryError) as refused:
            await client.head_manifest(token_registry.host, "secure/app", "2.0.0")
        assert refused.value.status == 401


async def test_retry_after_is_waited_then_the_request_retried(registry: Registry, proxy: CountingProxy) -> None:
    pushed = registry.push_image("client/limited", ["1.0.0"])
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with RegistryClient(sleep=sleep) as client:
        await client.head_manifest(proxy.host, "client/limited", "1.0.0")  # learns the host first
        proxy.fail_next(429, "0")
        proxy.fail_next(503)
        head = await client.head_manifest(proxy.host, "client/limited", "1.0.0")
        assert head.digest == pushed.digest
        assert waits == [2.0]  # Retry-After: 0 waits nothing; the 503 next, as a second try, backs off 2 s
        proxy.fail_next(429, "3600")
        with pytest.raises(RateLimited):
            await client.head_manifest(proxy.host, "client/limited", "1.0.0")
        # the registry asked for an hour: nothing more is sent to it meanwhile
        sent = sum(proxy.counts.values())
        with pytest.raises(RateLimited):
            await client.list_tags(proxy.host, "client/limited")
        assert sum(proxy.counts.values()) == sent


async def test_a_used_up_pull_limit_stops_gets_but_not_heads(registry: Registry, proxy: CountingProxy) -> None:
    registry.push_image("client/pulls", ["latest"], platforms=("linux/amd64", "linux/arm64"))
    async with RegistryClient() as client:
        proxy.headers["ratelimit-remaining"] = "1;w=21600"
        head = await client.head_manifest(proxy.host, "client/pulls", "latest")
        await client.get_manifest(proxy.host, "client/pulls", head.digest)
        assert client.pulls_remaining(proxy.host) == 1
        proxy.headers["ratelimit-remaining"] = "0;w=21600"
        await client.head_manifest(proxy.host, "client/pulls", "latest")  # a HEAD is no pull
        assert client.pulls_remaining(proxy.host) == 0
        sent = proxy.count("GET", "manifests")
        with pytest.raises(RateLimited, match="pull limit"):
            await client.get_manifest(proxy.host, "client/pulls", head.digest)
        assert proxy.count("GET", "manifests") == sent


def test_credentials_are_read_per_host() -> None:
    found = parse_credentials({"docker.io": {"username": "me", "password": "pw"}, "GHCR.io": {"token": "t"}})
    assert found["registry-1.docker.io"].basic() == "Basic bWU6cHc="
    assert found["ghcr.io"].token == "t"
    with pytest.raises(ValueError, match=r"quay\.io"):
        parse_credentials({"quay.io": {"username": "me"}})
