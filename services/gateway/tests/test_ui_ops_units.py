"""The operations pages' own small rules: which run of each name is shown, how long it took,
how an API value and an API refusal read on a page."""

from __future__ import annotations

import httpx

from gateway.ui.backend import ApiResult
from gateway.ui.pages_ops import (
    Registry,
    _problem_text,
    duration,
    event_details,
    latest_runs,
    shown_value,
)


def run(
    name: str, started: str, finished: str | None, latest: bool | None = None
) -> dict[str, object]:
    item: dict[str, object] = {"name": name, "started_at": started, "finished_at": finished}
    if latest is not None:
        item["latest"] = latest
    return item


def test_the_latest_run_of_each_name_in_the_apis_order() -> None:
    items = [
        run("sync", "2026-04-01T10:00:00Z", "2026-04-01T10:00:02Z", latest=True),
        run("rollup", "2026-04-01T09:00:00Z", None, latest=True),
        run("sync", "2026-04-01T09:45:00Z", "2026-04-01T09:45:01Z", latest=False),
    ]
    shown = latest_runs(items)
    assert [(r["name"], r["started_at"], r["duration"]) for r in shown] == [
        ("sync", "2026-04-01T10:00:00Z", "2.0 s"),
        ("rollup", "2026-04-01T09:00:00Z", "—"),
    ]
    # without the `latest` flag, the first of each name is the latest
    unflagged = [run("a", "2026-04-01T10:00:00Z", None), run("a", "2026-04-01T09:00:00Z", None)]
    assert [r["started_at"] for r in latest_runs(unflagged)] == ["2026-04-01T10:00:00Z"]
    assert latest_runs(["not a run", None]) == []


def test_durations_read_in_the_unit_that_fits() -> None:
    start = "2026-04-01T10:00:00+00:00"
    assert duration(start, "2026-04-01T10:00:00.250+00:00") == "250 ms"
    assert duration(start, "2026-04-01T10:00:12.44+00:00") == "12.4 s"
    assert duration(start, "2026-04-01T10:03:05+00:00") == "3 min 05 s"
    assert duration(start, "2026-04-01T11:02:59+00:00") == "1 h 02 min"
    assert duration("2026-04-01T10:00:00Z", "2026-04-01T10:00:01Z") == "1.0 s"
    assert duration(start, None) == "—"  # still running
    assert duration(start, "2026-04-01T09:00:00+00:00") == "—"  # a clock that went back
    assert duration("yesterday", start) == "—"


def test_api_values_as_text() -> None:
    assert shown_value("s-2vcpu-4gb") == "s-2vcpu-4gb"
    assert shown_value(None) == "—"
    assert shown_value(["web", "env:prod"]) == '["web", "env:prod"]'
    assert shown_value({"b": 1, "a": True}) == '{"a": true, "b": 1}'
    assert shown_value(80) == "80"


def result(status: int, data: object) -> ApiResult:
    return ApiResult(status, data, b"", httpx.Headers())


def test_api_refusals_read_as_one_line() -> None:
    assert _problem_text(result(409, {"detail": "classify the project"})) == "classify the project"
    invalid = {
        "detail": "the request is not valid",
        "errors": [
            {"loc": ["query", "tenant"], "msg": "Input should be a valid UUID"},
            {"loc": ["body"], "msg": "Field required"},
        ],
    }
    assert _problem_text(result(422, invalid)) == (
        "tenant: Input should be a valid UUID; body: Field required"
    )
    assert _problem_text(result(502, None)) == "the API answered 502"


def test_event_details_name_what_they_change() -> None:
    registry = Registry(
        tenants={"t1": "pilot"}, deployments={"d1": {"id": "d1", "name": "pilot-prod"}}
    )
    projects = {"p1": {"id": "p1", "name": "pilot-tenant"}}
    data = {
        "tenant_id": {"old": None, "new": "t1"},
        "deployment_id": {"old": "d1", "new": "d9"},
        "project_id": "p1",
        "size_slug": {"old": "s-1", "new": "s-2"},
        "tags": ["web"],
    }
    assert event_details(data, registry, projects) == [
        ("deployment_id", "pilot-prod → d9"),  # an id the viewer cannot name stays an id
        ("project_id", "pilot-tenant"),
        ("size_slug", "s-1 → s-2"),
        ("tags", '["web"]'),
        ("tenant_id", "— → pilot"),
    ]
    assert event_details(None, registry, projects) == []
