"""Which tag is newer. A semver-like tag is `[v]MAJOR.MINOR.PATCH[.BUILD][-suffix]`; the
suffix is either a prerelease (`-rc1`, `-beta.2`), which never counts as a release, or a
variant (`-alpine`, `-bookworm`), which a candidate must share: `1.25.3-alpine` moves to
`1.27.0-alpine`, never to `1.27.0`. A tag with fewer numbers (`1.25`, `3`) or none
(`latest`, `stable`) floats: its digest moves instead. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SEMVER = re.compile(r"^(?P<v>[vV]?)(?P<nums>\d+\.\d+\.\d+(?:\.\d+)?)(?:[-_+](?P<suffix>.+))?$")
_PRERELEASE = re.compile(
    r"^(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly|canary|next|insiders|b|a)[.-]?\d*(?:$|[.-])",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class Version:
    numbers: tuple[int, ...]
    prefix: str
    variant: str
    prerelease: bool
    tag: str


def parse_version(tag: str) -> Version | None:
    """The tag as a version, or None when it is not semver-like (a floating tag)."""
    match = _SEMVER.match(tag)
    if match is None:
        return None
    numbers = tuple(int(part) for part in match["nums"].split("."))
    suffix = match["suffix"] or ""
    prerelease = bool(_PRERELEASE.match(suffix))
    variant = suffix
    if prerelease:
        # `1.2.0-rc1-alpine`: a prerelease of the alpine variant
        head, _, rest = suffix.partition("-")
        variant = rest if _PRERELEASE.match(head + "-") else ""
    return Version(numbers=numbers, prefix=match["v"], variant=variant, prerelease=prerelease, tag=tag)


def is_floating(tag: str) -> bool:
    return parse_version(tag) is None


def kind_of(current: Version, newer: Version) -> str:
    """major | minor | patch: the first number that grew."""
    if newer.numbers[0] != current.numbers[0]:
        return "major"
    if newer.numbers[1] != current.numbers[1]:
        return "minor"
    return "patch"


def newest(current: str, tags: Iterable[str]) -> Version | None:
    """The newest release among `tags` newer than `current` with the same variant, prefix and
    count of numbers; None when `current` is the newest (or not semver-like)."""
    now = parse_version(current)
    if now is None:
        return None
    best: Version | None = None
    for tag in tags:
        candidate = parse_version(tag)
        if (
            candidate is None
            or candidate.prerelease
            or candidate.variant != now.variant
            or candidate.prefix != now.prefix
            or len(candidate.numbers) != len(now.numbers)
            or candidate.numbers <= now.numbers
        ):
            continue
        if best is None or candidate.numbers > best.numbers:
            best = candidate
    return best
