"""Forms post the API's fields under the API's JSON names; a rejected form is shown again
with each error next to its field, in the API's own words."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from fastapi import Request
from pydantic import BaseModel, ValidationError

from watchkeep.core.errors import WatchkeepError
from watchkeep.core.http.errors import from_validation_errors

Model = TypeVar("Model", bound=BaseModel)


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def errors_of(error: WatchkeepError) -> dict[str, str]:
    """Field name (or "" for the form as a whole) → message."""
    listed = error.extra.get("errors") if error.extra else None
    items = cast("list[dict[str, Any]]", listed) if isinstance(listed, list) else []
    found: dict[str, str] = {}
    for item in items or [{"field": error.field, "message": error.message}]:
        found.setdefault(item.get("field") or "", str(item["message"]))
    return found


def validated(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormInvalid(errors_of(from_validation_errors(exc.errors()))) from None
    except WatchkeepError as exc:
        raise FormInvalid(errors_of(exc)) from None


async def form_data(request: Request) -> dict[str, Any]:
    """A posted form's text fields."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def text(form: dict[str, Any], name: str) -> str | None:
    """A text field, None when left empty."""
    value = form.get(name)
    if value is None:
        return None
    stripped = str(value).strip()
    return stripped or None
