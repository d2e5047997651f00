"""Which request headers of an HTTP endpoint hold secrets: those are sealed at rest, masked
when shown, and not sent on to another host on a redirect."""

from __future__ import annotations

import re

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"})
_SECRET_WORDS = re.compile(r"token|secret|key|auth|password|passwd|session|signature|credential", re.I)


def is_secret_header(name: str) -> bool:
    return name.lower() in SECRET_HEADERS or _SECRET_WORDS.search(name) is not None
