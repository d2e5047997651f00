"""What a scan decides for one container. `plan` says, without the network, whether and how
the container is checked (the dry run shows exactly this); `check` asks the registry through
`Lookups`, which asks each question once per scan however many containers share it.

A semver-like tag is compared with the repository's tags (versions.py); a floating tag's
registry digest for the running platform is compared with the digests the running image
was pulled by (its RepoDigests): the index digest first (one HEAD), and only when that
differs the index itself, for the platform's own manifest digest."""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from watchkeep.updates.references import BadReference, ImageRef, digests_of, parse
from watchkeep.updates.registry import Manifest, ManifestHead, Platform, RegistryClient, RegistryError
from watchkeep.updates.versions import is_floating, kind_of, newest, parse_version

ENABLED_LABEL = "watchkeep.update.enabled"
PIN_LABEL = "watchkeep.update.pin"
INCLUDE_LABEL = "watchkeep.update.tag_include"
EXCLUDE_LABEL = "watchkeep.update.tag_exclude"
SOURCE_LABEL = "org.opencontainers.image.source"
URL_LABEL = "org.opencontainers.image.url"
CHANGELOG_LABELS = ("org.opencontainers.image.changelog", "watchkeep.update.changelog")
_FALSE = frozenset({"false", "0", "no", "off"})
_TRUE = frozenset({"true", "1", "yes", "on"})

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """A container as a scan sees it."""

    container_id: str
    agent_id: str
    name: str
    image: str
    labels: dict[str, str] = field(default_factory=dict)
    image_labels: dict[str, str] = field(default_factory=dict)
    repo_digests: list[str] | None = None
    platform: str | None = None


@dataclass(frozen=True)
class PinnedAt:
    tag: str | None
    digest: str | None


@dataclass(frozen=True)
class Rule:
    """An exclusion: globs on the image name and (optionally) the tag."""

    image: str
    tag: str | None = None

    def matches(self, ref: ImageRef | None, image: str) -> bool:
        names = {image.rsplit("@", 1)[0]}
        if ref is not None:
            names |= {ref.short_name, ref.name, ref.repository}
        if not any(fnmatch.fnmatchcase(name, self.image) for name in names):
            return False
        if self.tag is None:
            return True
        return ref is not None and ref.tag is not None and fnmatch.fnmatchcase(ref.tag, self.tag)


@dataclass(frozen=True)
class Plan:
    """How a container is checked: `method` semver | digest, or None with the `status` it
    gets without a check (disabled, excluded, pinned, unsupported) and why."""

    target: Target
    ref: ImageRef | None
    method: str | None
    status: str | None = None
    reason: str | None = None
    pin_prefix: str | None = None
    include: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None

    @property
    def checked(self) -> bool:
        return self.method is not None


@dataclass(frozen=True)
class Finding:
    status: str
    update_type: str | None = None
    latest_tag: str | None = None
    latest_digest: str | None = None
    current_digest: str | None = None
    error: str | None = None


def _regex(labels: dict[str, str], name: str) -> re.Pattern[str] | str | None:
    value = labels.get(name, "").strip()
    if not value:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        return f"label {name}: not a regular expression ({exc})"


def plan(target: Target, pin: PinnedAt | None, rules: Iterable[Rule]) -> Plan:
    labels = target.labels
    try:
        ref: ImageRef | None = parse(target.image)
    except BadReference as exc:
        ref = None
        bad = str(exc)
    if labels.get(ENABLED_LABEL, "").strip().lower() in _FALSE:
        return Plan(target, ref, None, "disabled", f"label {ENABLED_LABEL}=false")
    for rule in rules:
        if rule.matches(ref, target.image):
            what = rule.image + (f":{rule.tag}" if rule.tag else "")
            return Plan(target, ref, None, "excluded", f"exclusion {what}")
    label_pin = labels.get(PIN_LABEL, "").strip()
    if pin is not None:
        return Plan(target, ref, None, "pinned", "pinned through the API")
    if label_pin.lower() in _TRUE:
        return Plan(target, ref, None, "pinned", f"label {PIN_LABEL}={label_pin}")
    if ref is None:
        return Plan(target, None, None, "unsupported", bad)
    if ref.tag is None:
        return Plan(target, ref, None, "unsupported", "referenced by digest only: nothing can move")
    include, exclude = _regex(labels, INCLUDE_LABEL), _regex(labels, EXCLUDE_LABEL)
    for problem in (include, exclude):
        if isinstance(problem, str):
            return Plan(target, ref, None, "error", problem)
    assert not isinstance(include, str) and not isinstance(exclude, str)
    if is_floating(ref.tag):
        if target.repo_digests is None:
            return Plan(target, ref, None, "unsupported", "the running image's digests were not reported")
        if not digests_of(target.repo_digests, ref):
            return Plan(target, ref, None, "unsupported", "the running image was not pulled from this registry")
        return Plan(target, ref, "digest")
    prefix = label_pin or None
    return Plan(target, ref, "semver", pin_prefix=prefix, include=include, exclude=exclude)


