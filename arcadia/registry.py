"""The service registry: every service this product runs, found by its `ServiceDefinition`.

Adding a service is one package with a `bootstrap.DEFINITION` and one line here. Modules are
imported on first use, so `arcadia --help` does not pay for importing every service.
"""

from __future__ import annotations

import importlib
from functools import cache

from arcadia_core.service import ServiceDefinition

# name → module holding its DEFINITION, in start order: producers a consumer relies on first.
# Shutdown runs in reverse.
SERVICES: dict[str, str] = {
    "inventory": "inventory.bootstrap",
    "billing-ingest": "billing_ingest.bootstrap",
    "drift": "drift.bootstrap",
    "metering": "metering.bootstrap",
    "invoicing": "invoicing.bootstrap",
}

GATEWAY = "gateway"


def names() -> tuple[str, ...]:
    return tuple(SERVICES)


@cache
def definition(name: str) -> ServiceDefinition:
    if name not in SERVICES:
        raise KeyError(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
    module = importlib.import_module(SERVICES[name])
    found: ServiceDefinition = module.DEFINITION
    return found


def definitions() -> list[ServiceDefinition]:
    return [definition(name) for name in SERVICES]


def gateway_routes() -> dict[str, str]:
    """`/api/v1<prefix>` → service, for every route prefix a service declares."""
    return {
        f"/api/v1{prefix}": service.name for service in definitions() for prefix in service.routes
    }


def consumer_queues() -> dict[str, str]:
    """Every known consumer queue → the event type it is bound to, for central declaration."""
    return {
        f"{service.name}.on-{event_type}": event_type
        for service in definitions()
        for event_type in service.consumes
    }
