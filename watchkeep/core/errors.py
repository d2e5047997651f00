"""One exception type for every failure a client should see, and its error codes.

The two renderers (the `/api/v1` envelope and the flat agent body) live in
`core/http/errors.py`; services only raise."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    READONLY_FIELD = "READONLY_FIELD"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN_SCOPE = "FORBIDDEN_SCOPE"
    FORBIDDEN_ROLE = "FORBIDDEN_ROLE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL = "INTERNAL"


STATUS_BY_CODE: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.READONLY_FIELD: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN_SCOPE: 403,
    ErrorCode.FORBIDDEN_ROLE: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class WatchkeepError(Exception):
    """A failure with a stable code, a message for people, and optionally the input field
    it concerns. `status` overrides the code's usual HTTP status where a contract says so
    (for example 422 for validation on `/agent/report`, 413 for an oversize body)."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.hint = hint
        self.status = status if status is not None else STATUS_BY_CODE[code]
        self.headers = headers or {}
        self.extra = extra or {}


def validation_error(
    message: str, field: str | None = None, *, hint: str | None = None, status: int | None = None
) -> WatchkeepError:
    return WatchkeepError(ErrorCode.VALIDATION_ERROR, message, field=field, hint=hint, status=status)


def not_found(what: str, ident: str | int | None = None) -> WatchkeepError:
    message = f"{what} not found" if ident is None else f"{what} {ident!s} not found"
    return WatchkeepError(ErrorCode.NOT_FOUND, message)


def conflict(message: str, field: str | None = None) -> WatchkeepError:
    return WatchkeepError(ErrorCode.CONFLICT, message, field=field)


def readonly_field(field: str, hint: str | None = None) -> WatchkeepError:
    return WatchkeepError(
        ErrorCode.READONLY_FIELD,
        f'Field "{field}" is read-only and cannot be set.',
        field=field,
        hint=hint,
    )


def unauthorized(message: str = "Authentication required", hint: str | None = None) -> WatchkeepError:
    return WatchkeepError(ErrorCode.UNAUTHORIZED, message, hint=hint)


def rate_limited(retry_after: int, message: str = "Too many requests") -> WatchkeepError:
    seconds = max(1, retry_after)
    return WatchkeepError(
        ErrorCode.RATE_LIMITED,
        message,
        hint=f"Retry after {seconds} seconds.",
        headers={"Retry-After": str(seconds)},
    )


def service_unavailable(message: str, retry_after: int | None = None) -> WatchkeepError:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return WatchkeepError(ErrorCode.SERVICE_UNAVAILABLE, message, headers=headers)
