"""A channel's secrets in the API: masked when shown (core/masking.py has the format), and kept
when sent back masked only while the channel's destination is unchanged, so nobody who may
edit a channel can point a stored token at a host of their choice."""

from __future__ import annotations

from typing import Any

from watchkeep.core.errors import WatchkeepError, validation_error
from watchkeep.core.masking import kept, looks_masked, mask_secret, mask_url_credentials
from watchkeep.notify.channels import CHANNEL_TYPES, channel_module
from watchkeep.notify.channels.base import ChannelConfig


def _config_class(kind: str) -> type[ChannelConfig] | None:
    return channel_module(kind).Config if kind in CHANNEL_TYPES else None


def _shown_value(value: Any, secret: bool, destination: bool) -> Any:
    if secret:
        if isinstance(value, str) and value:
            return mask_secret(value)
        if isinstance(value, dict):
            return {k: mask_secret(v) if isinstance(v, str) and v else v for k, v in value.items()}
        return value
    if destination and isinstance(value, str) and "://" in value:
        return mask_url_credentials(value)
    return value


def shown_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config as any caller may see it: secrets masked, credentials in URLs masked."""
    cls = _config_class(kind)
    if cls is None:
        return {k: mask_secret(v) if isinstance(v, str) and v else v for k, v in config.items()}
    return {
        key: _shown_value(value, key in cls.secret_fields, key in cls.destination_fields)
        for key, value in config.items()
    }


def _masked_refused(field: str) -> WatchkeepError:
    return validation_error(
        f"{field}: this is a masked value that does not match a stored secret of this channel; send the secret itself",
        field,
    )


def _by_alias(cls: type[ChannelConfig], given: dict[str, Any]) -> dict[str, Any]:
    aliases = {name: info.alias for name, info in cls.model_fields.items() if info.alias}
    return {aliases.get(key, key): value for key, value in given.items()}


def _merge_value(field: str, given: str, stored: Any, shown: Any) -> tuple[str, bool]:
    stored_text = stored if isinstance(stored, str) else None
    shown_text = shown if isinstance(shown, str) else None
    if kept(given, stored_text, shown_text):
        assert stored_text is not None
        return stored_text, True
    if looks_masked(given):
        raise _masked_refused(field)
    return given, False


def merged_config(
    kind: str, given: dict[str, Any], previous: dict[str, Any] | None
) -> tuple[dict[str, Any], list[str]]:
    """`given` with every masked value replaced by the stored one, and the fields (as the API
    names them, `config.token`) whose stored secret was kept that way. `previous` is the stored
    config of the same channel type, or None (a new channel, or one changing type)."""
    cls = _config_class(kind)
    if cls is None:
        return given, []
    merged = _by_alias(cls, given)
    before = previous or {}
    shown_before = shown_config(kind, before)
    kept_fields: list[str] = []
    for key in sorted(cls.secret_fields | cls.destination_fields):
        value = merged.get(key)
        if isinstance(value, str):
            merged[key], was_kept = _merge_value(f"config.{key}", value, before.get(key), shown_before.get(key))
            if was_kept and merged[key] != value:
                kept_fields.append(f"config.{key}")
        elif isinstance(value, dict) and key in cls.secret_fields:
            stored = before.get(key) if isinstance(before.get(key), dict) else {}
            shown = shown_before.get(key) if isinstance(shown_before.get(key), dict) else {}
            assert isinstance(stored, dict) and isinstance(shown, dict)
            entries = dict(value)
            for name, entry in value.items():
                if isinstance(entry, str):
                    entries[name], was_kept = _merge_value(
                        f"config.{key}.{name}", entry, stored.get(name), shown.get(name)
                    )
                    if was_kept:
                        kept_fields.append(f"config.{key}.{name}")
            merged[key] = entries
    return merged, kept_fields


def check_destination(config: ChannelConfig, previous: ChannelConfig, kept_fields: list[str]) -> None:
    """Refuse keeping a stored secret (`kept_fields`) when the destination changed."""
    if not kept_fields:
        return
    now = config.model_dump(by_alias=True)
    before = previous.model_dump(by_alias=True)
    for key in sorted(type(config).destination_fields):
        if now.get(key) != before.get(key):
            field = kept_fields[0]
            raise validation_error(
                f"{field}: a stored secret is kept only while the destination is unchanged, and config.{key} "
                "changed; send the secret again",
                field,
            )
