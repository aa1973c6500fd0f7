"""Prometheus metric objects shared by every service in the process (one default registry).

Metrics are module-level singletons: `arcadia up` runs every service in one process, so a
metric must be created once however many apps and services are built. Served at `/metrics`
by `arcadia_core.http`.

- Sync: `arcadia_sync_duration_seconds{kind,result}` (histogram), `arcadia_sync_total{kind,result}`
  and `arcadia_sync_last_success_timestamp_seconds{kind}`; `result` is `ok` or `failed`.
- HTTP: prometheus-fastapi-instrumentator's `http_requests_total{handler,status,method}`,
  `http_request_duration_seconds{handler,method}`, `http_request_duration_highr_seconds`,
  `http_request_size_bytes`, `http_response_size_bytes` (`instrument(app)`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import metrics as http_metrics

OK = "ok"
FAILED = "failed"

SYNC_DURATION = Histogram(
    "arcadia_sync_duration_seconds",
    "Time to list and apply one resource kind, by result.",
    ["kind", "result"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
SYNC_TOTAL = Counter("arcadia_sync", "Syncs of one resource kind, by result.", ["kind", "result"])
SYNC_LAST_SUCCESS = Gauge(
    "arcadia_sync_last_success_timestamp_seconds",
    "Unix time at which the last successful sync of a kind ended.",
    ["kind"],
)


def record_sync(kind: str, *, seconds: float, ok: bool, now: float | None = None) -> None:
    """Count one sync of `kind` that took `seconds` and succeeded (`ok`) or failed."""
    result = OK if ok else FAILED
    SYNC_DURATION.labels(kind, result).observe(seconds)
    SYNC_TOTAL.labels(kind, result).inc()
    if ok:
        SYNC_LAST_SUCCESS.labels(kind).set(time.time() if now is None else now)


@contextmanager
def timed_sync(kind: str) -> Iterator[None]:
    """Record the enclosed sync of `kind`: failed if it raises, ok otherwise."""
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        record_sync(kind, seconds=time.perf_counter() - started, ok=False)
        raise
    record_sync(kind, seconds=time.perf_counter() - started, ok=True)


# Built once: the instrumentator's own default would register its metrics again for a
# second app in the process, fail as a duplicate, and silently record nothing for it.
_HTTP_INSTRUMENTATION = http_metrics.default()
UNINSTRUMENTED_PATHS = ("/metrics", "/healthz", "/readyz")


def instrument(app: FastAPI) -> FastAPI:
    """HTTP request metrics for `app` (count, latency, sizes by route template and status)."""
    instrumentator = Instrumentator(excluded_handlers=list(UNINSTRUMENTED_PATHS))
    if _HTTP_INSTRUMENTATION is not None:
        instrumentator.add(_HTTP_INSTRUMENTATION)
    instrumentator.instrument(app)
    return app
