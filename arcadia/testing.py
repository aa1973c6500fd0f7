"""Pytest plugin of the product: tells the shared test fixtures what the registry holds."""

from __future__ import annotations

import pytest


@pytest.hookimpl
def pytest_arcadia_known_queues() -> list[str]:
    from arcadia import registry

    return list(registry.consumer_queues())
