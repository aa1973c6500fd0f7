"""Counts of the ``/v2`` requests the sandbox answered, so tests can count API calls."""

from __future__ import annotations

from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self.by_path: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()

    @property
    def total(self) -> int:
        return self.by_path.total()

    def record(self, path: str, status: int) -> None:
        self.by_path[path] += 1
        self.by_status[status] += 1

    def calls(self, path_prefix: str) -> int:
        return sum(n for path, n in self.by_path.items() if path.startswith(path_prefix))

    def clear(self) -> None:
        self.by_path.clear()
        self.by_status.clear()

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_path": dict(self.by_path),
            "by_status": {str(status): n for status, n in self.by_status.items()},
        }
