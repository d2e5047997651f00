"""Which tag is newer, and how image references read (no network)."""

from __future__ import annotations

import pytest

from watchkeep.updates.references import BadReference, digests_of, parse
from watchkeep.updates.versions import is_floating, kind_of, newest, parse_version

TAGS = [
    "1.25.3-alpine",
    "1.25.4-alpine",
    "1.26.0-alpine",
    "1.27.0-alpine",
    "1.28.0",
    "1.28.0-rc1-alpine",
    "2.0.0-beta.1-alpine",
    "1.27.1-bookworm",
    "latest",
    "alpine",
    "1.27",
]


def test_the_newest_release_with_the_same_variant_wins() -> None:
    best = newest("1.25.3-alpine", TAGS)
    assert best is not None and best.tag == "1.27.0-alpine"


def test_a_plain_version_never_moves_to_a_variant_or_a_prerelease() -> None:
    best = newest("1.27.0", ["1.27.1-alpine", "1.28.0-rc.1", "1.27.2", "v1.29.0", "1.27.1.1"])
    assert best is not None and best.tag == "1.27.2"


@pytest.mark.parametrize(
    ("current", "newer", "kind"),
    [("1.25.3", "2.0.0", "major"), ("1.25.3", "1.26.0", "minor"), ("1.25.3", "1.25.10", "patch")],
)
def test_the_kind_of_an_update_is_the_first_number_that_grew(current: str, newer: str, kind: str) -> None:
    a, b = parse_version(current), parse_version(newer)
    assert a is not None and b is not None and kind_of(a, b) == kind


def test_tags_with_fewer_numbers_float() -> None:
    assert all(is_floating(tag) for tag in ("latest", "stable", "1.25", "3", "alpine"))
    assert not is_floating("1.25.3") and not is_floating("v1.2.3-alpine")
    assert newest("latest", TAGS) is None


def test_prereleases_and_variants_are_told_apart() -> None:
    rc = parse_version("1.28.0-rc1-alpine")
    assert rc is not None and rc.prerelease and rc.variant == "alpine"
    variant = parse_version("1.27.1-bookworm")
    assert variant is not None and not variant.prerelease and variant.variant == "bookworm"


def test_references_read_as_docker_reads_them() -> None:
    nginx = parse("nginx")
    assert (nginx.registry, nginx.repository, nginx.tag, nginx.api_host) == (
        "docker.io",
        "library/nginx",
        "latest",
        "registry-1.docker.io",
    )
    ghcr = parse("ghcr.io/acme/app:1.2.3")
    assert (ghcr.registry, ghcr.repository, ghcr.tag) == ("ghcr.io", "acme/app", "1.2.3")
    local = parse("localhost:5000/team/app@sha256:" + "a" * 64)
    assert (local.registry, local.tag, local.digest) == ("localhost:5000", None, "sha256:" + "a" * 64)
    assert parse("docker.io/grafana/grafana:10.0.0").short_name == "grafana/grafana"
    with pytest.raises(BadReference):
        parse("Not A Reference")


def test_repo_digests_count_only_for_the_same_repository() -> None:
    ref = parse("nginx:latest")
    entries = ["nginx@sha256:" + "1" * 64, "docker.io/library/nginx@sha256:" + "2" * 64, "other@sha256:" + "3" * 64]
    assert digests_of(entries, ref) == {"sha256:" + "1" * 64, "sha256:" + "2" * 64}
