"""The board's web app under ``/ui`` (the pages in ``signin``, ``units``, ``candidacy``,
``audit`` and ``imports``, what they share in ``base``), its vendored assets under
``/ui/static``, and ``/`` sending a browser to it.

Errors on a page are pages too: the API's exception handlers answer problem+json; for a
path under ``/ui`` they answer an HTML page in the reader's language instead (403 outside
the subtree, 404, a store that does not answer), and a missing or ended session goes to the
sign-in page."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.audit.refusals import refusal_detail
from api.http.problems import STORE_ERRORS, ApiError, domain_status
from api.http.web import audit, candidacy, downloads, imports, reminders, signin, units
from api.http.web.base import SignInNeeded, page, words_for
from api.http.web.session import Sealer
from domain.errors import DomainError

STATIC = Path(__file__).parent / "static"
log = structlog.get_logger("ketnap.web")


def install(app: FastAPI) -> None:
    app.state.web_sealer = Sealer.from_settings(app.state.settings)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    for pages in (signin, downloads, units, candidacy, audit, imports, reminders):
        app.include_router(pages.router)

    @app.get("/", include_in_schema=False)
    async def _root() -> Response:
        return RedirectResponse("/ui/", status_code=307)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(_: Request, exc: SignInNeeded) -> Response:
        target = f"/ui/login?next={quote(exc.next_path, safe='')}"
        if exc.reason:
            target += f"&reason={exc.reason}"
        return RedirectResponse(target, status_code=303)

    _wrap_for_pages(app, ApiError, _api_page)
    _wrap_for_pages(app, DomainError, _domain_page)
    for kind in STORE_ERRORS:
        _wrap_for_pages(app, kind, _store_page)
    _wrap_for_pages(app, Exception, _unexpected_page)


def _wrap_for_pages(app: FastAPI, kind: type[Exception], render: Any) -> None:
    """Answer ``kind`` with ``render`` on the web app's paths, as before elsewhere."""
    api_handler = app.exception_handlers[kind]

    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/ui/"):
            response: Response = render(request, exc)
            return response
        result = api_handler(request, exc)
        answer: Response = await result if inspect.isawaitable(result) else result
        return answer

    app.add_exception_handler(kind, handler)


def _api_page(request: Request, exc: ApiError) -> Response:
    t = words_for(request)
    title = {403: t("forbidden"), 404: t("not_found")}.get(exc.status, t("error"))
    detail = exc.detail if t.language == "en" else _vi_detail(exc)
    response = page(request, "error.html", exc.status, title=title, detail=detail)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _vi_detail(exc: ApiError) -> str:
    return {
        "forbidden_scope": "Đơn vị này nằm ngoài phạm vi được giao cho mã truy cập của bạn.",
        "forbidden_role": "Vai trò của bạn không được làm việc này.",
        "csrf": "Biểu mẫu đã hết hạn hoặc không hợp lệ: tải lại trang rồi thử lại.",
        "too_many_failed_authentications": "Đăng nhập sai quá nhiều lần: thử lại sau ít phút.",
    }.get(exc.rule or "", exc.detail)


def _domain_page(request: Request, exc: DomainError) -> Response:
    t = words_for(request)
    status, _ = domain_status(exc)
    title = t("not_found") if status == 404 else t("refused")
    return page(request, "error.html", status, title=title, detail=refusal_detail(exc, t.language))


def _store_page(request: Request, exc: Exception) -> Response:
    t = words_for(request)
    response = page(request, "error.html", 503, title=t("error"), detail=t("unavailable"))
    response.headers["Retry-After"] = "2"
    return response


def _unexpected_page(request: Request, exc: Exception) -> Response:
    log.error("web.unhandled_error", route=request.url.path, exc_info=exc)
    t = words_for(request)
    detail = (
        "Có lỗi ngoài dự kiến; lỗi đã được ghi lại để xử lý."
        if t.language == "vi"
        else "An unexpected error occurred; it was logged."
    )
    return page(request, "error.html", 500, title=t("error"), detail=detail)
