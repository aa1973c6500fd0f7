"""Client behaviour the sandbox cannot produce, over `httpx.MockTransport`: network failures,
odd envelopes, header spelling, inconsistent listings and the wait computation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from do_api import (
    DigitalOceanClient,
    DigitalOceanError,
    IncompleteListing,
    InvalidResponse,
    RateBudget,
    RateLimited,
    RetryPolicy,
    ServerError,
    TransportError,
)

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(fake_time, handler: Handler, **kw: Any) -> DigitalOceanClient:
    budget = kw.pop(
        "budget",
        RateBudget(clock=fake_time.monotonic, sleep=fake_time.sleep, wall_clock=fake_time.time),
    )
    return DigitalOceanClient(
        "dop_v1_test",
        base_url="https://do.test",
        transport=httpx.MockTransport(handler),
        budget=budget,
        sleep=fake_time.sleep,
        wall_clock=fake_time.time,
        **kw,
    )


def listing(key: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {key: items, **extra}


@pytest.mark.parametrize(
    "envelope",
    [
        {"droplets": [{"id": 1}, {"id": 2}]},  # no links at all
        {"droplets": [{"id": 1}, {"id": 2}], "links": {}, "meta": {"total": 2}},
        {"droplets": [{"id": 1}, {"id": 2}], "links": {"pages": {}}, "meta": {"total": 2}},
        {"droplets": [{"id": 1}, {"id": 2}], "links": None},
        {
            "droplets": [{"id": 1}, {"id": 2}],
            "links": {
                "pages": {
                    "first": "https://x/v2/droplets?page=1",
                    "last": "https://x/v2/droplets?page=1",
                }
            },
            "meta": {"total": 2},
        },
        {"droplets": [{"id": 1}, {"id": 2}], "links": {"pages": {"next": None}}},
    ],
)
async def test_single_page_shapes_take_one_call(fake_time, envelope: dict[str, Any]) -> None:
    async with client_for(fake_time, lambda r: httpx.Response(200, json=envelope)) as do:
        assert await do.list_all("/v2/droplets", "droplets") == [{"id": 1}, {"id": 2}]
        assert do.calls == 1


async def test_next_link_host_is_ignored_and_filters_are_kept(fake_time) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        page = int(request.url.params["page"])
        # the next link names another host and drops the type filter
        links = {
            "pages": {"next": f"https://elsewhere.example/v2/droplets?page={page + 1}&per_page=200"}
        }
        return httpx.Response(
            200,
            json={
                "droplets": [{"id": page}],
                "links": links if page < 3 else {},
                "meta": {"total": 3},
            },
        )

    async with client_for(fake_time, handler) as do:
        items = await do.list_all("/v2/droplets", "droplets", {"type": "gpus"})
    assert [i["id"] for i in items] == [1, 2, 3]
    assert {u.host for u in seen} == {"do.test"}
    assert all(u.params["type"] == "gpus" and u.params["per_page"] == "200" for u in seen)
    assert all(u.path == "/v2/droplets" for u in seen)


async def test_auth_header_and_per_page_clamp(fake_time) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"domains": [], "links": {}, "meta": {"total": 0}})

    async with client_for(fake_time, handler) as do:
        assert await do.list_all("v2/domains", "domains", {"per_page": 500, "name": None}) == []
    (request,) = seen
    assert request.headers["authorization"] == "Bearer dop_v1_test"
    assert dict(request.url.params) == {"per_page": "200", "page": "1"}


async def test_a_next_link_that_loops_raises(fake_time) -> None:
    body = {
        "droplets": [{"id": 1}],
        "links": {"pages": {"next": "https://do.test/v2/droplets?page=1&per_page=200"}},
    }
    async with client_for(fake_time, lambda r: httpx.Response(200, json=body)) as do:
        with pytest.raises(InvalidResponse):
            await do.list_all("/v2/droplets", "droplets")
        assert do.calls == 1  # the link points back at page 1, which was already read


async def test_missing_list_key_raises_instead_of_returning_nothing(fake_time) -> None:
    body = {"links": {}, "meta": {"total": 0}}
    async with client_for(fake_time, lambda r: httpx.Response(200, json=body)) as do:
        with pytest.raises(InvalidResponse):
            await do.list_all("/v2/droplets", "droplets")


async def test_count_disagreeing_with_total_is_read_again_then_raises(fake_time) -> None:
    body = {"droplets": [{"id": 1}, {"id": 2}], "links": {}, "meta": {"total": 3}}
    async with client_for(fake_time, lambda r: httpx.Response(200, json=body)) as do:
        with pytest.raises(IncompleteListing):
            await do.list_all("/v2/droplets", "droplets")
        assert do.calls == 2  # one full re-read
        assert await do.list_all("/v2/droplets", "droplets", check_total=False) == body["droplets"]


async def test_an_item_that_moved_between_pages_triggers_one_reread(fake_time) -> None:
    reads = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        if page == 1:
            reads["n"] += 1
            nxt = {"pages": {"next": "https://do.test/v2/droplets?page=2&per_page=200"}}
            return httpx.Response(
                200, json={"droplets": [{"id": 1}, {"id": 2}], "links": nxt, "meta": {"total": 3}}
            )
        # first read: droplet 1 was deleted after page 1, so page 2 shifted and total dropped
        if reads["n"] == 1:
            return httpx.Response(
                200, json={"droplets": [{"id": 4}], "links": {}, "meta": {"total": 2}}
            )
        return httpx.Response(
            200, json={"droplets": [{"id": 3}], "links": {}, "meta": {"total": 3}}
        )

    async with client_for(fake_time, handler) as do:
        items = await do.list_all("/v2/droplets", "droplets")
    assert [i["id"] for i in items] == [1, 2, 3]
    assert do.calls == 4


async def test_transport_errors_are_retried_then_raise_typed(fake_time) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with client_for(fake_time, handler, max_retries=3, jitter=lambda: 1.0) as do:
        with pytest.raises(TransportError) as caught:
            await do.get("/v2/account")
    assert do.calls == 4
    assert caught.value.status is None and caught.value.attempts == 4
    assert fake_time.sleeps == [0.5, 1.0, 2.0]  # base 0.5 doubling, full ceiling with jitter=1


async def test_read_timeout_then_success(fake_time) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"account": {"status": "active"}})

    async with client_for(fake_time, handler) as do:
        assert await do.get("/v2/account") == {"account": {"status": "active"}}
    assert do.calls == 2 and do.retries == 1


async def test_post_that_must_not_repeat_is_not_retried_after_sending(fake_time) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return httpx.Response(500, json={"id": "server_error", "message": "oops"})

    async with client_for(fake_time, handler) as do:
        with pytest.raises(ServerError):
            await do.post("/v2/projects", {"name": "x"}, retry_server_errors=False)
        assert do.calls == 1
        with pytest.raises(ServerError):
            await do.post("/v2/projects", {"name": "x"})
        assert do.calls == 1 + 6


async def test_ratelimit_headers_are_read_whatever_their_case(fake_time) -> None:
    budget = RateBudget(clock=fake_time.monotonic, sleep=fake_time.sleep, wall_clock=fake_time.time)
    headers = {
        "RateLimit-Limit": "5000",
        "RateLimit-Remaining": "42",
        "rateLimit-reset": str(int(fake_time.time()) + 900),
    }
    async with client_for(
        fake_time, lambda r: httpx.Response(200, json={}, headers=headers), budget=budget
    ) as do:
        await do.get("/v2/account")
    assert budget.remaining == 42


async def test_hourly_429_without_retry_after_waits_for_ratelimit_reset(fake_time) -> None:
    reset = int(fake_time.time()) + 1234
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            headers = {"ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
            return httpx.Response(
                429, json={"id": "too_many_requests", "message": "x"}, headers=headers
            )
        return httpx.Response(200, json={"ok": True})

    async with client_for(fake_time, handler, jitter=lambda: 0.0) as do:
        assert await do.get("/v2/account") == {"ok": True}
    assert fake_time.sleeps == [pytest.approx(1234.0)]


async def test_error_fields_from_body_or_headers(fake_time) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, text="<html>nope</html>", headers={"x-request-id": "req-123"})

    async with client_for(fake_time, handler) as do:
        with pytest.raises(DigitalOceanError) as caught:
            await do.get("/v2/whatever")
    err = caught.value
    assert type(err) is DigitalOceanError
    assert (err.status, err.error_id, err.request_id) == (422, None, "req-123")
    assert do.calls == 1  # other 4xx are not retried


async def test_get_text_returns_the_body(fake_time) -> None:
    csv = "product,group_description,description,hours,start,end,USD,project_name,category\n"
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=csv, headers={"content-type": "text/csv"})

    async with client_for(fake_time, handler) as do:
        assert await do.get_text("/v2/customers/my/invoices/abc/csv") == csv
    assert "text/csv" in seen[0].headers["accept"]


async def test_rate_limited_after_retries_carries_retry_after(fake_time) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429,
            json={"id": "too_many_requests", "message": "slow down"},
            headers={"retry-after": "3"},
        )

    async with client_for(fake_time, handler, max_retries=2) as do:
        with pytest.raises(RateLimited) as caught:
            await do.get("/v2/droplets")
    assert caught.value.retry_after == 3 and caught.value.attempts == 3
    assert len(fake_time.sleeps) == 2 and all(3 <= s <= 3.3 for s in fake_time.sleeps)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    low = RetryPolicy(backoff_base=0.5, backoff_cap=30.0, jitter=lambda: 0.0)
    high = RetryPolicy(backoff_base=0.5, backoff_cap=30.0, jitter=lambda: 1.0)
    assert [high.backoff(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert [low.backoff(n) for n in range(3)] == [0.25, 0.5, 1]
    assert high.server_wait(5) == 5.5 and low.server_wait(5) == 5
    assert high.server_wait(99_999) == 3601


def test_client_never_shows_its_token() -> None:
    client = DigitalOceanClient(
        "dop_v1_secretvalue", transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    assert "secretvalue" not in repr(client)
    assert "secretvalue" not in repr(client.budget)
