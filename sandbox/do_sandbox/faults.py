"""Failures injected on demand: the next matching requests answer with an error status."""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import Any

_BODIES: dict[int, tuple[str, tuple[str, ...]]] = {
    429: (
        "too_many_requests",
        ("Too many requests", "API rate limit exceeded.", "API Rate limit exceeded."),
    ),
    500: ("server_error", ("Server was unable to give you a response.",)),
    502: ("server_error", ("Bad Gateway",)),
    503: ("server_error", ("Service Unavailable",)),
}
FAULT_STATUSES = tuple(sorted(_BODIES))


@dataclass
class Fault:
    """Fail ``times`` requests under ``path_prefix``, after letting ``after`` of them pass."""

    path_prefix: str
    status: int
    times: int = 1
    retry_after: int | None = None
    after: int = 0

    def __post_init__(self) -> None:
        if self.status not in _BODIES:
            raise ValueError(f"status must be one of {FAULT_STATUSES}, not {self.status}")
        if self.times < 1 or self.after < 0:
            raise ValueError("times must be at least 1 and after at least 0")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError("retry_after must not be negative")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FaultHit:
    status: int
    error_id: str
    message: str
    retry_after: int | None

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"retry-after": str(self.retry_after)}


class Faults:
    def __init__(self) -> None:
        self.pending: list[Fault] = []
        self._messages = {
            status: itertools.cycle(messages) for status, (_, messages) in _BODIES.items()
        }

    def inject(
        self,
        path_prefix: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        after: int = 0,
    ) -> Fault:
        fault = Fault(path_prefix, status, times, retry_after, after)
        self.pending.append(fault)
        return fault

    def clear(self) -> None:
        self.pending.clear()

    def take(self, path: str) -> FaultHit | None:
        """Consume the first fault due for ``path``; every waiting fault counts the request."""
        hit: FaultHit | None = None
        for fault in list(self.pending):
            if not path.startswith(fault.path_prefix):
                continue
            if fault.after > 0:
                fault.after -= 1
            elif hit is None:
                hit = self._fire(fault)
        return hit

    def _fire(self, fault: Fault) -> FaultHit:
        fault.times -= 1
        if fault.times == 0:
            self.pending.remove(fault)
        error_id, _ = _BODIES[fault.status]
        message = next(self._messages[fault.status])
        return FaultHit(fault.status, error_id, message, fault.retry_after)
