"""The dashboard at /ui/: server-rendered pages over the gateway's own API.

`mount_ui(app, settings)` adds it to a gateway app: the static files, every page router, the
security headers and the keys that sign the session's CSRF tokens. Pages read data only through
`gateway.ui.backend` (the API as the signed-in user sees it). Demo sign-in routes exist only
when `demo_tokens` (role → token, roles `admin` and `tenant`) are given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from arcadia_core.settings import ArcadiaSettings
from gateway.ui.framework import STATIC
from gateway.ui.security import SecurityHeadersMiddleware
from gateway.ui.session import Keys

DEMO_ROLES = ("admin", "tenant")


def ui_router() -> APIRouter:
    """Every dashboard page, the catch-all 404 page last."""
    from gateway.ui import (
        pages_auth,
        pages_billing,
        pages_invoices,
        pages_ops,
        pages_overview,
        pages_usage,
    )

    router = APIRouter(include_in_schema=False)
    for module in (
        pages_auth,
        pages_overview,
        pages_billing,
        pages_invoices,
        pages_usage,
        pages_ops,
    ):
        router.include_router(module.router)
    router.include_router(pages_auth.not_found_router)
    return router


def mount_ui(
    app: FastAPI,
    settings: ArcadiaSettings,
    *,
    demo_tokens: Mapping[str, str] | None = None,
    run_logs: Sequence[str] = (),
) -> None:
    """`run_logs`: the services that answer GET /api/v1/runs/<service>, for the runs page."""
    unknown = set(demo_tokens or {}) - set(DEMO_ROLES)
    if unknown:
        raise ValueError(f"demo sign-in knows the roles {DEMO_ROLES}, not {sorted(unknown)}")
    app.state.ui_keys = Keys(settings.jwt_secret, settings.jwt_audience)
    app.state.ui_demo_tokens = dict(demo_tokens) if demo_tokens else None
    app.state.ui_run_logs = tuple(run_logs)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(ui_router())
    app.add_middleware(SecurityHeadersMiddleware)


__all__ = ["mount_ui", "ui_router"]
