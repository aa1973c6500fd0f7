"""Typed errors raised by the DigitalOcean client.

DO error bodies look like `{"id": "not_found", "message": "...", "request_id": "..."}`; `id` and
`message` are required, `request_id` is optional and otherwise comes from the `x-request-id`
header. The class is chosen from the HTTP status alone, never from the message text.
"""

from __future__ import annotations

from typing import Any

import httpx


class DigitalOceanError(Exception):
    """Any failed DigitalOcean API call. `status` is None when no HTTP response was received."""

    def __init__(
        self,
        status: int | None,
        error_id: str | None,
        message: str,
        request_id: str | None = None,
        *,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.error_id = error_id
        self.message = message
        self.request_id = request_id
        self.attempts = attempts
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"HTTP {self.status}" if self.status is not None else "no response"]
        if self.error_id:
            parts.append(self.error_id)
        text = f"{' '.join(parts)}: {self.message}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        if self.attempts > 1:
            text += f" after {self.attempts} attempts"
        return text


class Unauthorized(DigitalOceanError):
    """401: the token is missing, wrong, expired or revoked."""


class Forbidden(DigitalOceanError):
    """403: the token lacks a scope this call needs."""


class NotFound(DigitalOceanError):
    """404."""


class RateLimited(DigitalOceanError):
    """429 still answered after every retry."""

    def __init__(
        self,
        status: int | None,
        error_id: str | None,
        message: str,
        request_id: str | None = None,
        *,
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status, error_id, message, request_id, attempts=attempts)


class ServerError(DigitalOceanError):
    """5xx still answered after every retry."""


class TransportError(DigitalOceanError):
    """No HTTP response (connect/read timeout, connection reset, ...) after every retry."""


class InvalidResponse(DigitalOceanError):
    """A success status whose body is not what the endpoint documents (not JSON, no list key)."""


class IncompleteListing(DigitalOceanError):
    """A paged listing whose item count disagrees with `meta.total` even after a fresh restart."""


_BY_STATUS: dict[int, type[DigitalOceanError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    429: RateLimited,
}


def error_class_for(status: int) -> type[DigitalOceanError]:
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, DigitalOceanError)


def error_from_response(
    response: httpx.Response, *, attempts: int = 1, retry_after: float | None = None
) -> DigitalOceanError:
    """Build the typed error for a failed response (body fields, else headers and reason)."""
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    error_id: str | None = None
    message: str | None = None
    request_id: str | None = None
    if isinstance(body, dict):
        error_id = _text(body.get("id"))
        message = _text(body.get("message"))
        request_id = _text(body.get("request_id"))
    if request_id is None:
        request_id = response.headers.get("x-request-id") or None
    if message is None:
        message = response.reason_phrase or response.text[:200] or "no message"
    status = response.status_code
    cls = error_class_for(status)
    if cls is RateLimited:
        return RateLimited(
            status, error_id, message, request_id, attempts=attempts, retry_after=retry_after
        )
    return cls(status, error_id, message, request_id, attempts=attempts)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text or None
