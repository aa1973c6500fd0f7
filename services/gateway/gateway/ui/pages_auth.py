"""Signing in and out, the demo's one-click sign-in, the dashboard's front door and its 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import RedirectResponse

from arcadia_core.auth import InvalidToken
from gateway.ui.framework import (
    AnyViewer,
    PageNotFound,
    keys_of,
    page_router,
    render_page,
)
from gateway.ui.session import (
    NotSignedIn,
    clear_session,
    set_session,
    signed_in_from,
)

router = page_router()
MAX_TOKEN = 8192


def _home(admin: bool) -> str:
    return "/ui/overview" if admin else "/ui/invoices"


@router.get("/ui")
async def bare() -> Response:
    return RedirectResponse("/ui/", status_code=303)


@router.get("/ui/")
async def front_door(request: Request) -> Response:
    try:
        me = signed_in_from(request, keys_of(request))
    except NotSignedIn as exc:
        target = "/ui/sign-in?expired=1" if exc.expired else "/ui/sign-in"
        response = RedirectResponse(target, status_code=303)
        if exc.expired:
            clear_session(response, request)
        return response
    return RedirectResponse(_home(me.is_admin), status_code=303)


def _sign_in_form(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    notice = None
    if request.query_params.get("expired") == "1":
        notice = "Your session has ended; sign in again."
    return render_page(
        request,
        "sign_in.html",
        signed_in=None,
        status_code=status,
        error=error,
        notice=notice,
        demo=sorted(request.app.state.ui_demo_tokens or {}),
    )


@router.get("/ui/sign-in")
async def sign_in_page(request: Request) -> Response:
    return _sign_in_form(request)


def _same_origin(request: Request) -> bool:
    """A browser says where a form came from; one from another site is refused. A client
    that sends no Origin (not a browser) is let through: it needs the token anyway."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


@router.post("/ui/sign-in")
async def sign_in(
    request: Request, token: Annotated[str, Form(max_length=MAX_TOKEN)] = ""
) -> Response:
    if not _same_origin(request):
        return _sign_in_form(request, error="Sign in from this dashboard's own page.", status=403)
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[len("bearer ") :].strip()
    try:
        keys_of(request).principal(token)
    except InvalidToken:
        return _sign_in_form(request, error="That token is not valid or has expired.", status=401)
    response = RedirectResponse("/ui/", status_code=303)
    set_session(response, request, token)
    return response


@router.post("/ui/sign-out")
async def sign_out(viewer: AnyViewer) -> Response:
    await viewer.form()
    response = RedirectResponse("/ui/sign-in", status_code=303)
    clear_session(response, viewer.request)
    return response


@router.get("/ui/demo/sign-in/{role}")
async def demo_sign_in(request: Request, role: str) -> Response:
    tokens: dict[str, str] = request.app.state.ui_demo_tokens or {}
    token = tokens.get(role)
    if token is None:
        raise PageNotFound("There is no such page.")
    response = RedirectResponse("/ui/", status_code=303)
    set_session(response, request, token)
    return response


not_found_router = page_router()


@not_found_router.api_route("/ui/{rest:path}", methods=["GET", "POST", "HEAD"])
async def not_found(rest: str) -> Response:
    raise PageNotFound("There is no such page.")
