"""Prometheus metrics of event delivery (exposed by every service's `/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_PENDING = Gauge(
    "arcadia_outbox_pending",
    "Outbox rows not yet sent (due, backing off or leased), parked rows excluded",
    ["schema"],
)
OUTBOX_OLDEST_UNSENT_AGE = Gauge(
    "arcadia_outbox_oldest_unsent_age_seconds",
    "Age of the oldest unsent, unparked outbox row (0 when there is none)",
    ["schema"],
)
OUTBOX_PARKED = Gauge(
    "arcadia_outbox_parked",
    "Outbox rows parked after too many failed publishes (see `arcadia outbox status`)",
    ["schema"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "arcadia_outbox_publish_failures",
    "Failed outbox publishes: `broker` for the broker being unavailable (one per pass), "
    "`row` for one row failing",
    ["schema", "kind"],
)
OUTBOX_SENT = Counter("arcadia_outbox_sent", "Outbox rows published and marked sent", ["schema"])
DLQ_DEPTH = Gauge("arcadia_dlq_depth", "Messages waiting in a dead-letter queue", ["queue"])
CONSUMER_FAILURES = Counter(
    "arcadia_consumer_failures",
    "Failed deliveries to a consumer by outcome: `transient` (retried later), `poison` "
    "(dead-lettered at once), `error` (dead-lettered after quick retries)",
    ["queue", "outcome"],
)
