"""The gateway: one scoped REST API in front of every service. It owns no data.

It authenticates each request (an invalid token never reaches a service), then forwards it with
the caller's token to the owning service, which applies the tenant scope itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from arcadia_core.auth import current_principal
from arcadia_core.http import service_app
from arcadia_core.settings import ArcadiaSettings
from gateway.openapi import merged_openapi
from gateway.routes import ROUTES, service_for

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}


def upstream_clients(
    settings: ArcadiaSettings, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> dict[str, httpx.AsyncClient]:
    """A client per service: in-process transports when given, else ARCADIA_<SERVICE>_URL."""
    clients: dict[str, httpx.AsyncClient] = {}
    for name in sorted(set(ROUTES.values())):
        transport = (transports or {}).get(name)
        if transport is not None:
            clients[name] = httpx.AsyncClient(transport=transport, base_url=f"http://{name}")
            continue
        url = settings.service_url(name)
        if not url:
            raise RuntimeError(f"the gateway needs ARCADIA_{name.upper()}_URL")
        clients[name] = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60.0))
    return clients


def create_app(settings: ArcadiaSettings, upstreams: dict[str, httpx.AsyncClient]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for client in upstreams.values():
            await client.aclose()

    async def upstreams_ready() -> None:
        for name, client in upstreams.items():
            response = await client.get("/readyz")
            if response.status_code != 200:
                raise RuntimeError(f"{name} is not ready: {response.text}")

    app = service_app(
        title="ArcadiaCloud API",
        description="Inventory, billing, metering, invoicing and drift behind one scoped API.",
        settings=settings,
        routers=[],
        ready_checks={"upstreams": upstreams_ready},
        lifespan=lifespan,
        own_docs=False,
    )
    base_openapi: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version, "description": app.description},
        "paths": {},
    }

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(await merged_openapi(upstreams, base_openapi))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=app.title)

    @app.api_route(
        "/api/v1/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def forward(request: Request, path: str) -> Response:
        current_principal(request)
        service = service_for(request.url.path)
        if service is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such route: {request.url.path}")
        client = upstreams[service]
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream = await client.request(
                request.method,
                request.url.path,
                params=request.url.query,
                content=await request.body(),
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise HTTPException(
                status.HTTP_502_BAD_GATEWAY, f"{service} did not answer: {type(exc).__name__}"
            ) from exc
        return Response(
            content=upstream.content,
            status_code=upstream.status_code,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
        )

    return app


__all__ = ["create_app", "upstream_clients"]
