"""One OpenAPI document for the whole API, merged from every upstream service's own, and an
index of every service's AsyncAPI document."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from arcadia_core.http import PROBLEM_SCHEMA, add_problem_responses

log = logging.getLogger(__name__)

# What the gateway itself may answer on any forwarded operation: a refused path or header
# (400), a bad token (401), and an owning service that answers badly, not at all, or too late.
GATEWAY_ERRORS = (400, 401, 502, 503, 504)
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def own_openapi(app: FastAPI) -> dict[str, Any]:
    """The gateway's own API operations (the reports and exports it composes), as the base the
    services' documents are merged into. Built once per app: its routes do not change."""
    cached: dict[str, Any] | None = getattr(app.state, "own_openapi", None)
    if cached is None:
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        spec["paths"] = {p: i for p, i in spec.get("paths", {}).items() if p.startswith("/api/")}
        app.state.own_openapi = cached = spec
    return cached


async def merged_openapi(
    upstreams: dict[str, httpx.AsyncClient], base: dict[str, Any]
) -> dict[str, Any]:
    document: dict[str, Any] = {
        **base,
        "paths": dict(base.get("paths", {})),
        "components": {
            **base.get("components", {}),
            "schemas": dict(base.get("components", {}).get("schemas", {})),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}],
    }
    for name, client in upstreams.items():
        try:
            response = await client.get("/openapi.json")
            response.raise_for_status()
            spec = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("no OpenAPI from %s: %s", name, exc)
            continue
        for path, item in spec.get("paths", {}).items():
            if path.startswith("/api/"):
                document["paths"][path] = item
                for method, operation in item.items():
                    if method in METHODS and isinstance(operation, dict):
                        add_problem_responses(operation, GATEWAY_ERRORS)
        document["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
    document["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
    return document


async def merged_asyncapi_index(upstreams: dict[str, httpx.AsyncClient]) -> dict[str, Any]:
    """Every service's AsyncAPI document: where it is, and the channels it names."""
    services: dict[str, Any] = {}
    for name, client in sorted(upstreams.items()):
        entry: dict[str, Any] = {"url": f"/asyncapi/{name}.json"}
        try:
            response = await client.get("/asyncapi.json", timeout=10.0)
            response.raise_for_status()
            spec = response.json()
            entry["asyncapi"] = spec.get("asyncapi")
            entry["channels"] = sorted(spec.get("channels", {}))
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("no AsyncAPI from %s: %s", name, exc)
            entry["available"] = False
        services[name] = entry
    return {"services": services}
