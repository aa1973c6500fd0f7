from __future__ import annotations

import math

import pytest

from do_sandbox import RateLimit, create_app


@pytest.fixture
def app(clock):
    return create_app("seeds", rate_limit=RateLimit(per_minute=5, per_hour=8, clock=clock))


async def test_every_response_carries_rate_headers(api, clock):
    start = clock.now
    first = await api.get("/v2/droplets")
    clock.advance(10)
    second = await api.get("/v2/droplets/123")

    assert first.headers["ratelimit-limit"] == "8"
    assert first.headers["ratelimit-remaining"] == "7"
    assert second.status_code == 404
    assert second.headers["ratelimit-remaining"] == "6"
    assert second.headers["ratelimit-reset"] == str(math.ceil(start + 3600))


async def test_burst_limit_answers_429_with_retry_after(api, clock):
    for _ in range(5):
        assert (await api.get("/v2/droplets")).status_code == 200
        clock.advance(2)

    response = await api.get("/v2/droplets")

    assert response.status_code == 429
    body = response.json()
    assert body["id"] == "too_many_requests"
    assert body["message"] == "API rate limit exceeded."
    assert response.headers["retry-after"] == "50"
    assert response.headers["ratelimit-remaining"] == "0"


async def test_burst_window_slides(api, clock):
    for _ in range(5):
        await api.get("/v2/droplets")
    clock.advance(59)
    assert (await api.get("/v2/droplets")).status_code == 429

    clock.advance(1)
    response = await api.get("/v2/droplets")

    assert response.status_code == 200
    assert response.headers["ratelimit-remaining"] == "2"


async def test_hourly_limit_has_no_retry_after_and_reset_is_oldest_expiry(api, clock):
    start = clock.now
    for _ in range(8):
        assert (await api.get("/v2/droplets")).status_code == 200
        clock.advance(61)

    response = await api.get("/v2/droplets")

    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert response.headers["ratelimit-reset"] == str(math.ceil(start + 3600))
    clock.now = start + 3600
    assert (await api.get("/v2/droplets")).status_code == 200


async def test_limits_are_per_token(app, make_client):
    async with make_client(app, "dop_v1_a") as a, make_client(app, "dop_v1_b") as b:
        for _ in range(5):
            await a.get("/v2/droplets")
        assert (await a.get("/v2/droplets")).status_code == 429
        assert (await b.get("/v2/droplets")).status_code == 200


async def test_unauthenticated_requests_carry_no_rate_headers(app, make_client):
    async with make_client(app, token=None) as http:
        response = await http.get("/v2/droplets")

    assert response.status_code == 401
    assert "ratelimit-limit" not in response.headers


async def test_defaults_are_250_a_minute_and_5000_an_hour(make_client, clock):
    app = create_app("seeds", rate_limit=RateLimit(clock=clock))
    async with make_client(app) as http:
        responses = [await http.get("/v2/domains") for _ in range(251)]

    assert [r.status_code for r in responses[:250]] == [200] * 250
    assert responses[249].headers["ratelimit-limit"] == "5000"
    assert responses[249].headers["ratelimit-remaining"] == "4750"
    assert responses[250].status_code == 429
    assert responses[250].headers["retry-after"] == "60"


async def test_disabled_rate_limit_sends_no_headers(make_client):
    app = create_app("seeds", rate_limit=None)
    async with make_client(app) as http:
        response = await http.get("/v2/droplets")

    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers
