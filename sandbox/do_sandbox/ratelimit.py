"""Per-token sliding-window rate limiting with the real API's headers.

Every accepted request counts for a rolling minute (the burst limit) and a rolling hour.
``ratelimit-reset`` is when the *oldest* counted request leaves the hourly window, and
``ratelimit-remaining`` is what is left of the hourly allowance (``0`` while burst-limited).
Rejected requests are not counted.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]

MINUTE = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class RateLimit:
    per_minute: int = 250
    per_hour: int = 5000
    clock: Clock = time.time


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        headers = {
            "ratelimit-limit": str(self.limit),
            "ratelimit-remaining": str(self.remaining),
            "ratelimit-reset": str(self.reset),
        }
        if self.retry_after is not None:
            headers["retry-after"] = str(self.retry_after)
        return headers


@dataclass
class _Windows:
    minute: deque[float] = field(default_factory=deque)
    hour: deque[float] = field(default_factory=deque)

    def prune(self, now: float) -> None:
        while self.minute and self.minute[0] <= now - MINUTE:
            self.minute.popleft()
        while self.hour and self.hour[0] <= now - HOUR:
            self.hour.popleft()


class RateLimiter:
    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._windows: dict[str, _Windows] = {}

    def check(self, token: str) -> Verdict:
        """Count one request for ``token`` unless it is over a limit."""
        now = self.limit.clock()
        windows = self._windows.setdefault(token, _Windows())
        windows.prune(now)
        if len(windows.hour) >= self.limit.per_hour:
            return self._verdict(windows, now, allowed=False)
        if len(windows.minute) >= self.limit.per_minute:
            retry_after = max(1, math.ceil(windows.minute[0] + MINUTE - now))
            return self._verdict(windows, now, allowed=False, retry_after=retry_after)
        windows.minute.append(now)
        windows.hour.append(now)
        return self._verdict(windows, now, allowed=True)

    def reset(self) -> None:
        self._windows.clear()

    def _verdict(
        self, windows: _Windows, now: float, *, allowed: bool, retry_after: int | None = None
    ) -> Verdict:
        oldest = windows.hour[0] if windows.hour else now
        return Verdict(
            allowed=allowed,
            limit=self.limit.per_hour,
            remaining=self.limit.per_hour - len(windows.hour) if allowed else 0,
            reset=math.ceil(oldest + HOUR),
            retry_after=retry_after,
        )
