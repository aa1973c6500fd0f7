"""Observability: one logging setup with the correlation id on every line, the correlation id
from HTTP through emitted events and consumers into jobs, and the shared Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Self
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import APIRouter
from prometheus_client import REGISTRY

from arcadia_core import logging as arcadia_logging
from arcadia_core import metrics
from arcadia_core.consumers import consume
from arcadia_core.context import correlation, correlation_id_from, current_correlation_id
from arcadia_core.events import CatchUpRequested, Envelope
from arcadia_core.http import service_app
from arcadia_core.jobs import JobRunner
from arcadia_core.settings import ArcadiaSettings
from arcadia_core.uow import SqlUnitOfWork

CAUSE = UUID("6f1c3b0e-0d8c-4d55-9b1e-2f7d9a4c1e01")


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Restores the root logger after a test configured it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_json_lines_carry_the_correlation_id(
    log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCADIA_LOG_FORMAT", "json")
    arcadia_logging.configure(level="INFO", stream=log_stream)
    log = logging.getLogger("arcadia.test")
    log.info("outside")
    with correlation(CAUSE):
        log.warning("inside %s", "a request")
        logging.getLogger("uvicorn.access").info('"GET /x HTTP/1.1" 200')
    log.debug("dropped below INFO")

    records = [json.loads(line) for line in _lines(log_stream)]
    assert [(r["logger"], r["level"], r["message"], r["correlation_id"]) for r in records] == [
        ("arcadia.test", "INFO", "outside", None),
        ("arcadia.test", "WARNING", "inside a request", str(CAUSE)),
        ("uvicorn.access", "INFO", '"GET /x HTTP/1.1" 200', str(CAUSE)),
    ]
    assert all("time" in r for r in records)


def test_text_lines_carry_the_correlation_id_and_configure_replaces_itself(
    log_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARCADIA_LOG_FORMAT", raising=False)
    arcadia_logging.configure(level="INFO", stream=io.StringIO())
    arcadia_logging.configure(level="INFO", stream=log_stream)  # again: still one handler
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "arcadia"]
    assert len(ours) == 1
    log = logging.getLogger("arcadia.test")
    log.info("idle")
    with correlation(CAUSE):
        log.info("busy")
    lines = _lines(log_stream)
    assert len(lines) == 2
    assert lines[0].endswith("INFO arcadia.test [correlation_id=-] idle")
    assert lines[1].endswith(f"INFO arcadia.test [correlation_id={CAUSE}] busy")
    # chatty libraries are held at WARNING unless verbose
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING


def test_a_bad_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCADIA_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="ARCADIA_LOG_FORMAT"):
        arcadia_logging.configure()
    assert arcadia_logging.log_format("JSON") == "json"


def test_request_ids_map_to_correlation_ids() -> None:
    assert correlation_id_from(str(CAUSE)) == CAUSE
    derived = correlation_id_from("req-42")
    assert derived is not None and derived == correlation_id_from("req-42")
    assert derived != correlation_id_from("req-43")
    assert correlation_id_from("") is None and correlation_id_from(None) is None
    with correlation(None, new_if_missing=True) as fresh:
        assert fresh is not None and current_correlation_id() == fresh
    assert current_correlation_id() is None


def _app() -> Any:
    router = APIRouter()

    @router.get("/whoami")
    async def whoami() -> dict[str, str | None]:
        current = current_correlation_id()
        logging.getLogger("arcadia.test").info("handling")
        return {"correlation_id": str(current) if current else None}

    return service_app(
        title="t",
        description="t",
        settings=ArcadiaSettings(),
        routers=[router],
        ready_checks={},
    )


async def test_http_requests_run_under_their_request_id_and_are_measured() -> None:
    app = _app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        given = await client.get("/whoami", headers={"X-Request-Id": str(CAUSE)})
        assert given.json() == {"correlation_id": str(CAUSE)}
        assert given.headers["x-request-id"] == str(CAUSE)

        foreign = await client.get("/whoami", headers={"X-Request-Id": "edge-proxy-7"})
        assert foreign.headers["x-request-id"] == "edge-proxy-7"
        assert foreign.json() == {"correlation_id": str(correlation_id_from("edge-proxy-7"))}

        fresh = await client.get("/whoami")
        assert fresh.json() == {"correlation_id": fresh.headers["x-request-id"]}
        assert UUID(fresh.headers["x-request-id"]) != CAUSE
        assert current_correlation_id() is None  # nothing leaks out of a request

        before = REGISTRY.get_sample_value(
            "http_requests_total", {"handler": "/whoami", "method": "GET", "status": "2xx"}
        )
        await client.get("/whoami")
        exposed = (await client.get("/metrics")).text
    after = REGISTRY.get_sample_value(
        "http_requests_total", {"handler": "/whoami", "method": "GET", "status": "2xx"}
    )
    assert before is not None and after == before + 1
    assert "http_request_duration_seconds_bucket" in exposed
    assert 'handler="/metrics"' not in exposed


async def test_a_second_app_in_the_process_is_measured_too() -> None:
    # prometheus-fastapi-instrumentator's own default registers its metrics per app and
    # silently records nothing for the second one; every service app must count
    labels = {"handler": "/whoami", "method": "GET", "status": "2xx"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
    for app in (_app(), _app()):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://svc"
        ) as client:
            assert (await client.get("/whoami")).status_code == 200
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 2


class _Outbox(SqlUnitOfWork):
    producer = "test"


def _request() -> CatchUpRequested:
    return CatchUpRequested(service="test", requested_at=datetime.now(UTC))


def test_emitted_events_take_the_correlation_id_of_the_work_in_progress() -> None:
    work = _Outbox(None, outbox=None, inbox=None)  # type: ignore[arg-type]
    work.emit(_request())
    with correlation(CAUSE):
        work.emit(_request())
    explicit = uuid4()
    pinned = _Outbox(None, outbox=None, inbox=None, correlation_id=explicit)  # type: ignore[arg-type]
    with correlation(CAUSE):
        pinned.emit(_request())
    assert [e.correlation_id for e in work._pending] == [None, CAUSE]
    assert [e.correlation_id for e in pinned._pending] == [explicit]


class _MemoryInbox:
    """An in-memory unit of work with an inbox, for the consumer helper."""

    claimed: set[tuple[str, UUID]] = set()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def claim_event(self, consumer: str, event_id: UUID) -> bool:
        if (consumer, event_id) in self.claimed:
            return False
        self.claimed.add((consumer, event_id))
        return True

    async def commit(self) -> None:
        return None


async def test_consumers_and_the_jobs_they_enqueue_run_under_the_events_correlation_id(
    database_url: str,
) -> None:
    runner = JobRunner(database_url, schema="observed", service="observed")
    in_job: list[UUID | None] = []

    @runner.job("follow_up")
    async def follow_up(payload: dict[str, Any]) -> None:
        in_job.append(current_correlation_id())

    in_apply: list[UUID | None] = []

    async def apply(work: _MemoryInbox, payload: CatchUpRequested, envelope: Envelope) -> None:
        in_apply.append(current_correlation_id())
        await runner.enqueue("follow_up", {"service": payload.service})

    subscription = consume("observed", CatchUpRequested, uow=_MemoryInbox, apply=apply)
    caused = _request().envelope(producer="http", correlation_id=CAUSE)
    uncaused = _request().envelope(producer="job")
    try:
        await runner.install()
        await subscription.handler(caused)
        await subscription.handler(uncaused)
        await runner.run_until_idle()
    finally:
        await runner.close()
    assert in_apply == [CAUSE, uncaused.id]  # an event without one is its own cause
    assert sorted(map(str, in_job)) == sorted([str(CAUSE), str(uncaused.id)])
    assert current_correlation_id() is None


def test_sync_metrics_record_duration_result_and_last_success() -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    ok_before = sample("arcadia_sync_total", kind="teapot", result="ok")
    failed_before = sample("arcadia_sync_total", kind="teapot", result="failed")
    with metrics.timed_sync("teapot"):
        pass
    last = sample("arcadia_sync_last_success_timestamp_seconds", kind="teapot")
    with pytest.raises(RuntimeError), metrics.timed_sync("teapot"):
        raise RuntimeError("listing failed")
    assert sample("arcadia_sync_total", kind="teapot", result="ok") == ok_before + 1
    assert sample("arcadia_sync_total", kind="teapot", result="failed") == failed_before + 1
    assert sample("arcadia_sync_duration_seconds_count", kind="teapot", result="failed") >= 1
    assert last > 0
    # a failure leaves the last success where it was
    assert sample("arcadia_sync_last_success_timestamp_seconds", kind="teapot") == last
    metrics.record_sync("teapot", seconds=1.5, ok=True, now=2_000_000_000.0)
    assert sample("arcadia_sync_last_success_timestamp_seconds", kind="teapot") == 2e9
