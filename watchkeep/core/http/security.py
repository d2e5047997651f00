"""Security headers on every response: no content sniffing and no referrer on all of them;
on every HTML page (the docs now, the web UI later) a Content-Security-Policy that refuses
framing and anything not from this origin, unless the page brought a stricter one."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The policy of a page that sets none: its own origin only, no plugins, never framed.
DEFAULT_HTML_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_ALWAYS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in _ALWAYS if header[0] not in present)
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.split(b";")[0].strip().lower() == b"text/html":
                    if b"content-security-policy" not in present:
                        headers.append((b"content-security-policy", DEFAULT_HTML_POLICY.encode()))
                    if b"x-frame-options" not in present:
                        headers.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
