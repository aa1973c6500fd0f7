"""The HTTP shell every service shares: auth, health, readiness and metrics endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from arcadia_core.auth import TokenVerifier
from arcadia_core.settings import ArcadiaSettings

ReadyCheck = Callable[[], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def ops_router(ready_checks: dict[str, ReadyCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: every dependency answers")
    async def readyz() -> Response:
        failures: dict[str, str] = {}
        for name, check in ready_checks.items():
            try:
                await check()
            except Exception as exc:
                failures[name] = f"{type(exc).__name__}: {exc}"
        if failures:
            return JSONResponse({"status": "unavailable", "failures": failures}, status_code=503)
        return JSONResponse({"status": "ready", "checks": sorted(ready_checks)})

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
        docs_url="/docs" if own_docs else None,
        redoc_url="/redoc" if own_docs else None,
    )
    app.state.token_verifier = TokenVerifier(settings.jwt_secret, settings.jwt_audience)
    for key, value in (state or {}).items():
        setattr(app.state, key, value)
    app.include_router(ops_router(ready_checks))
    for router in routers:
        app.include_router(router)
    return app
