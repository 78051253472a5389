"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from vendored assets, and ``/static``.

FastAPI's own pages load their scripts from a CDN and render blank on a network without
internet; these load ``/static/vendor/...`` (api/http/static/vendor/README.md says what
is there and from which package), and ReDoc without Google Fonts.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
VENDOR = "/static/vendor"
# The pages may load from this server only. Both bootstrap with an inline script and style
# themselves inline; Swagger UI draws icons from data: URLs, ReDoc searches in a blob:
# worker. The policy also stops the one request ReDoc's bundle makes elsewhere: its
# "API docs by Redocly" logo from cdn.redoc.ly (the link stays, without the image).
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; base-uri 'self'; form-action 'self'"
)


def _local_page(page: HTMLResponse) -> HTMLResponse:
    """FastAPI's documentation page with its language named (the API's text is English)
    and the policy that keeps it on this server."""
    html = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_POLICY})


def install(app: FastAPI) -> None:
    """Serve ``/static`` and the two documentation pages (FastAPI's own switched off)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    title = f"{app.title} — API"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
            # The validator badge would call validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
        return _local_page(page)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )
        return _local_page(page)
