"""What an HTTP check expects: status codes (`2xx`, `200,201`, `200-299`, mixed) and JSON-path
conditions on the body.

The JSON-path subset: `$` then any of `.name`, `["name"]` and `[index]` (negative counts from
the end); then an operator and a value: `$.status == "ok"`, `$.items[0].count >= 3`,
`$.error != null`, `$.version contains "2."`, or just `$.ready exists`. The value is JSON
(`"text"`, `3`, `true`, `null`); a bare word is taken as text (`$.status == ok`). `==` and
`!=` compare a number with a number, anything else as equal JSON values; `<`, `<=`, `>`,
`>=` need numbers; `contains` looks for text in a string or an equal item in a list."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

StatusRanges = tuple[tuple[int, int], ...]

_MISSING = object()
_OPERATORS = ("==", "!=", ">=", "<=", ">", "<", "contains", "exists")
_CONDITION = re.compile(r"^\s*(\$\S*)\s*(==|!=|>=|<=|>|<|contains\b|exists\b)\s*(.*?)\s*$", re.S)
_STEP = re.compile(r'\.([A-Za-z_][\w-]*)|\[\s*(-?\d+)\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*\'([^\']*)\'\s*\]')


def parse_expected_status(text: str) -> StatusRanges:
    """`2xx,301` → ((200, 299), (301, 301)); ValueError with the reason on anything else."""
    ranges: list[tuple[int, int]] = []
    for raw in text.split(","):
        item = raw.strip().lower()
        if re.fullmatch(r"[1-5]xx", item):
            low = int(item[0]) * 100
            ranges.append((low, low + 99))
        elif re.fullmatch(r"\d{3}", item):
            ranges.append((int(item), int(item)))
        elif re.fullmatch(r"\d{3}\s*-\s*\d{3}", item):
            low, high = (int(part) for part in item.split("-"))
            if low > high:
                raise ValueError(f"the range {raw.strip()!r} ends before it starts")
            ranges.append((low, high))
        else:
            raise ValueError(f"{raw.strip()!r} is not a status code, a class like 2xx or a range like 200-299")
    for low, high in ranges:
        if low < 100 or high > 599:
            raise ValueError("status codes are between 100 and 599")
    return tuple(ranges)


def status_matches(status: int, ranges: StatusRanges) -> bool:
    return any(low <= status <= high for low, high in ranges)


@dataclass(frozen=True)
class JsonCondition:
    text: str
    path: tuple[str | int, ...]
    operator: str
    value: Any

    def holds(self, document: Any) -> tuple[bool, str]:
        """Whether the condition holds on `document`, and what was found (for the error)."""
        found = _walk(document, self.path)
        if self.operator == "exists":
            return found is not _MISSING, "nothing" if found is _MISSING else _shown(found)
        if found is _MISSING:
            return False, "nothing at that path"
        shown = _shown(found)
        if self.operator in ("==", "!="):
            equal = _equal(found, self.value)
            return (equal if self.operator == "==" else not equal), shown
        if self.operator == "contains":
            if isinstance(found, str) and isinstance(self.value, str):
                return self.value in found, shown
            if isinstance(found, list):
                return any(_equal(item, self.value) for item in found), shown
            return False, shown
        if not _is_number(found) or not _is_number(self.value):
            return False, shown
        left, right = float(found), float(self.value)
        result = {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[self.operator]
        return result, shown


def parse_condition(text: str) -> JsonCondition:
    match = _CONDITION.match(text)
    if match is None:
        raise ValueError('write a condition as `$.path OPERATOR value`, e.g. `$.status == "ok"`')
    path_text, operator, value_text = match.groups()
    operator = operator.strip()
    path = _parse_path(path_text)
    if operator == "exists":
        if value_text:
            raise ValueError("`exists` takes no value")
        return JsonCondition(text.strip(), path, operator, None)
    if not value_text:
        raise ValueError(f"`{operator}` needs a value")
    try:
        value = json.loads(value_text)
    except ValueError:
        value = value_text
    if operator in (">", ">=", "<", "<=") and not _is_number(value):
        raise ValueError(f"`{operator}` compares numbers; {value_text!r} is not one")
    return JsonCondition(text.strip(), path, operator, value)


def _parse_path(text: str) -> tuple[str | int, ...]:
    if not text.startswith("$"):
        raise ValueError("a path starts with $")
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise ValueError(f"cannot read the path from {text[position:]!r}")
        name, index, quoted, single = match.groups()
        if index is not None:
            steps.append(int(index))
        elif quoted is not None:
            steps.append(json.loads(f'"{quoted}"'))
        else:
            steps.append(name if name is not None else single)
        position = match.end()
    return tuple(steps)


def _walk(document: Any, path: tuple[str | int, ...]) -> Any:
    current = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return _MISSING
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                return _MISSING
            current = current[step]
    return current


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(found: Any, expected: Any) -> bool:
    if isinstance(found, bool) or isinstance(expected, bool):
        return isinstance(found, bool) and isinstance(expected, bool) and found == expected
    if _is_number(found) and _is_number(expected):
        return float(found) == float(expected)
    return bool(found == expected)


def _shown(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 80 else text[:77] + "..."
