"""What is retried and how long to wait: decided by status code and headers, never message text."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

HOUR = 3600.0

# Network failures worth another attempt. Not retried: UnsupportedProtocol, ProxyError,
# LocalProtocolError (our own request is malformed), which would fail the same way again.
RETRYABLE_TRANSPORT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


def is_retryable_status(status: int) -> bool:
    """429 and every 5xx; no other status is retried."""
    return status == 429 or status >= 500


@dataclass(frozen=True)
class RateLimitHeaders:
    """The `ratelimit-*` and `retry-after` headers of one response (names are case-insensitive)."""

    limit: int | None
    remaining: int | None
    reset: float | None
    retry_after: float | None

    @classmethod
    def parse(cls, headers: httpx.Headers, wall_now: float) -> RateLimitHeaders:
        return cls(
            limit=_int(headers.get("ratelimit-limit")),
            remaining=_int(headers.get("ratelimit-remaining")),
            reset=_number(headers.get("ratelimit-reset")),
            retry_after=parse_retry_after(headers.get("retry-after"), wall_now),
        )


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_server_wait: float = HOUR
    jitter: Callable[[], float] = random.random

    def backoff(self, retry: int) -> float:
        """Exponential backoff with "equal jitter": half of min(cap, base * 2**retry), plus a
        random share of the other half. `retry` is 0 for the first retry."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2.0 ** min(retry, 62)))
        return ceiling * (0.5 + 0.5 * self.jitter())

    def server_wait(self, seconds: float) -> float:
        """A wait the server asked for, plus up to 10% (at most 1 s) so that clients sharing a
        token do not all come back in the same instant."""
        seconds = min(max(seconds, 0.0), self.max_server_wait)
        return seconds + min(1.0, 0.1 * seconds) * self.jitter()

    def wait_for(
        self, status: int | None, rate: RateLimitHeaders | None, retry: int, wall_now: float
    ) -> tuple[float, str]:
        """(seconds, reason) before retry number `retry` (0-based) of a retryable failure.

        `retry-after` wins when present (DO sends it on burst 429s; honoured on 5xx too).
        A 429 without it is the hourly limit: wait until `ratelimit-reset` (when the oldest
        counted request expires), if that is in the future and `ratelimit-remaining` is 0 or
        absent (with requests remaining the reset says nothing about this 429). Anything else
        backs off exponentially.
        """
        if rate is not None:
            if rate.retry_after is not None:
                return self.server_wait(rate.retry_after), "retry-after"
            if (
                status == 429
                and rate.reset is not None
                and rate.reset > wall_now
                and (rate.remaining is None or rate.remaining <= 0)
            ):
                return self.server_wait(rate.reset - wall_now), "ratelimit-reset"
        return self.backoff(retry), "backoff"


def parse_retry_after(value: str | None, wall_now: float) -> float | None:
    """`retry-after` as seconds: delta-seconds (DO's form) or an HTTP date."""
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - wall_now)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _int(value: str | None) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
