"""The OpenAPI document, with the error envelope of its route family on every operation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from watchkeep import __version__
from watchkeep.core.errors import ErrorCode
from watchkeep.core.http.errors import is_flat_family

_FIELDS: dict[str, Any] = {
    "code": {"type": "string", "enum": [c.value for c in ErrorCode]},
    "message": {"type": "string"},
    "field": {"type": ["string", "null"]},
    "hint": {"type": ["string", "null"]},
    "requestId": {"type": "string"},
}

SCHEMAS: dict[str, Any] = {
    "ErrorEnvelope": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    **_FIELDS,
                    "code": {"type": "string", "enum": [c.value.lower() for c in ErrorCode]},
                },
            }
        },
    },
    "FlatError": {"type": "object", "required": ["code", "message"], "properties": _FIELDS},
}

_STATUSES = {
    "400": "Invalid input; `field` names it",
    "401": "Missing or invalid credentials",
    "403": "The caller lacks the scope or role",
    "404": "Not found",
    "409": "Conflict with the current state",
    "413": "Request body too large",
    "422": "Idempotency key reused with another body",
    "429": "Rate limited; see Retry-After",
    "500": "Internal error",
    "503": "Service unavailable",
}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title="watchkeep",
            version=__version__,
            description="Self-hosted monitoring hub. Every error comes in the envelope of its route family.",
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(SCHEMAS)
        for path, operations in schema.get("paths", {}).items():
            ref = "#/components/schemas/" + ("FlatError" if is_flat_family(path) else "ErrorEnvelope")
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)  # the framework's own validation body is never sent
                for status, description in _STATUSES.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": {"$ref": ref}}},
                        },
                    )
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
