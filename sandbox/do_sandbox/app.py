"""The ASGI app: DigitalOcean API v2 routes behind the ``/v2`` gate, plus ``/_sandbox``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware

from do_sandbox import scenarios
from do_sandbox.account import Account
from do_sandbox.errors import (
    ApiError,
    handle_api_error,
    handle_http_exception,
    handle_validation_error,
)
from do_sandbox.gate import gate
from do_sandbox.ratelimit import RateLimit, RateLimiter
from do_sandbox.routes import ROUTERS, costly_kinds
from do_sandbox.routes import billing as billing_routes


def create_app(
    account: Account | str = "seeds",
    *,
    tokens: set[str] | None = None,
    rate_limit: RateLimit | None = RateLimit(),
) -> FastAPI:
    """An app serving ``account`` (or the scenario of that name).

    ``tokens=None`` accepts any non-empty bearer token; ``rate_limit=None`` disables
    rate limiting. The account is ``app.state.account``.
    """
    app = FastAPI(
        title="DigitalOcean API v2 sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.account = scenarios.load(account) if isinstance(account, str) else account
    app.state.tokens = frozenset(tokens) if tokens is not None else None
    app.state.rate_limiter = RateLimiter(rate_limit) if rate_limit is not None else None
    app.add_middleware(BaseHTTPMiddleware, dispatch=gate)
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(costly_kinds.router)
    app.include_router(billing_routes.router)
    return app
