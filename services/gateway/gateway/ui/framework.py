"""What every dashboard page is built from: the route class that turns sign-in, permission and
input failures into pages, the `Viewer` a page handler receives (who is signed in, the API as
they see it, rendering, CSRF-checked forms, redirects with a flash message), and the templates.

A page module defines `router = page_router()` and handlers such as

    @router.get("/ui/things")
    async def things(viewer: AdminViewer) -> Response:
        result = await viewer.api.get("/api/v1/things")
        viewer.require(result)          # 403/404 from the API become the 403/404 pages
        return viewer.render("things.html", items=result.items)

    @router.post("/ui/things/{id}/poke")
    async def poke(viewer: AdminViewer, id: str) -> Response:
        await viewer.form()             # refuses (403) without the right CSRF token
        result = await viewer.api.post(f"/api/v1/things/{id}/poke")
        return viewer.redirect(f"/ui/things", flash="Poked." if result.ok else result.detail)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from gateway.ui import formatting
from gateway.ui.backend import ApiResult, Backend
from gateway.ui.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    Keys,
    NotSignedIn,
    SignedIn,
    clear_session,
    drop_flash,
    read_flash,
    set_flash,
    signed_in_from,
)

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SIGN_IN = "/ui/sign-in"


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str
    admin_only: bool


NAV = (
    NavItem("Overview", "/ui/overview", True),
    NavItem("Provider bills", "/ui/billing", True),
    NavItem("Invoices", "/ui/invoices", False),
    NavItem("Usage", "/ui/usage", False),
    NavItem("Inventory", "/ui/inventory", False),
    NavItem("Projects", "/ui/projects", True),
    NavItem("Drift", "/ui/drift", True),
    NavItem("Runs", "/ui/runs", True),
)


def nav_for(admin: bool) -> list[NavItem]:
    return [item for item in NAV if admin or not item.admin_only]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = formatting.money
    env.filters["quantity"] = formatting.quantity
    env.filters["percent"] = formatting.percent
    env.filters["ratio_percent"] = formatting.ratio_percent
    env.filters["when"] = formatting.when
    env.filters["short_id"] = formatting.short_id
    env.globals["cents"] = formatting.cents
    return env


TEMPLATE_ENV = _environment()


class PageError(Exception):
    """A page that cannot be shown: rendered as the error page with this status."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.title)
        self.message = message or self.title


class PageForbidden(PageError):
    status = 403
    title = "Not allowed"


class PageNotFound(PageError):
    status = 404
    title = "Not found"


class BadInput(PageError):
    status = 400
    title = "Bad request"


def keys_of(request: Request) -> Keys:
    keys: Keys = request.app.state.ui_keys
    return keys


def render_page(
    request: Request,
    template: str,
    *,
    signed_in: SignedIn | None,
    status_code: int = 200,
    flash: str | None = None,
    **context: Any,
) -> HTMLResponse:
    shown_flash = read_flash(request, keys_of(request))
    body = TEMPLATE_ENV.get_template(template).render(
        request=request,
        path=request.url.path,
        me=signed_in,
        is_admin=bool(signed_in and signed_in.is_admin),
        csrf=signed_in.csrf if signed_in else "",
        nav=nav_for(signed_in.is_admin) if signed_in else [],
        flash=flash or shown_flash,
        status_code=status_code,
        **context,
    )
    response = HTMLResponse(body, status_code=status_code)
    drop_flash(request, response)
    return response


def error_page(request: Request, error: PageError) -> HTMLResponse:
    try:
        signed_in: SignedIn | None = signed_in_from(request, keys_of(request))
    except NotSignedIn:
        signed_in = None
    return render_page(
        request,
        "error.html",
        signed_in=signed_in,
        status_code=error.status,
        title=error.title,
        message=error.message,
    )


def sign_in_redirect(request: Request, expired: bool) -> Response:
    response = RedirectResponse(SIGN_IN + ("?expired=1" if expired else ""), status_code=303)
    if expired:
        clear_session(response, request)
    return response


class UiRoute(APIRoute):
    """Every dashboard route answers a page: not signed in → the sign-in page; a refusal → the
    403/404/400 page; input FastAPI cannot parse → the 400 page (never a JSON problem)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except NotSignedIn as exc:
                return sign_in_redirect(request, exc.expired)
            except PageError as exc:
                return error_page(request, exc)
            except RequestValidationError:
                return error_page(request, BadInput("Some of the input is not valid."))
            except Exception:
                # a page, not a JSON problem, for the person looking at it; the cause is logged
                log.exception("%s %s failed", request.method, request.url.path)
                failed = PageError("Something went wrong showing this page; it has been logged.")
                failed.status, failed.title = 500, "Something went wrong"
                return error_page(request, failed)

        return page


def page_router() -> APIRouter:
    return APIRouter(route_class=UiRoute, include_in_schema=False)


@dataclass
class Viewer:
    """The signed-in user of one page request, with the API as they see it."""

    request: Request
    me: SignedIn
    api: Backend = field(init=False)

    def __post_init__(self) -> None:
        self.api = Backend(self.request, self.me.token)

    @property
    def is_admin(self) -> bool:
        return self.me.is_admin

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render_page(
            self.request, template, signed_in=self.me, status_code=status_code, **context
        )

    def require(self, result: ApiResult, what: str = "That") -> ApiResult:
        """The result if it succeeded; the API's 403/404 as the dashboard's 403/404 pages,
        other failures as a 400 page (bad input) or an error page naming the API's answer."""
        if result.ok:
            return result
        if result.status == 404:
            raise PageNotFound(f"{what} was not found.")
        if result.status == 403:
            raise PageForbidden("This page is for platform admins.")
        if result.status in (400, 409, 422):
            raise BadInput(result.detail)
        error = PageError(result.detail)
        error.status = 502 if result.status >= 500 else result.status
        error.title = "The API could not answer"
        raise error

    async def form(self) -> FormData:
        """The posted form, once its CSRF token (field `csrf` or header `X-CSRF-Token`) is
        this session's; otherwise 403."""
        form = await self.request.form()
        sent = form.get(CSRF_FIELD)
        token = sent if isinstance(sent, str) else self.request.headers.get(CSRF_HEADER)
        if not keys_of(self.request).csrf_ok(self.me.token, token):
            raise PageForbidden("The form was stale or not sent from this dashboard; reload it.")
        return form

    def redirect(self, url: str, *, flash: str | None = None) -> Response:
        if not url.startswith("/ui"):
            url = "/ui/"  # only ever back into the dashboard
        response = RedirectResponse(url, status_code=303)
        if flash:
            set_flash(response, self.request, keys_of(self.request), flash)
        return response


async def viewer(request: Request) -> Viewer:
    return Viewer(request, signed_in_from(request, keys_of(request)))


async def admin_viewer(request: Request) -> Viewer:
    seen = await viewer(request)
    if not seen.is_admin:
        raise PageForbidden("This page is for platform admins.")
    return seen


AnyViewer = Annotated[Viewer, Depends(viewer)]
AdminViewer = Annotated[Viewer, Depends(admin_viewer)]


def url_with(path: str, **params: str | int | None) -> str:
    """`path` with the query parameters that have a value."""
    query = "&".join(
        f"{k}={quote(str(v), safe='')}" for k, v in params.items() if v not in (None, "")
    )
    return f"{path}?{query}" if query else path
