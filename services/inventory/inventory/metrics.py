"""The inventory's own Prometheus metrics (served on /metrics with the rest)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

MASS_DELETE_HELD = Gauge(
    "arcadia_inventory_mass_delete_held_resources",
    "Strikes the mass-delete guard is holding back per kind (0 when it is not)",
    ["kind"],
)
MASS_DELETE_TRIPS = Counter(
    "arcadia_inventory_mass_delete_guard_trips",
    "Listings the mass-delete guard refused to strike from, per kind",
    ["kind"],
)
WRITE_CONFLICTS = Counter(
    "arcadia_inventory_write_conflicts",
    "Inventory transactions redone because a row changed since it was read",
)
