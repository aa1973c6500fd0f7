"""Per-token request budget: DO allows 250 requests per minute and 5,000 per hour per token.

One `RateBudget` per token, shared by every client and job in the process that uses that token
(`budget_for`). `acquire()` waits, never fails, until both sliding windows have room, so a large
sync slows down instead of being rejected. `observe()` takes the server's `ratelimit-*` headers:
when the server reports fewer requests left than the local windows (another process shares the
token), the smaller number wins until the server's reset time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

from prometheus_client import Gauge

from do_api.tokens import token_fingerprint, token_label

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

MINUTE = 60.0
HOUR = 3600.0
# `ratelimit-remaining: 0` can mean the burst (per-minute) limit was hit while the hourly one was
# not, and `ratelimit-reset` is when the oldest request of the *hour* expires; so a zero reading
# blocks for at most one burst window, after which the next response tells us again.
ZERO_REMAINING_MAX_HOLD = MINUTE
ZERO_REMAINING_MIN_HOLD = 1.0

RATE_BUDGET_REMAINING = Gauge(
    "arcadia_do_rate_budget_remaining",
    "DigitalOcean API requests the per-token budget allows right now "
    "(smallest of the per-minute, per-hour and server-reported allowances)",
    ["token"],
)


class RateBudget:
    """Sliding-window budget for one DO token. Safe to share between clients and event loops."""

    def __init__(
        self,
        per_minute: int = 250,
        per_hour: int = 5000,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Clock = time.time,
        label: str | None = None,
    ) -> None:
        if per_minute < 1 or per_hour < 1:
            raise ValueError("per_minute and per_hour must be at least 1")
        self._per_minute = per_minute
        self._per_hour = per_hour
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._minute: deque[float] = deque()
        self._hour: deque[float] = deque()
        self._server_remaining: int | None = None
        self._server_until = 0.0
        self._hold_until = 0.0
        self._lock = threading.Lock()
        self._labels: set[str] = {label} if label else set()
        self.acquired = 0
        self.waits = 0
        self.waited_seconds = 0.0
        self._publish()

    # -- configuration -----------------------------------------------------------------------

    @property
    def per_minute(self) -> int:
        return self._per_minute

    @property
    def per_hour(self) -> int:
        return self._per_hour

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(self._labels)

    def add_label(self, label: str) -> None:
        """Also publish the gauge under `label` (e.g. a second purpose sharing this token)."""
        if label and label not in self._labels:
            self._labels.add(label)
            self._publish()

    def tighten(self, per_minute: int, per_hour: int) -> None:
        """Lower the limits (never raises them): used when a second user asks for less."""
        with self._lock:
            self._per_minute = max(1, min(self._per_minute, per_minute))
            self._per_hour = max(1, min(self._per_hour, per_hour))
        self._publish()

    # -- use ---------------------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        """Requests that could start right now without waiting."""
        with self._lock:
            return self._remaining(self._clock())

    async def acquire(self, *, honour_hold: bool = True) -> None:
        """Take one request slot, waiting (never failing) until both windows have room.

        `honour_hold=False` is for a caller that has itself just waited what a 429 asked for:
        it still respects the local windows but not the server-derived hold it caused.
        """
        while True:
            with self._lock:
                now = self._clock()
                delay = self._delay(now, honour_hold)
                if delay <= 0:
                    self._minute.append(now)
                    self._hour.append(now)
                    if self._server_remaining is not None:
                        self._server_remaining -= 1
                    self.acquired += 1
                    remaining = self._remaining(now)
                    break
                self.waits += 1
                self.waited_seconds += delay
            await self._sleep(delay)
        self._publish(remaining)

    def observe(
        self, remaining: int | None, reset: float | None, *, limit: int | None = None
    ) -> None:
        """Feed `ratelimit-remaining`, `ratelimit-reset` (Unix epoch seconds) and `ratelimit-limit`.

        The server's count covers every process using the token; while it is lower than the local
        windows it is the allowance, decremented on each acquire, until `reset` (when the oldest
        counted request expires) or, without a reset, for one minute. A zero reading holds new
        requests until the reset, but at most one minute (it may be only the burst limit).
        """
        with self._lock:
            now = self._clock()
            if limit is not None and 0 < limit < self._per_hour:
                self._per_hour = limit
            if remaining is not None:
                reset_in = None if reset is None else max(0.0, reset - self._wall_clock())
                if remaining <= 0:
                    hold = ZERO_REMAINING_MAX_HOLD if reset_in is None else reset_in
                    hold = min(max(hold, ZERO_REMAINING_MIN_HOLD), ZERO_REMAINING_MAX_HOLD)
                else:
                    hold = reset_in if reset_in else MINUTE
                self._server_remaining = remaining
                self._server_until = now + hold
            value = self._remaining(now)
        self._publish(value)

    def hold(self, seconds: float) -> None:
        """Start no request for `seconds` (the server asked every user of the token to wait)."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            self._hold_until = max(self._hold_until, now + seconds)
            value = self._remaining(now)
        self._publish(value)

    # -- internals (call with the lock held) -------------------------------------------------

    def _prune(self, now: float) -> None:
        while self._minute and self._minute[0] <= now - MINUTE:
            self._minute.popleft()
        while self._hour and self._hour[0] <= now - HOUR:
            self._hour.popleft()
        if self._server_remaining is not None and now >= self._server_until:
            self._server_remaining = None

    def _delay(self, now: float, honour_hold: bool) -> float:
        """Seconds until a request may start (0 if now)."""
        self._prune(now)
        delays = [0.0]
        if len(self._minute) >= self._per_minute:
            delays.append(self._minute[len(self._minute) - self._per_minute] + MINUTE - now)
        if len(self._hour) >= self._per_hour:
            delays.append(self._hour[len(self._hour) - self._per_hour] + HOUR - now)
        if honour_hold:
            if now < self._hold_until:
                delays.append(self._hold_until - now)
            if self._server_remaining is not None and self._server_remaining <= 0:
                delays.append(self._server_until - now)
        return max(delays)

    def _remaining(self, now: float) -> int:
        self._prune(now)
        values = [self._per_minute - len(self._minute), self._per_hour - len(self._hour)]
        if self._server_remaining is not None:
            values.append(self._server_remaining)
        if now < self._hold_until:
            values.append(0)
        return max(0, min(values))

    def _publish(self, value: int | None = None) -> None:
        if not self._labels:
            return
        if value is None:
            value = self.remaining
        for label in self._labels:
            RATE_BUDGET_REMAINING.labels(token=label).set(value)

    def __repr__(self) -> str:
        labels = ",".join(sorted(self._labels)) or "-"
        return f"RateBudget({labels}: {self._per_minute}/min, {self._per_hour}/h)"


_REGISTRY: dict[str, RateBudget] = {}
_REGISTRY_LOCK = threading.Lock()


def budget_for(
    token: str, per_minute: int = 250, per_hour: int = 5000, *, label: str | None = None
) -> RateBudget:
    """The process-wide budget of `token` (keyed by its SHA-256, never the token itself).

    The first call creates it; later calls return the same object, adding `label` to the gauge's
    labels and lowering the limits if they ask for less. `label` defaults to a short hash.
    """
    key = token_fingerprint(token)
    with _REGISTRY_LOCK:
        budget = _REGISTRY.get(key)
        if budget is None:
            budget = RateBudget(per_minute, per_hour, label=label or token_label(token))
            _REGISTRY[key] = budget
            return budget
    budget.tighten(per_minute, per_hour)
    if label:
        budget.add_label(label)
    return budget


def forget_budgets() -> None:
    """Drop every registered budget (for tests)."""
    with _REGISTRY_LOCK:
        _REGISTRY.clear()
