"""Which service owns which part of /api/v1, and what a path must look like to be routed.

The table itself comes from the service registry (`arcadia.registry.gateway_routes()`), handed
to `create_app`; this module only matches against it. A path is checked and normalized before
routing: dot segments (`..`, `%2e%2e`, `..%2f`), encoded slashes, control characters and
double encoding are refused, so a request can never reach a path its prefix does not own.
"""

from __future__ import annotations

from urllib.parse import quote

# What may stay unescaped in a forwarded path segment (RFC 3986 pchar, minus '%').
_SAFE = "/:@!$&'()*+,;=-._~"


class UnsafePath(ValueError):
    """A path the gateway refuses to route (answered 400)."""


def service_for(routes: dict[str, str], path: str) -> str | None:
    """The service owning `path`; the longest matching prefix wins."""
    for prefix in sorted(routes, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return routes[prefix]
    return None


def normalized_path(path: str, raw_path: bytes | None = None) -> str:
    """`path` (percent-decoded once, as ASGI gives it) checked and normalized.

    Empty segments collapse (`//`) and a trailing slash is dropped, so an upstream never
    answers with a redirect to its own address.
    """
    raw = (raw_path or b"").lower()
    if b"%2f" in raw or b"%5c" in raw:
        raise UnsafePath("an encoded slash in the path")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise UnsafePath("a control character in the path")
    if "%" in path:
        raise UnsafePath("a doubly encoded path")
    if "\\" in path:
        raise UnsafePath("a backslash in the path")
    if not path.startswith("/"):
        raise UnsafePath("a relative path")
    segments = [s for s in path.split("/") if s]
    if any(s in {".", ".."} for s in segments):
        raise UnsafePath("a dot segment in the path")
    return "/" + "/".join(segments)


def encoded(path: str) -> str:
    """A normalized path percent-encoded for the upstream request."""
    return quote(path, safe=_SAFE)
