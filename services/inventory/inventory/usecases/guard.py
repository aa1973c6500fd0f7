"""The mass-delete guard's report: a log line an operator can act on, and a metric to alert on."""

from __future__ import annotations

import logging

from inventory import metrics

log = logging.getLogger("inventory.usecases.sync")


def report_mass_delete(kind: str, held_back: int, live: int) -> None:
    metrics.MASS_DELETE_HELD.labels(kind=kind).set(held_back)
    if held_back:
        metrics.MASS_DELETE_TRIPS.labels(kind=kind).inc()
        log.error(
            "mass-delete guard: the %s listing would strike %d of %d live resources at once; "
            "nothing was struck. If they really are gone, run `arcadia sync --kind %s "
            "--allow-mass-delete`; otherwise check the DigitalOcean token and its scopes",
            kind,
            held_back,
            live,
            kind,
        )
