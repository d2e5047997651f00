"""The interactive API docs (`/api/v1/docs`): Swagger UI from a CDN, pinned to one version
and loaded with Subresource Integrity, so a changed file on the CDN is refused by the
browser instead of run on the hub's origin. The page has no inline script (its start-up
script is served from here) and a Content-Security-Policy that allows only that CDN."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

SWAGGER_UI_VERSION = "5.35.0"
CDN = "https://cdn.jsdelivr.net"
_BASE = f"{CDN}/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}"
# sha384 of these files in the swagger-ui-dist package of exactly this version.
SCRIPT = (f"{_BASE}/swagger-ui-bundle.js", "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9")
STYLESHEET = (f"{_BASE}/swagger-ui.css", "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I")

DOCS_PATH = "/api/v1/docs"
INIT_PATH = "/api/v1/docs/swagger-init.js"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src 'self' {CDN}",
        f"style-src 'self' {CDN}",
        # Swagger UI draws its icons as data: images and fetches the document from this origin.
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


def _page(title: str, openapi_url: str) -> str:
    script_url, script_hash = SCRIPT
    style_url, style_hash = STYLESHEET
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{escape(title)} - API docs</title>
<link rel="stylesheet" href="{style_url}" integrity="{style_hash}" crossorigin="anonymous">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{script_url}" integrity="{script_hash}" crossorigin="anonymous"></script>
<script src="{INIT_PATH}"></script>
</body>
</html>
"""


# The page's start-up script, served from this origin so the page needs no inline script.
INIT_SCRIPT = """\
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def install_docs(app: FastAPI) -> None:
    """Serve the docs page and its start-up script (plain routes, outside the API schema)."""
    openapi_url = app.openapi_url or "/api/v1/openapi.json"

    async def docs_page(_: Request) -> Response:
        return HTMLResponse(_page(app.title, openapi_url), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    async def init_script(_: Request) -> Response:
        return Response(INIT_SCRIPT, media_type="text/javascript")

    app.add_route(DOCS_PATH, docs_page, methods=["GET"], include_in_schema=False)
    app.add_route(INIT_PATH, init_script, methods=["GET"], include_in_schema=False)
