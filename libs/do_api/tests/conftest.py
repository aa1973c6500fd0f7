"""Fixtures for the do_api tests: a fake time source so that no test really sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from do_api import forget_budgets


class FakeTime:
    """A monotonic clock, a wall clock and an async `sleep` that records the wait and advances
    both clocks by it at once."""

    def __init__(self, wall_start: float = 1_750_000_000.0) -> None:
        self.now = 0.0
        self.wall_start = wall_start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.wall_start + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(autouse=True)
def _fresh_budget_registry() -> Iterator[None]:
    forget_budgets()
    yield
    forget_budgets()
