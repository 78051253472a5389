"""Signing in and out of the web app, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.http.problems import ApiError
from api.http.security import (
    client_address,
    principal_for,
)
from api.http.web.base import (
    Board,
    admissions_of,
    check_csrf,
    home_of,
    is_secure,
    log,
    page,
    safe_next,
    sealer_of,
    words_for,
)
from api.http.web.i18n import VI
from api.http.web.session import (
    COOKIE,
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    new_session,
    same,
    set_cookie,
)

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def start(request: Request, principal: Board) -> Response:
    return RedirectResponse(home_of(principal), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/ui/", reason: str = "") -> Response:
    nonce = __import__("secrets").token_urlsafe(24)
    response = page(request, "login.html", login_csrf=nonce, next=safe_next(next), reason=reason)
    set_cookie(response, LOGIN_COOKIE, nonce, 600, secure=is_secure(request))
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    t = words_for(request)
    if not same(csrf, request.cookies.get(LOGIN_COOKIE)):
        return _login_again(request, next, t("bad_form"), 403)
    settings = request.app.state.settings
    try:
        principal = principal_for(
            token.strip(),
            client_address(request),
            settings,
            admissions_of(request),
            request.app.state.auth_limit,
        )
    except ApiError as exc:
        message = exc.detail
        if t.language == VI:
            message = {401: "Mã truy cập không đúng, đã bị thu hồi hoặc đã hết hạn."}.get(
                exc.status, "Đăng nhập sai quá nhiều lần: thử lại sau ít phút."
            )
        response = _login_again(request, next, message, exc.status)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
    log.info("web.signed_in", actor=principal.name, role=principal.role.value)
    session = new_session(token.strip(), settings.session_hours)
    redirect = RedirectResponse(safe_next(next), status_code=303)
    max_age = settings.session_hours * 3600
    set_cookie(
        redirect, COOKIE, sealer_of(request).seal(session), max_age, secure=is_secure(request)
    )
    redirect.delete_cookie(LOGIN_COOKIE, path="/ui")
    return redirect


def _login_again(request: Request, next: str, error: str, status: int) -> HTMLResponse:
    nonce = __import__("secrets").token_urlsafe(24)
    response = page(
        request, "login.html", status, login_csrf=nonce, next=safe_next(next), error=error
    )
    set_cookie(response, LOGIN_COOKIE, nonce, 600, secure=is_secure(request))
    return response


@router.post("/logout")
def logout(
    request: Request, principal: Board, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("/language/{language}")
def switch_language(language: str, next: str = "/ui/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in ("vi", "en"):
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/ui", samesite="strict"
        )
    return response
