"""The OpenAPI document: every route, the error envelope of its route family on every
operation, and the security each operation asks for.

Routes the framework cannot describe on its own — the plain routes kept outside the router
for speed, and routes that decode their body with msgspec — carry a `documented(...)` mark on
their endpoint; the document takes their summary, request body and security from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import Route

from watchkeep import __version__
from watchkeep.core.auth.cookies import SESSION_COOKIE
from watchkeep.core.auth.deps import CSRF_HEADER, authenticate
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

# Who may call: the names below are what `security` requirements refer to.
API_KEY = "apiKey"
BEARER = "bearerKey"
SESSION = "session"
AGENT_TOKEN = "agentToken"
SECURITY_SCHEMES: dict[str, Any] = {
    API_KEY: {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key"},
    BEARER: {"type": "http", "scheme": "bearer", "description": "An API key sent as `Authorization: Bearer`"},
    SESSION: {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": f"The session cookie set by login; writes also send the CSRF token in `{CSRF_HEADER}`",
    },
    AGENT_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "agent token",
        "description": "The token an agent got from registration or its agent key",
    },
}
USER_OR_KEY: tuple[str, ...] = (API_KEY, BEARER, SESSION)
PUBLIC: tuple[str, ...] = ()

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

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True)
class Documented:
    """What the document says of a route the framework cannot fully describe."""

    summary: str = ""
    tags: tuple[str, ...] = ()
    # The msgspec type the route decodes its JSON body into.
    body: Any = None
    # A body that is not JSON: its media type and a description (a ping's text, say).
    raw_body: tuple[str, str] | None = None
    # The schemes any one of which lets the caller in; None: derived from the route's dependencies.
    security: tuple[str, ...] | None = None
    # Path parameters of a plain route: name → JSON schema.
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Answers of a plain route: status → (description, media type, msgspec type or None).
    responses: dict[str, tuple[str, str, Any]] = field(default_factory=dict)
    # A plain route's answers are all listed in `responses` (no JSON error envelope).
    own_errors: bool = False


def documented(**details: Any) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint with what the OpenAPI document says of it (see `Documented`)."""
    described = Documented(**details)

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.__openapi__ = described  # type: ignore[attr-defined]
        return endpoint

    return mark


def every_route(app: FastAPI) -> list[RouteContext]:
    """Every route the app serves, those of included routers too, in the order tried."""
    return list(iter_route_contexts(app.routes))


def _described(route: RouteContext) -> Documented | None:
    return getattr(route.endpoint, "__openapi__", None)


class _Schemas:
    """JSON schemas of msgspec types, their shared parts gathered as components."""

    def __init__(self) -> None:
        self.types: list[Any] = []

    def ref(self, kind: Any) -> dict[str, Any]:
        self.types.append(kind)
        (schema,), _ = msgspec.json.schema_components([kind], ref_template="#/components/schemas/{name}")
        return schema

    def components(self) -> dict[str, Any]:
        _, components = msgspec.json.schema_components(self.types, ref_template="#/components/schemas/{name}")
        return components


def _json_body(schemas: _Schemas, kind: Any) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schemas.ref(kind)}}}


def _requests_authentication(dependant: Dependant) -> bool:
    return any(dep.call is authenticate or _requests_authentication(dep) for dep in dependant.dependencies)


def _security(names: Iterable[str]) -> list[dict[str, list[str]]]:
    return [{name: []} for name in names]


def _plain_operation(route: RouteContext, described: Documented, method: str, schemas: _Schemas) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": described.summary,
        "operationId": f"{route.name}_{method}",
        "tags": list(described.tags),
    }
    if described.parameters:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": schema}
            for name, schema in described.parameters.items()
        ]
    if method in ("post", "put", "patch"):
        if described.body is not None:
            operation["requestBody"] = _json_body(schemas, described.body)
        elif described.raw_body is not None:
            media_type, description = described.raw_body
            operation["requestBody"] = {
                "required": False,
                "description": description,
                "content": {media_type: {"schema": {"type": "string"}}},
            }
    responses: dict[str, Any] = {}
    for status, (description, media_type, kind) in described.responses.items():
        schema = schemas.ref(kind) if kind is not None else {"type": "string"}
        responses[status] = {"description": description, "content": {media_type: {"schema": schema}}}
    operation["responses"] = responses
    return operation


def build_document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title="watchkeep",
        version=__version__,
        description="Self-hosted monitoring hub. Every error comes in the envelope of its route family.",
        routes=app.routes,
    )
    schemas = _Schemas()
    paths: dict[str, Any] = schema.setdefault("paths", {})
    own_errors: set[tuple[str, str]] = set()
    for route in every_route(app):
        described = _described(route)
        if isinstance(route.original_route, APIRoute):
            for method in route.methods or ():
                operation = paths.get(route.path_format or "", {}).get(method.lower())
                if operation is None:
                    continue
                if described is not None and described.body is not None:
                    operation["requestBody"] = _json_body(schemas, described.body)
                if described is not None and described.security is not None:
                    names = described.security
                else:
                    names = USER_OR_KEY if _requests_authentication(route.dependant) else PUBLIC
                operation["security"] = _security(names)
        elif isinstance(route.original_route, Route) and described is not None and route.path:
            for method in sorted(route.methods or ()):
                operation = _plain_operation(route, described, method.lower(), schemas)
                operation["security"] = _security(described.security or PUBLIC)
                paths.setdefault(route.path, {})[method.lower()] = operation
                if described.own_errors:
                    own_errors.add((route.path, method.lower()))
    components = schema.setdefault("components", {})
    named = components.setdefault("schemas", {})
    for name, component in schemas.components().items():
        if name in named and named[name] != component:
            raise ValueError(f"two schemas are named {name!r} in the OpenAPI document")
        named[name] = component
    named.update(SCHEMAS)
    named.pop("HTTPValidationError", None)
    named.pop("ValidationError", None)
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in paths.items():
        ref = "#/components/schemas/" + ("FlatError" if is_flat_family(path) else "ErrorEnvelope")
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # the framework's own validation body is never sent
            if (path, method) in own_errors:
                continue
            for status, description in _STATUSES.items():
                responses.setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}},
                )
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
