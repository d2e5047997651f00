"""The YAML file itself: reading it with the line of every value, writing it in one fixed
form, and `${VAR}` references resolved from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

VERSION = 1
Path = tuple[str | int, ...]
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigFileError(Exception):
    """What is wrong with a configuration file, for a person: names the line where known."""


class Document:
    """The parsed file and the line (1-based) each value starts on."""

    def __init__(self, data: Any, lines: dict[Path, int]) -> None:
        self.data = data
        self.lines = lines

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of the deepest value above it that the file holds."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, path: Path, message: str) -> ConfigFileError:
        line = self.line_of(path)
        where = f"line {line}: " if line is not None else ""
        return ConfigFileError(f"{where}{dotted(path)}: {message}")


def dotted(path: Path) -> str:
    """`heartbeats[2].periodSeconds`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _lines(node: yaml.Node, path: Path, into: dict[Path, int]) -> None:
    into[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _lines(value, (*path, key.value), into)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), into)


def parse(text: str) -> Document:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ConfigFileError(f"{where}invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"invalid YAML: {exc}") from None
    lines: dict[Path, int] = {}
    if node is not None:
        _lines(node, (), lines)
    document = Document(data, lines)
    if not isinstance(data, dict):
        raise document.error((), "the file must be a mapping with `version: 1` and one list per section")
    if data.get("version") != VERSION:
        raise document.error(("version",), f"must be {VERSION}")
    return document


def resolved(value: Any, path: Path, document: Document, environ: Mapping[str, str]) -> Any:
    """`value` with every `${VAR}` in its strings replaced by the variable's value."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise document.error(path, f"the environment variable {name} is not set")
            return environ[name]

        return _REFERENCE.sub(replace, value)
    if isinstance(value, dict):
        return {key: resolved(item, (*path, key), document, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [resolved(item, (*path, index), document, environ) for index, item in enumerate(value)]
    return value


def reference(*parts: str) -> str:
    """The variable a secret is exported as: `WATCHKEEP_CHANNEL_OPS_PAGER_TOKEN`."""
    name = "_".join(re.sub(r"[^A-Za-z0-9]+", "_", part).strip("_").upper() for part in ("watchkeep", *parts))
    return name


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000)
