"""Form fields that the API takes as nested or typed JSON: matchers, times in the browser's
timezone, lists one per line, and a channel type's config fields read from its model."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from watchkeep.notify.schemas import MASK
from watchkeep.web.forms import text

MATCHER_FIELDS = ("source", "severity", "entityType", "entityId")


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def pairs(value: str | None, separator: str) -> dict[str, str]:
    """`key<separator>value`, one per line; a line without the separator is a key with an
    empty value, so the API's own check reports it."""
    found: dict[str, str] = {}
    for line in lines(value):
        key, _, rest = line.partition(separator)
        found[key.strip()] = rest.strip()
    return found


def matchers_of(form: dict[str, Any]) -> dict[str, Any]:
    """The `matchers` object from the fields `matchers.source`, ... and `matchers.labels`
    (`name=value` per line); a field left empty matches anything."""
    matchers: dict[str, Any] = {}
    for name in MATCHER_FIELDS:
        value = text(form, f"matchers.{name}")
        if value is not None:
            matchers[name] = value
    labels = pairs(form.get("matchers.labels"), "=")
    if labels:
        matchers["labels"] = labels
    return matchers


def matchers_values(matchers: dict[str, Any]) -> dict[str, Any]:
    """The other way round, to fill a form again."""
    values: dict[str, Any] = {f"matchers.{name}": matchers.get(name) for name in MATCHER_FIELDS}
    values["matchers.labels"] = "\n".join(f"{k}={v}" for k, v in (matchers.get("labels") or {}).items())
    return values


def local_time(form: dict[str, Any], name: str) -> str | None:
    """A `datetime-local` field in the browser's timezone, as RFC 3339. The page's script
    puts the browser's offset in `utcOffset` (minutes east of UTC); without it, UTC."""
    value = text(form, name)
    if value is None or value.endswith("Z") or "+" in value[10:] or "-" in value[10:]:
        return value
    try:
        offset = int(form.get("utcOffset") or 0)
    except ValueError:
        offset = 0
    sign = "+" if offset >= 0 else "-"
    hours, minutes = divmod(abs(offset), 60)
    seconds = ":00" if len(value) == 16 else ""
    return f"{value}{seconds}{sign}{hours:02d}:{minutes:02d}"


@dataclass(frozen=True)
class ConfigField:
    """One field of a channel type's config, as a form shows it."""

    name: str  # the JSON name, as the API takes it
    label: str
    kind: Literal["text", "url", "number", "password", "lines", "headers", "choice", "checkbox"]
    required: bool
    default: Any
    choices: tuple[str, ...] = ()

    @property
    def form_name(self) -> str:
        return f"config.{self.name}"

    @property
    def help(self) -> str:
        return {
            "lines": "One per line.",
            "headers": "One per line, as Name: value.",
            "password": "Shown masked once saved; sending the mask back keeps it.",
        }.get(self.kind, "")


def _label(name: str) -> str:
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).replace("url", "URL")
    return words[:1].upper() + words[1:]


def _unwrap(annotation: Any) -> Any:
    """`X | None` → X."""
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            return _unwrap(options[0])
    return annotation


def config_fields(model: type[BaseModel], secret_fields: frozenset[str]) -> list[ConfigField]:
    fields: list[ConfigField] = []
    for attribute, info in model.model_fields.items():
        name = info.alias or attribute
        annotation = _unwrap(typing.get_type_hints(model).get(attribute, info.annotation))
        origin = get_origin(annotation)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        choices: tuple[str, ...] = ()
        kind: Any
        if origin is Literal:
            kind, choices = "choice", tuple(str(a) for a in get_args(annotation))
        elif annotation is bool:
            kind = "checkbox"
        elif annotation is int:
            kind = "number"
        elif origin is list:
            kind = "lines"
        elif origin is dict:
            kind = "headers"
        elif name in secret_fields:
            kind = "password"
        elif name == "url" or name.endswith("Url"):
            kind = "url"
        else:
            kind = "text"
        fields.append(ConfigField(name, _label(name), kind, info.is_required(), default, choices))
    return fields


def config_of(form: dict[str, Any], fields: list[ConfigField]) -> dict[str, Any]:
    """The `config` object from a channel form; empty optional fields are left out."""
    config: dict[str, Any] = {}
    for spec in fields:
        raw = form.get(spec.form_name)
        if spec.kind == "checkbox":
            config[spec.name] = raw in ("on", "true", "1")
        elif spec.kind in ("lines", "headers") and (raw or "").strip() == MASK:
            # a masked secret sent back as shown: the service keeps the stored value
            config[spec.name] = MASK
        elif spec.kind == "lines":
            if lines(raw):
                config[spec.name] = lines(raw)
        elif spec.kind == "headers":
            if lines(raw):
                config[spec.name] = pairs(raw, ":")
        else:
            value = text(form, spec.form_name)
            if value is not None:
                config[spec.name] = value
    return config


def config_values(config: dict[str, Any], fields: list[ConfigField]) -> dict[str, Any]:
    """A stored (masked) config as form values."""
    values: dict[str, Any] = {}
    for spec in fields:
        value = config.get(spec.name, spec.default)
        if spec.kind == "lines" and not isinstance(value, str):
            value = "\n".join(value or [])
        elif spec.kind == "headers" and not isinstance(value, str):
            value = "\n".join(f"{k}: {v}" for k, v in (value or {}).items())
        values[spec.form_name] = value
    return values
