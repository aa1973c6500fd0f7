"""What every ``/v2`` request goes through before its route.

In order: a request id, bearer authentication, the per-token rate limit, injected
faults, then the route. Every answer is counted in the account's stats and carries
``x-request-id``; once the token is known it also carries the ``ratelimit-*`` headers.
"""

from __future__ import annotations

from uuid import uuid4

from fastapi import Request, Response
from starlette.middleware.base import RequestResponseEndpoint

from do_sandbox.account import Account
from do_sandbox.errors import error_response
from do_sandbox.ratelimit import RateLimiter

API_PREFIX = "/v2"


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def gate(request: Request, call_next: RequestResponseEndpoint) -> Response:
    path = request.url.path
    if not path.startswith(API_PREFIX):
        return await call_next(request)
    account: Account = request.app.state.account
    tokens: frozenset[str] | None = request.app.state.tokens
    limiter: RateLimiter | None = request.app.state.rate_limiter
    request_id = request.state.request_id = str(uuid4())

    token = bearer_token(request)
    if token is None or (tokens is not None and token not in tokens):
        response: Response = error_response(
            request_id, 401, "unauthorized", "Unable to authenticate you"
        )
    else:
        verdict = limiter.check(token) if limiter is not None else None
        fault = account.faults.take(path) if verdict is None or verdict.allowed else None
        if verdict is not None and not verdict.allowed:
            response = error_response(
                request_id, 429, "too_many_requests", "API rate limit exceeded."
            )
        elif fault is not None:
            response = error_response(
                request_id, fault.status, fault.error_id, fault.message, fault.headers()
            )
        else:
            response = await call_next(request)
        if verdict is not None:
            response.headers.update(verdict.headers())
            if fault is not None and fault.status == 429 and fault.retry_after is None:
                # DO's 429 without retry-after is the hourly limit: nothing remains
                response.headers["ratelimit-remaining"] = "0"
    response.headers["x-request-id"] = request_id
    account.stats.record(path, response.status_code)
    return response
