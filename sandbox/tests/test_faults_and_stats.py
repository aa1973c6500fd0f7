from __future__ import annotations

import pytest

from do_sandbox import RateLimit, create_app


async def test_fault_fails_the_next_matching_requests_after_letting_some_pass(app, api):
    app.state.account.faults.inject(path_prefix="/v2/droplets", status=503, times=2, after=1)

    statuses = [(await api.get("/v2/droplets")).status_code for _ in range(4)]

    assert statuses == [200, 503, 503, 200]
    assert app.state.account.faults.pending == []


async def test_fault_only_hits_its_prefix(app, api):
    app.state.account.faults.inject(path_prefix="/v2/droplets", status=500)

    assert (await api.get("/v2/domains")).status_code == 200
    response = await api.get("/v2/droplets/512340101/backups")

    assert response.status_code == 500
    body = response.json()
    assert body["id"] == "server_error"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_injected_429_has_retry_after_and_varying_messages(app, api):
    app.state.account.faults.inject(path_prefix="/v2/projects", status=429, times=3, retry_after=7)

    responses = [await api.get("/v2/projects") for _ in range(3)]

    assert {r.status_code for r in responses} == {429}
    assert {r.json()["id"] for r in responses} == {"too_many_requests"}
    assert {r.headers["retry-after"] for r in responses} == {"7"}
    assert len({r.json()["message"] for r in responses}) == 3
    assert responses[0].json()["message"] == "Too many requests"


async def test_injected_5xx_without_retry_after(app, api):
    app.state.account.faults.inject(path_prefix="/v2", status=502)

    response = await api.get("/v2/volumes")

    assert response.status_code == 502
    assert "retry-after" not in response.headers


def test_unsupported_fault_status_is_rejected(app):
    with pytest.raises(ValueError):
        app.state.account.faults.inject(path_prefix="/v2", status=418)


async def test_faults_over_http(api):
    created = await api.post(
        "/_sandbox/faults",
        json={"path_prefix": "/v2/domains", "status": 429, "times": 1, "retry_after": 3},
    )
    assert created.status_code == 201
    assert (await api.get("/_sandbox/faults")).json()["faults"] == [
        {"path_prefix": "/v2/domains", "status": 429, "times": 1, "retry_after": 3, "after": 0}
    ]

    limited = await api.get("/v2/domains")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"

    await api.post("/_sandbox/faults", json={"path_prefix": "/v2/domains", "status": 500})
    assert (await api.delete("/_sandbox/faults")).status_code == 204
    assert (await api.get("/v2/domains")).status_code == 200


async def test_bad_fault_over_http_is_rejected(api):
    response = await api.post("/_sandbox/faults", json={"path_prefix": "/v2", "status": 404})

    assert response.status_code == 422
    assert response.json()["id"] == "unprocessable_entity"


async def test_stats_count_calls_per_path_and_status(app, api, make_client):
    await api.get("/v2/droplets")
    await api.get("/v2/droplets?type=gpus")
    await api.get("/v2/droplets/512340101/backups")
    await api.get("/v2/droplets/1")
    async with make_client(app, token=None) as anonymous:
        await anonymous.get("/v2/domains")
    await api.get("/_sandbox/faults")

    stats = app.state.account.stats
    assert stats.total == 5
    assert stats.by_path["/v2/droplets"] == 2
    assert stats.calls("/v2/droplets") == 4
    assert stats.by_status == {200: 3, 404: 1, 401: 1}
    over_http = (await api.get("/_sandbox/stats")).json()
    assert over_http["total"] == 5
    assert over_http["by_path"]["/v2/droplets/512340101/backups"] == 1
    assert over_http["by_status"] == {"200": 3, "404": 1, "401": 1}

    assert (await api.delete("/_sandbox/stats")).status_code == 204
    assert stats.total == 0


async def test_rate_limited_and_faulted_requests_are_counted(make_client, clock):
    app = create_app("seeds", rate_limit=RateLimit(per_minute=1, clock=clock))
    app.state.account.faults.inject(path_prefix="/v2", status=503)
    async with make_client(app) as http:
        first = await http.get("/v2/droplets")
        second = await http.get("/v2/droplets")

    assert (first.status_code, second.status_code) == (503, 429)
    assert first.headers["ratelimit-remaining"] == "4999"
    assert app.state.account.stats.by_status == {503: 1, 429: 1}


async def test_injected_hourly_429_reports_nothing_remaining(make_client, clock):
    app = create_app("seeds", rate_limit=RateLimit(clock=clock))
    app.state.account.faults.inject(path_prefix="/v2/droplets", status=429, times=1)

    async with make_client(app) as api:
        limited = await api.get("/v2/droplets")
        after = await api.get("/v2/droplets")

    assert limited.status_code == 429
    assert limited.headers["ratelimit-remaining"] == "0"
    assert "retry-after" not in limited.headers
    assert int(after.headers["ratelimit-remaining"]) > 0
