"""Hooks the shared test fixtures ask the product's own pytest plugin."""

from __future__ import annotations

import pytest


@pytest.hookspec
def pytest_arcadia_known_queues() -> list[str]:  # type: ignore[empty-body]
    """Every consumer queue a test namespace may hold, to delete at teardown."""
