"""The HTTP shell every service shares: auth, health, readiness, metrics, errors and docs.

Every error answers RFC 9457 `application/problem+json` (`type`, `title`, `status`, `detail`,
and `errors` for validation), bad input is a 4xx, and an unexpected error is a 500 problem that
keeps the connection open (a 500 that closes a keep-alive connection would break the gateway's
next request). The OpenAPI document says so for every operation. `/docs` serves Swagger UI 5
from this package's own copy (`static/swagger-ui/`): it renders with no internet.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arcadia_core.auth import PLATFORM_ADMIN, TokenVerifier
from arcadia_core.context import correlation
from arcadia_core.metrics import instrument
from arcadia_core.settings import ArcadiaSettings

log = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

PROBLEM_JSON = "application/problem+json"
SWAGGER_ASSETS = "/static/swagger-ui"
RETRY_AFTER_SECONDS = 5


# --- problem details -------------------------------------------------------------------------


def problem_body(
    status: int, detail: str | None = None, *, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return body


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        # ensure_ascii: a lone surrogate echoed from input must never fail the error response
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode()


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemResponse:
    """An RFC 9457 problem response."""
    return ProblemResponse(problem_body(status, detail, errors=errors), status, headers=headers)


def _validation_errors(raw: Iterable[Any]) -> list[dict[str, Any]]:
    """Where and why, without echoing the input back (it may hold anything)."""
    errors = []
    for error in raw:
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        errors.append({"loc": loc, "msg": str(error.get("msg", "")), "type": error.get("type")})
    return errors


async def _http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    errors = exc.detail if isinstance(exc.detail, list) else None
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, detail, errors=errors, headers=headers)


async def _validation_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return problem(422, "the request is not valid", errors=_validation_errors(exc.errors()))


def _is_unavailable(exc: BaseException) -> bool:
    """A dependency (the database) that cannot be reached: 503, not a bug."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError):
        return True
    return isinstance(exc, ConnectionError | asyncio.TimeoutError)


def _is_refused_value(exc: BaseException) -> bool:
    """A value PostgreSQL cannot store (NUL in text or JSON, a lone surrogate, out of range):
    bad input that got past validation. SQLSTATE class 22 is "data exception"."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DataError | UnicodeEncodeError):
            return True
        sqlstate = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith("22"):
            return True
        if isinstance(current, sa_exc.StatementError) and current.orig is not None:
            current = current.orig
        else:
            current = current.__cause__
    return False


def unexpected_error_response(exc: BaseException) -> ProblemResponse:
    if _is_unavailable(exc):
        return problem(
            503,
            "a dependency is unavailable; retry later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if _is_refused_value(exc):
        return problem(400, "the database refused a value of this request")
    return problem(500, "unexpected error; it has been logged")


class ProblemMiddleware:
    """Turns an unhandled exception into a problem response *inside* the app.

    Starlette's outermost error middleware re-raises after answering, and uvicorn then closes the
    connection; a client that reuses it (the gateway's pool) gets its next request dropped. Here
    the exception stops: it is logged, answered, and the connection stays usable.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        held: Message | None = None  # an error's start, held until its body shows its shape
        body = b""

        async def tracking_send(message: Message) -> None:
            nonlocal started, held, body
            if message["type"] == "http.response.start":
                started = True
                if message["status"] >= 400 and _is_plain_json(message):
                    held = message
                    return
            if held is not None and message["type"] == "http.response.body":
                body += message.get("body", b"")
                if message.get("more_body", False):
                    return
                start, held = held, None
                await _send_as_problem(start, body, send)
                return
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = unexpected_error_response(exc)
            if response.status_code >= 500:
                log.exception("%s %s failed", scope.get("method"), scope.get("path"), exc_info=exc)
            await response(scope, receive, send)


class RequestIdMiddleware:
    """Reads `X-Request-Id` (or makes one), runs the request under it as the correlation id
    (`arcadia_core.context`: it reaches log lines, emitted events and enqueued jobs) and
    echoes it on the response. A request id that is not a UUID maps to a stable UUID."""

    HEADER = b"x-request-id"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == self.HEADER), None)
        with correlation(given, new_if_missing=True) as correlation_id:
            request_id = (given or str(correlation_id)).encode("latin-1")

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = [h for h in message.get("headers", []) if h[0] != self.HEADER]
                    message = {**message, "headers": [*headers, (self.HEADER, request_id)]}
                await send(message)

            await self.app(scope, receive, send_with_id)


def _is_plain_json(start: Message) -> bool:
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            return bool(value.split(b";")[0].strip().lower() == b"application/json")
    return False


async def _send_as_problem(start: Message, body: bytes, send: Send) -> None:
    """An error a handler answered as FastAPI's `{"detail": ...}`, sent as a problem instead:
    one error format for every service, whoever wrote the handler."""
    try:
        content = json.loads(body)
    except ValueError:
        content = None
    if isinstance(content, dict) and set(content) <= {"detail"}:
        detail = content.get("detail")
        problem_response = problem(
            start["status"],
            detail if isinstance(detail, str) else None,
            errors=detail if isinstance(detail, list) else None,
        )
        rendered = problem_response.body
        headers = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() not in {b"content-type", b"content-length"}
        ]
        headers += [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(rendered)).encode()),
        ]
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": rendered})
        return
    await send(start)
    await send({"type": "http.response.body", "body": body})


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_exception)
    app.add_middleware(ProblemMiddleware)


