"""Image references as Docker reads them: `nginx:1.25` is `docker.io/library/nginx:1.25`,
`ghcr.io/owner/app@sha256:...` names a registry host, `localhost:5000/app` a host with a port.
Pure functions; nothing here touches the network."""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
# Where Docker Hub's registry API answers; `docker.io` itself serves no /v2/.
DOCKER_HUB_API = "registry-1.docker.io"
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_PATH = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


class BadReference(ValueError):
    pass


@dataclass(frozen=True)
class ImageRef:
    registry: str  # docker.io for Docker Hub, else the host[:port] as written
    repository: str  # library/nginx, owner/app
    tag: str | None
    digest: str | None

    @property
    def api_host(self) -> str:
        """The host[:port] whose /v2/ API serves this repository."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def name(self) -> str:
        """registry/repository, the way `docker inspect` spells a fully qualified name."""
        return f"{self.registry}/{self.repository}"

    @property
    def short_name(self) -> str:
        """The name as people write it: `nginx` for official images, no docker.io/ prefix."""
        if self.registry == DOCKER_HUB:
            return self.repository.removeprefix("library/")
        return self.name

    def __str__(self) -> str:
        text = self.short_name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def is_docker_hub(host: str) -> bool:
    return host.lower() in _DOCKER_HUB_ALIASES


def parse(reference: str) -> ImageRef:
    """`reference` as written in a container's config; a reference with neither tag nor digest
    means `:latest`. Raises BadReference for what Docker would refuse."""
    text = reference.strip()
    if not text:
        raise BadReference("empty image reference")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise BadReference(f"{reference!r}: malformed digest")
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG.match(tag):
            raise BadReference(f"{reference!r}: malformed tag")
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first.lower(), rest
    else:
        registry, path = DOCKER_HUB, text
    if is_docker_hub(registry):
        registry = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    if not _PATH.match(path):
        raise BadReference(f"{reference!r}: malformed repository name")
    if tag is None and digest is None:
        tag = "latest"
    return ImageRef(registry=registry, repository=path, tag=tag, digest=digest)


def digests_of(repo_digests: list[str], image: ImageRef) -> set[str]:
    """The digests among an image's RepoDigests (`name@sha256:...`) that belong to `image`'s
    repository; an entry that does not parse is ignored."""
    found = set()
    for entry in repo_digests:
        try:
            ref = parse(entry)
        except BadReference:
            continue
        if ref.digest and ref.name == image.name:
            found.add(ref.digest)
    return found
