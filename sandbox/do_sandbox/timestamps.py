"""RFC 3339 UTC timestamps as the API writes them (``2026-04-05T21:37:12Z``)."""

from __future__ import annotations

import time


def rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def now() -> str:
    return rfc3339(time.time())