# --- OpenAPI: the errors each operation can answer -------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": ["string", "null"]},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
}

ERROR_DESCRIPTIONS = {
    400: "Bad request (a malformed cursor, header or path)",
    401: "Missing or invalid bearer token",
    403: "Platform admins only",
    404: "Not found (or not yours)",
    409: "Conflict with the current state",
    422: "Validation failed: `errors` says where and why",
    502: "The owning service answered badly",
    503: "A dependency is unavailable; see Retry-After",
    504: "The owning service did not answer in time",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For `responses=` on a route: problem responses with the given statuses."""
    return {
        status: {
            "description": ERROR_DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def add_problem_responses(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    """Document problem responses on an OpenAPI operation (replacing FastAPI's 422 shape)."""
    responses = operation.setdefault("responses", {})
    for status, response in problem_responses(*statuses).items():
        key = str(status)
        if key == "422" or key not in responses:
            responses[key] = response


def operation_errors(path: str, operation: dict[str, Any]) -> set[int]:
    """The errors an operation can answer, read from what its document declares: a bearer
    requirement (400 for a duplicated header, 401; 403 with the `platform_admin` scope), any
    input (404 for an id unknown or not yours, 422); every /api operation reads the database
    (400, 503)."""
    statuses: set[int] = set()
    requirements = operation.get("security") or []
    scopes = {
        scope for requirement in requirements for values in requirement.values() for scope in values
    }
    if requirements:
        statuses |= {400, 401}
    if PLATFORM_ADMIN in scopes:
        statuses.add(403)
    parameters = operation.get("parameters") or []
    if parameters or "requestBody" in operation:
        # any id it is given, in the path, the query or the body, may be unknown or not yours
        statuses |= {404, 422}
    if path.startswith("/api/"):
        statuses |= {400, 503}
    return statuses


def problem_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path, item in document.get("paths", {}).items():
            for operation in item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    add_problem_responses(operation, sorted(operation_errors(path, operation)))
        app.openapi_schema = document
        return document

    return openapi


# --- docs that work offline -----------------------------------------------------------------


# Swagger UI 5 (OpenAPI 3.1, which FastAPI writes), vendored: see static/swagger-ui/VENDORED.md
SWAGGER_UI = Path(__file__).parent / "static" / "swagger-ui"


def swagger_assets() -> StaticFiles:
    return StaticFiles(directory=str(SWAGGER_UI))


SWAGGER_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" type="text/css" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {openapi_url},
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
}});
</script>
</body>
</html>
"""


def swagger_page(openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI from this app's own copy of the assets: nothing on the page needs the
    internet (no CDN, no validator badge)."""
    return HTMLResponse(
        SWAGGER_PAGE.format(
            title=html.escape(title),
            assets=SWAGGER_ASSETS,
            openapi_url=json.dumps(openapi_url),
        )
    )


def mount_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """`/docs` (Swagger UI) with its assets served by this app, not by a CDN."""
    app.mount(SWAGGER_ASSETS, swagger_assets(), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return swagger_page(openapi_url, app.title)


# --- the shell ------------------------------------------------------------------------------


def ops_router(ready_checks: dict[str, ReadyCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: every dependency answers",
        responses={503: {"description": "Names the dependencies that are down"}},
    )
    async def readyz() -> Response:
        down: list[str] = []
        for name, check in ready_checks.items():
            try:
                await check()
            except Exception as exc:
                # the error text stays in the log: it may name hosts, users or databases
                log.warning("readiness: %s is down: %s: %s", name, type(exc).__name__, exc)
                down.append(name)
        checks = {name: ("down" if name in down else "ok") for name in sorted(ready_checks)}
        if down:
            return JSONResponse(
                {"status": "unavailable", "down": sorted(down), "checks": checks},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return JSONResponse({"status": "ready", "checks": checks})

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def service_app(
    *,
    title: str,
    description: str,
    settings: ArcadiaSettings,
    routers: list[APIRouter],
    ready_checks: dict[str, ReadyCheck],
    lifespan: Lifespan | None = None,
    state: dict[str, Any] | None = None,
    own_docs: bool = True,
) -> FastAPI:
    """`own_docs=False` leaves /openapi.json and /docs to the caller (the gateway merges them)."""
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json" if own_docs else None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.token_verifier = TokenVerifier(settings.jwt_secret, settings.jwt_audience)
    for key, value in (state or {}).items():
        setattr(app.state, key, value)
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    instrument(app)  # HTTP request metrics (arcadia_core.metrics)
    app.include_router(ops_router(ready_checks))
    for router in routers:
        app.include_router(router)
    if own_docs:
        app.openapi = problem_openapi(app)  # type: ignore[method-assign]
        mount_docs(app)
    return app
