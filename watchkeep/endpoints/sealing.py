"""An endpoint's secrets: header values that look like credentials (headers.py) are sealed at
rest with the hub's key and shown masked (core/masking.py), and a URL target's password and
query values are masked when shown. A PUT that sends a shown value back keeps what is stored."""

from __future__ import annotations

import json
from typing import Any

from watchkeep.core.crypto import SecretBox
from watchkeep.core.errors import validation_error
from watchkeep.core.masking import kept, looks_masked, mask_secret, mask_url_credentials
from watchkeep.probes.headers import is_secret_header


def _map_secret_headers(settings: dict[str, Any], change: Any) -> dict[str, Any]:
    headers = settings.get("headers")
    if not isinstance(headers, dict):
        return dict(settings)
    return {**settings, "headers": {k: change(v) if is_secret_header(k) and v else v for k, v in headers.items()}}


def sealed(settings: dict[str, Any], box: SecretBox) -> str:
    """The settings as stored (JSON), secret header values sealed."""
    return json.dumps(_map_secret_headers(settings, box.seal), separators=(",", ":"))


def opened(stored: str, box: SecretBox) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads(stored or "{}")
    return _map_secret_headers(settings, box.open)


def shown(settings: dict[str, Any]) -> dict[str, Any]:
    return _map_secret_headers(settings, mask_secret)


def shown_target(kind: str, target: str) -> str:
    return mask_url_credentials(target) if kind == "http" else target


def merged(
    kind: str, target: str, settings: dict[str, Any], previous_target: str | None, previous: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """`target` and `settings` with every shown (masked) value replaced by the stored one; a
    masked value that matches nothing stored is refused, so a mask is never stored."""
    if previous_target is not None and target != previous_target and target == shown_target(kind, previous_target):
        target = previous_target
    elif kind == "http" and looks_masked(target):
        raise validation_error("target: this is a masked URL; send the URL itself", "target")
    headers = settings.get("headers")
    if not isinstance(headers, dict):
        return target, settings
    before = (previous or {}).get("headers") or {}
    result: dict[str, str] = {}
    for name, value in headers.items():
        stored = before.get(name)
        if is_secret_header(name) and isinstance(stored, str) and kept(value, stored, mask_secret(stored)):
            result[name] = stored
        elif looks_masked(value):
            field = f"http.headers.{name}"
            raise validation_error(
                f"{field}: a masked value that matches no stored secret of this endpoint; send the value itself", field
            )
        else:
            result[name] = value
    return target, {**settings, "headers": result}
