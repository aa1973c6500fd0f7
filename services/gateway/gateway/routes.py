"""Which service owns which part of /api/v1."""

from __future__ import annotations

# path prefix under /api/v1 → service name. Longest prefix wins.
ROUTES: dict[str, str] = {
    "/api/v1/inventory": "inventory",
    "/api/v1/projects": "inventory",
}


def service_for(path: str) -> str | None:
    for prefix in sorted(ROUTES, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return ROUTES[prefix]
    return None
