"""A scan of 200 containers over 50 repositories asks each question once: one tag list per
repository checked by semver, one manifest request per repository and floating tag, and an
index fetched (by its digest) only where the running images do not show its digest."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.hub import RunningHub
from tests.support.registry import CountingProxy, Registry
from tests.updates.test_scans import by_name, container, scan, seed


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def test_two_hundred_containers_over_fifty_repositories(
    hub: RunningHub, registry: Registry, proxy: CountingProxy
) -> None:
    host = proxy.host
    fleet = []
    moved: set[str] = set()
    for n in range(25):  # semver: 4 containers on two tags of each repository
        repository = f"budget/semver{n}"
        registry.push_image(repository, ["1.0.0", "1.0.1", "1.1.0", "2.0.0-rc1"])
        for i in range(4):
            fleet.append(container(f"s{n}-{i}", f"{host}/{repository}:1.0.{i % 2}"))
    for n in range(25):  # floating: 2 containers on each of two tags of each repository
        repository = f"budget/float{n}"
        for tag in ("latest", "stable"):
            pushed = registry.push_image(repository, [tag], platforms=("linux/amd64", "linux/arm64"), content=tag)
            running = pushed.digest
            if n % 5 == 0 and tag == "latest":  # these run an older build: the tag moved since
                running = "sha256:" + f"{n:064d}"
                moved.add(f"/v2/{repository}/manifests/{pushed.digest}")
            for i in range(2):
                fleet.append(
                    container(
                        f"f{n}-{tag}-{i}", f"{host}/{repository}:{tag}", digests=[f"{host}/{repository}@{running}"]
                    )
                )
    assert len(fleet) == 200
    await seed(hub, fleet)
    proxy.reset()

    done = await scan(hub.admin)
    assert (done["checked"], done["errors"], done["found"]) == (200, 0, 100 + 10)

    tag_lists = proxy.count("GET", "tags")
    assert len(tag_lists) == 25 and set(tag_lists.values()) == {1}
    heads = proxy.count("HEAD", "manifests")
    assert len(heads) == 50 and set(heads.values()) == {1}
    assert all(path.rsplit("/", 1)[1] in ("latest", "stable") for path in heads)
    gets = proxy.count("GET", "manifests")
    assert set(gets) == moved and set(gets.values()) == {1}
    per_repository_and_tag = Counter(path for (_, path) in proxy.counts if "/manifests/" in path)
    assert max(per_repository_and_tag.values()) == 1

    items = by_name((await hub.admin.get("/api/v1/updates")).json())
    assert items["s3-0"]["latestTag"] == "1.1.0" and items["s3-0"]["updateType"] == "minor"
    assert items["f5-latest-0"]["updateType"] == "digest"
    assert items["f6-latest-0"]["status"] == "up_to_date"
