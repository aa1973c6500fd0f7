"""DigitalOcean-shaped error bodies: ``{"id", "message", "request_id"}`` plus ``x-request-id``."""

from __future__ import annotations

from uuid import uuid4

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

NOT_FOUND_MESSAGE = "The resource you were accessing could not be found."

_HTTP_ERROR_IDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    422: "unprocessable_entity",
    429: "too_many_requests",
}


class ApiError(Exception):
    """An error answered with the real API's body shape."""

    def __init__(
        self,
        status: int,
        error_id: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, "not_found", NOT_FOUND_MESSAGE)


def request_id_of(request: Request) -> str:
    """The id the gate assigned to this request, or a fresh one outside ``/v2``."""
    request_id: str | None = getattr(request.state, "request_id", None)
    if request_id is None:
        request_id = str(uuid4())
        request.state.request_id = request_id
    return request_id


def error_response(
    request_id: str,
    status: int,
    error_id: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"id": error_id, "message": message, "request_id": request_id}
    return JSONResponse(
        body, status_code=status, headers={**(headers or {}), "x-request-id": request_id}
    )


async def handle_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        request_id_of(request), exc.status, exc.error_id, exc.message, exc.headers
    )


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    error_id = _HTTP_ERROR_IDS.get(exc.status_code, "server_error")
    message = NOT_FOUND_MESSAGE if exc.status_code == 404 else str(exc.detail)
    return error_response(request_id_of(request), exc.status_code, error_id, message)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"] if part not in ("query", "body", "path"))
    message = f"{field}: {first['msg']}" if field else str(first["msg"])
    return error_response(request_id_of(request), 400, "bad_request", message)
