"""One OpenAPI document for the whole API, merged from every upstream service's own."""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


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
        document["components"]["schemas"].update(spec.get("components", {}).get("schemas", {}))
    return document