def source_links(target: Target, latest_tag: str | None) -> tuple[str | None, str | None]:
    """(source, changelog) from the image's OCI labels (the container's as a fallback)."""
    merged = {**target.labels, **target.image_labels}
    source = merged.get(SOURCE_LABEL) or merged.get(URL_LABEL) or None
    changelog = next((merged[name] for name in CHANGELOG_LABELS if merged.get(name)), None)
    if changelog is None and source and source.startswith("https://github.com/"):
        base = source.removesuffix(".git").rstrip("/")
        changelog = f"{base}/releases/tag/{latest_tag}" if latest_tag else f"{base}/releases"
    return source, changelog


class Lookups:
    """The registry questions of one scan, each asked once: concurrent askers share the
    answer (or the error)."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self._answers: dict[tuple[str, ...], asyncio.Future[Any]] = {}

    async def _once(self, key: tuple[str, ...], ask: Callable[[], Awaitable[T]]) -> T:
        future = self._answers.get(key)
        if future is None:
            future = self._answers[key] = asyncio.get_running_loop().create_future()
            try:
                future.set_result(await ask())
            except RegistryError as exc:
                future.set_exception(exc)
            except BaseException as exc:
                future.set_exception(RegistryError(f"{exc.__class__.__name__}: {exc}"))
                raise
        result: T = await asyncio.shield(future)
        return result

    async def tags(self, ref: ImageRef) -> list[str]:
        return await self._once(
            ("tags", ref.api_host, ref.repository), lambda: self.client.list_tags(ref.api_host, ref.repository)
        )

    async def head(self, ref: ImageRef, tag: str) -> ManifestHead:
        return await self._once(
            ("head", ref.api_host, ref.repository, tag),
            lambda: self.client.head_manifest(ref.api_host, ref.repository, tag),
        )

    async def manifest(self, ref: ImageRef, reference: str) -> Manifest:
        return await self._once(
            ("get", ref.api_host, ref.repository, reference),
            lambda: self.client.get_manifest(ref.api_host, ref.repository, reference),
        )


def _candidates(chosen: Plan, tags: list[str]) -> list[str]:
    return [
        tag
        for tag in tags
        if (chosen.pin_prefix is None or tag.startswith(chosen.pin_prefix))
        and (chosen.include is None or chosen.include.search(tag))
        and (chosen.exclude is None or not chosen.exclude.search(tag))
    ]


async def check(chosen: Plan, lookups: Lookups) -> Finding:
    """Ask the registry (through `lookups`); a registry error is the container's error."""
    ref = chosen.ref
    assert ref is not None and ref.tag is not None and chosen.method is not None
    running = digests_of(chosen.target.repo_digests or [], ref)
    current = min(running) if running else None
    try:
        if chosen.method == "semver":
            best = newest(ref.tag, _candidates(chosen, await lookups.tags(ref)))
            if best is None:
                return Finding("up_to_date", current_digest=current)
            now = parse_version(ref.tag)
            assert now is not None  # newest() found a newer version of it
            return Finding("available", kind_of(now, best), latest_tag=best.tag, current_digest=current)
        head = await lookups.head(ref, ref.tag)
        if head.digest in running:
            return Finding("up_to_date", latest_digest=head.digest, current_digest=head.digest)
        latest = head.digest
        if head.is_index:
            platform = Platform.parse(chosen.target.platform)
            latest_for_platform = (await lookups.manifest(ref, head.digest)).digest_for(platform)
            if latest_for_platform is None:
                return Finding("error", current_digest=current, error=f"the index of {ref} has no image for {platform}")
            if latest_for_platform in running:
                # The tag moved for other platforms; this one runs the newest already.
                return Finding("up_to_date", latest_digest=latest_for_platform, current_digest=latest_for_platform)
            latest = latest_for_platform
        return Finding("available", "digest", latest_tag=ref.tag, latest_digest=latest, current_digest=current)
    except RegistryError as exc:
        return Finding("error", current_digest=current, error=exc.message)
