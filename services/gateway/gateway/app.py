"""The gateway: one scoped REST API in front of every service. It owns no data.

It authenticates each request (an invalid token never reaches a service), checks and normalizes
the path, then forwards it with the caller's token to the owning service, which applies the
tenant scope itself. The routing table comes from the service registry (path prefix under
/api/v1 → service name); this package never imports the registry itself.

Errors are RFC 9457 problems like every service's: a service that cannot be reached answers 503
with `Retry-After`, one that does not answer in time 504, one that answers badly 502. A pooled
connection the upstream closed is retried once on a fresh one, so one failed request never
poisons the next.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arcadia_core.auth import current_principal
from arcadia_core.http import (
    RETRY_AFTER_SECONDS,
    mount_docs,
    problem,
    service_app,
)
from arcadia_core.settings import ArcadiaSettings
from gateway.openapi import merged_asyncapi_index, merged_openapi, own_openapi
from gateway.reports.api import api_sources, reports_router
from gateway.reports.exports_api import exports_router
from gateway.routes import UnsafePath, encoded, normalized_path, service_for
from gateway.ui import mount_ui

log = logging.getLogger(__name__)

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}
REQUEST_ID = "x-request-id"
_REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# methods safe to send again when a pooled connection turns out to be closed
IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


def upstream_clients(
    settings: ArcadiaSettings,
    services: Iterable[str],
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> dict[str, httpx.AsyncClient]:
    """A client per service: in-process transports when given, else ARCADIA_<SERVICE>_URL."""
    clients: dict[str, httpx.AsyncClient] = {}
    for name in sorted(set(services)):
        transport = (transports or {}).get(name)
        if transport is not None:
            clients[name] = httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
            continue
        url = settings.service_url(name)
        if not url:
            raise RuntimeError(f"the gateway needs ARCADIA_{name.upper().replace('-', '_')}_URL")
        clients[name] = httpx.AsyncClient(
            base_url=url,
            timeout=httpx.Timeout(60.0, connect=5.0),
            transport=httpx.AsyncHTTPTransport(retries=1),
        )
    return clients


def request_id(sent: str) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new one."""
    return sent if _REQUEST_ID_SHAPE.match(sent) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Every request carries exactly one sane X-Request-Id from here on (the caller's, or a new
    one written into the request itself, so every layer and every service sees the same), and
    every response carries it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = REQUEST_ID.encode()
        sent = [v for k, v in scope["headers"] if k.lower() == raw]
        rid = request_id(sent[0].decode("latin-1") if len(sent) == 1 else "")
        value = rid.encode()
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != raw] + [
            (raw, value)
        ]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != raw]
                message = {**message, "headers": [*headers, (raw, value)]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def _location(value: str, upstream: httpx.URL) -> str | None:
    """A redirect target as the caller may see it: never the upstream's own address."""
    try:
        target = upstream.join(value)
    except httpx.InvalidURL:
        return None
    if (target.scheme, target.host, target.port) != (upstream.scheme, upstream.host, upstream.port):
        return value  # somewhere else entirely: nothing internal in it
    path = target.raw_path.decode("ascii", "replace")
    prefix = upstream.raw_path.decode("ascii", "replace").rstrip("/")
    if prefix and path.startswith(prefix):
        path = path[len(prefix) :] or "/"
    return path


RUN_LOG_PREFIX = "/api/v1/runs/"


def run_log_services(routes: dict[str, str]) -> list[str]:
    """The services whose run log the routing table forwards (`/api/v1/runs/<service>`), in the
    table's order."""
    return [
        service
        for prefix, service in routes.items()
        if prefix.startswith(RUN_LOG_PREFIX) and prefix[len(RUN_LOG_PREFIX) :] == service
    ]


def create_app(
    settings: ArcadiaSettings,
    upstreams: dict[str, httpx.AsyncClient],
    routes: dict[str, str],
    demo_tokens: Mapping[str, str] | None = None,
) -> FastAPI:
    """`routes`: path prefix under /api/v1 → service name (`arcadia.registry.gateway_routes()`).
    `demo_tokens` (role `admin`/`tenant` → token) enables the dashboard's demo sign-in."""
    unknown = sorted(set(routes.values()) - set(upstreams))
    if unknown:
        raise ValueError(f"routes name services without an upstream client: {', '.join(unknown)}")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for client in upstreams.values():
            await client.aclose()

    def ready_check(name: str, client: httpx.AsyncClient) -> Any:
        async def check() -> None:
            response = await client.get("/readyz", timeout=5.0)
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}")

        return check

    app = service_app(
        title="ArcadiaCloud API",
        description=(
            "Inventory, billing, metering, invoicing and drift behind one scoped API. "
            "Errors are RFC 9457 `application/problem+json`."
        ),
        settings=settings,
        routers=[],
        ready_checks={name: ready_check(name, client) for name, client in upstreams.items()},
        lifespan=lifespan,
        own_docs=False,
    )
    app.add_middleware(RequestIdMiddleware)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        # the gateway's own operations (reports, exports), then every service's
        return JSONResponse(await merged_openapi(upstreams, own_openapi(app)))

    mount_docs(app)
    mount_ui(app, settings, demo_tokens=demo_tokens, run_logs=run_log_services(routes))

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_index() -> JSONResponse:
        return JSONResponse(await merged_asyncapi_index(upstreams))

    @app.get("/asyncapi/{service}.json", include_in_schema=False)
    async def asyncapi(service: str) -> Response:
        client = upstreams.get(service)
        if client is None:
            return problem(404, "no such service")
        try:
            response = await client.get("/asyncapi.json", timeout=10.0)
        except httpx.HTTPError:
            return _unavailable(service)
        if response.status_code != 200:
            return problem(502, f"{service} has no AsyncAPI document")
        return Response(response.content, media_type="application/json")

    @app.get("/docs/asyncapi", include_in_schema=False)
    async def asyncapi_links() -> HTMLResponse:
        links = "".join(
            f'<li><a href="/asyncapi/{name}.json">{name}</a></li>' for name in sorted(upstreams)
        )
        return HTMLResponse(f"<h1>AsyncAPI documents</h1><ul>{links}</ul>")

    # the gateway's own routes, before the catch-all that forwards to the services
    app.include_router(reports_router(api_sources(upstreams)))
    app.include_router(exports_router(api_sources(upstreams)))

    @app.api_route(
        "/api/v1/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def forward(request: Request, path: str) -> Response:
        try:
            normalized = normalized_path(request.url.path, request.scope.get("raw_path"))
        except UnsafePath as exc:
            return problem(400, f"refused: {exc}")
        current_principal(request)
        service = service_for(routes, normalized)
        if service is None:
            return problem(404, "no such route")
        client = upstreams[service]
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers[REQUEST_ID] = request.headers[REQUEST_ID]  # set by RequestIdMiddleware
        try:
            url = httpx.URL(path=encoded(normalized), query=request.scope.get("query_string", b""))
        except httpx.InvalidURL:
            return problem(400, "refused: a malformed URL")
        body = await request.body()
        upstream = None
        for attempt in (1, 2):
            try:
                upstream = await client.request(request.method, url, content=body, headers=headers)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                return _unavailable(service)
            except httpx.TimeoutException:
                return problem(504, f"{service} did not answer in time")
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                # a pooled connection the upstream had closed: once more on a fresh one
                retry = isinstance(exc, httpx.WriteError) or request.method in IDEMPOTENT
                if attempt == 2 or not retry:
                    log.warning("%s: %s %s failed: %r", service, request.method, normalized, exc)
                    return problem(502, f"{service} closed the connection")
            except httpx.InvalidURL:
                return problem(400, "refused: a malformed URL")
            except httpx.HTTPError as exc:
                log.warning("%s: %s %s failed: %r", service, request.method, normalized, exc)
                return problem(502, f"{service} did not answer properly")
        assert upstream is not None
        response_headers = {
            k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP | {"location"}
        }
        if "location" in upstream.headers:
            location = _location(upstream.headers["location"], client.base_url)
            if location is not None:
                response_headers["location"] = location
        return Response(
            content=upstream.content, status_code=upstream.status_code, headers=response_headers
        )

    return app


def _unavailable(service: str) -> Response:
    return problem(
        503,
        f"{service} is unavailable; retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


__all__ = ["create_app", "upstream_clients"]
