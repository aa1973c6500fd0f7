"""The API's routers, one module per resource kind, plus the ``/_sandbox`` controls."""

from __future__ import annotations

from fastapi import APIRouter

from do_sandbox.routes import (
    domains,
    droplets,
    firewalls,
    load_balancers,
    projects,
    reserved_ips,
    sandbox,
    snapshots,
    volumes,
)

ROUTERS: tuple[APIRouter, ...] = (
    droplets.router,
    projects.router,
    domains.router,
    volumes.router,
    snapshots.router,
    reserved_ips.router,
    firewalls.router,
    load_balancers.router,
    sandbox.router,
)
