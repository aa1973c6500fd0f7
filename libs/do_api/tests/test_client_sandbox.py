"""The client against the DO sandbox, in-process over `httpx.ASGITransport`.

Every retry wait and budget wait goes through the `fake_time` fixture, so nothing really sleeps.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from do_api import (
    DigitalOceanClient,
    NotFound,
    RateBudget,
    ServerError,
    Unauthorized,
)
from do_sandbox import create_app, scenarios
from do_sandbox.ratelimit import RateLimit

TOKEN = "dop_v1_sandboxtoken"


@pytest.fixture(scope="module")
def generated_app() -> Any:
    """1,000 regular droplets (+10 GPU); no server rate limit unless a test asks for one."""
    return create_app(scenarios.load("generated", droplets=1000), rate_limit=None)


@pytest.fixture(scope="module")
def seeds_app() -> Any:
    return create_app("seeds", rate_limit=None)


@pytest.fixture
def generated(generated_app: Any) -> Any:
    generated_app.state.account.faults.clear()
    generated_app.state.account.stats.clear()
    yield generated_app
    generated_app.state.account.faults.clear()


@pytest.fixture
def seeds(seeds_app: Any) -> Any:
    seeds_app.state.account.faults.clear()
    seeds_app.state.account.stats.clear()
    yield seeds_app
    seeds_app.state.account.faults.clear()


def fake_budget(fake_time, per_minute: int = 250, per_hour: int = 5000) -> RateBudget:
    return RateBudget(
        per_minute,
        per_hour,
        clock=fake_time.monotonic,
        sleep=fake_time.sleep,
        wall_clock=fake_time.time,
    )


def client(app: Any, fake_time, *, token: str = TOKEN, **kw: Any) -> DigitalOceanClient:
    kw.setdefault("budget", fake_budget(fake_time))
    return DigitalOceanClient(
        token,
        base_url="http://sandbox.test",
        transport=httpx.ASGITransport(app=app),
        sleep=fake_time.sleep,
        wall_clock=fake_time.time,
        **kw,
    )


# -- paging --------------------------------------------------------------------------------------


async def test_thousand_droplets_take_five_calls_at_200_per_page(generated, fake_time) -> None:
    async with client(generated, fake_time) as do:
        pages = [page async for page in do.iter_pages("/v2/droplets", "droplets")]
        assert [len(p.items) for p in pages] == [200] * 5
        assert [p.number for p in pages] == [1, 2, 3, 4, 5]
        total = pages[0].total
        assert total == 1000
        assert do.calls == 5

        droplets = await do.list_all("/v2/droplets", "droplets")
        assert do.calls == 10
    assert len(droplets) == total
    assert len({d["id"] for d in droplets}) == total
    assert not any(d.get("gpu_info") for d in droplets)  # GPUs only with type=gpus
    assert generated.state.account.stats.calls("/v2/droplets") == 10
    assert fake_time.sleeps == []


async def test_single_page_listing_with_empty_links(seeds, fake_time) -> None:
    async with client(seeds, fake_time) as do:
        raw = await do.get("/v2/domains", {"per_page": 200})
        assert raw["links"] == {}
        domains = await do.list_all("/v2/domains", "domains")
        assert do.calls == 2
    assert len(domains) == raw["meta"]["total"] > 0


async def test_single_page_with_first_and_last_links_is_one_call(seeds, fake_time) -> None:
    async with client(seeds, fake_time) as do:
        raw = await do.get("/v2/projects", {"per_page": 200})
        assert set(raw["links"]["pages"]) == {"first", "last"}  # as the real Projects API shows
        projects = await do.list_all("/v2/projects", "projects")
        assert do.calls == 2
    assert len(projects) == raw["meta"]["total"]


async def test_gpu_droplets_are_listed_with_type_gpus(generated, fake_time) -> None:
    async with client(generated, fake_time) as do:
        gpus = await do.list_all("/v2/droplets", "droplets", {"type": "gpus"})
        assert do.calls == 1
        assert len(gpus) == 10
        assert all(d["gpu_info"] for d in gpus)
        # across several pages the filter is kept on every page
        small = await do.list_all("/v2/droplets", "droplets", {"type": "gpus", "per_page": 3})
        assert do.calls == 1 + 4
    assert [d["id"] for d in small] == [d["id"] for d in gpus]


async def test_seeds_gpu_droplet(seeds, fake_time) -> None:
    async with client(seeds, fake_time) as do:
        gpus = await do.list_all("/v2/droplets", "droplets", {"type": "gpus"})
        regular = await do.list_all("/v2/droplets", "droplets")
    assert [d["name"] for d in gpus] == ["gpu-train-01"]
    assert "gpu-train-01" not in {d["name"] for d in regular}


# -- retries -------------------------------------------------------------------------------------


async def test_429_with_retry_after_is_waited_out_then_succeeds(generated, fake_time) -> None:
    generated.state.account.faults.inject(
        path_prefix="/v2/droplets", status=429, times=1, retry_after=7, after=2
    )
    async with client(generated, fake_time) as do:
        droplets = await do.list_all("/v2/droplets", "droplets")
        assert do.calls == 6
        assert do.retries == 1
    assert len(droplets) == 1000
    assert len(fake_time.sleeps) == 1
    assert 7.0 <= fake_time.sleeps[0] <= 7.7  # retry-after plus at most 10% jitter


async def test_429_is_retried_whatever_its_message(generated, fake_time) -> None:
    # The sandbox cycles "Too many requests", "API rate limit exceeded.", "API Rate limit exceeded."
    generated.state.account.faults.inject(path_prefix="/v2/droplets", status=429, times=3)
    async with client(generated, fake_time, jitter=lambda: 1.0) as do:
        gpus = await do.list_all("/v2/droplets", "droplets", {"type": "gpus"})
        assert do.calls == 4
    assert len(gpus) == 10
    # no retry-after, and requests remain in the hour: exponential backoff, not ratelimit-reset
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


async def test_5xx_storm_exhausts_retries_and_returns_nothing(generated, fake_time) -> None:
    generated.state.account.faults.inject(
        path_prefix="/v2/droplets", status=500, times=100, after=2
    )
    result: list[dict[str, Any]] | None = None
    async with client(generated, fake_time, jitter=lambda: 0.0) as do:
        with pytest.raises(ServerError) as caught:
            result = await do.list_all("/v2/droplets", "droplets")
        assert do.calls == 2 + 6  # two good pages, then the first try and 5 retries of page 3
    assert result is None
    err = caught.value
    assert (err.status, err.error_id, err.attempts) == (500, "server_error", 6)
    assert err.request_id
    assert fake_time.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0]


async def test_502_and_503_then_success(generated, fake_time) -> None:
    faults = generated.state.account.faults
    faults.inject(path_prefix="/v2/droplets", status=502, times=2)
    faults.inject(path_prefix="/v2/droplets", status=503, times=2)
    async with client(generated, fake_time) as do:
        droplets = await do.list_all("/v2/droplets", "droplets")
        assert do.calls == 4 + 5
        assert do.retries == 4
    assert len(droplets) == 1000


async def test_401_raises_unauthorized_without_retrying(fake_time) -> None:
    app = create_app("seeds", tokens={"dop_v1_good"}, rate_limit=None)
    async with client(app, fake_time, token="dop_v1_wrong") as do:
        with pytest.raises(Unauthorized) as caught:
            await do.list_all("/v2/droplets", "droplets")
        assert do.calls == 1
    assert fake_time.sleeps == []
    assert caught.value.status == 401 and caught.value.error_id == "unauthorized"
    assert caught.value.request_id
    async with client(app, fake_time, token="dop_v1_good") as do:
        assert await do.list_all("/v2/droplets", "droplets")


async def test_404_raises_not_found_with_request_id(seeds, fake_time) -> None:
    async with client(seeds, fake_time) as do:
        with pytest.raises(NotFound) as caught:
            await do.get("/v2/droplets/1")
        assert do.calls == 1
    assert caught.value.error_id == "not_found" and caught.value.request_id


async def test_post_creates_a_project(fake_time) -> None:
    app = create_app("seeds", rate_limit=None)
    async with client(app, fake_time) as do:
        created = await do.post(
            "/v2/projects", {"name": "do-api-test", "purpose": "Web Application"}
        )
        assert created["project"]["name"] == "do-api-test"
        projects = await do.list_all("/v2/projects", "projects")
    assert "do-api-test" in {p["name"] for p in projects}


# -- rate limiting against the sandbox's own limiter ---------------------------------------------


async def test_server_burst_limit_429s_are_waited_out(fake_time) -> None:
    app = create_app(
        "seeds", rate_limit=RateLimit(per_minute=5, per_hour=1000, clock=fake_time.time)
    )
    async with client(app, fake_time) as do:  # the local budget allows 250/min: the server says no
        for _ in range(12):
            await do.get("/v2/domains")
    stats = app.state.account.stats
    assert stats.by_status[429] >= 1
    assert stats.by_status[200] == 12
    assert do.calls == 12 + stats.by_status[429]
    assert all(s >= 1 for s in fake_time.sleeps)  # server-directed waits, never a hot loop


async def test_a_budget_matching_the_server_avoids_429s(fake_time) -> None:
    app = create_app(
        "seeds", rate_limit=RateLimit(per_minute=5, per_hour=1000, clock=fake_time.time)
    )
    budget = fake_budget(fake_time, per_minute=5, per_hour=1000)
    async with client(app, fake_time, budget=budget) as do:
        for _ in range(12):
            await do.get("/v2/domains")
        assert do.calls == 12
    assert app.state.account.stats.by_status.get(429, 0) == 0
    assert fake_time.sleeps == [pytest.approx(60.0), pytest.approx(60.0)]


async def test_server_headers_lower_the_budget_when_another_process_shares_the_token(
    fake_time,
) -> None:
    app = create_app(
        "seeds", rate_limit=RateLimit(per_minute=1000, per_hour=100, clock=fake_time.time)
    )
    other_process = client(app, fake_time, budget=fake_budget(fake_time, 1000, 100))
    async with other_process:
        for _ in range(90):
            await other_process.get("/v2/domains")

    budget = fake_budget(fake_time, per_minute=1000, per_hour=100)
    async with client(app, fake_time, budget=budget) as do:
        await do.get("/v2/domains")
        assert budget.remaining == 9  # the server's count, not the local 99
        for _ in range(9):
            await do.get("/v2/domains")
        assert budget.remaining == 0
        assert fake_time.sleeps == []
        await do.get("/v2/domains")  # waits (budget, then the server's reset) instead of failing
    assert fake_time.now >= 3600 - 1  # until the other process's first request left the hour
    assert app.state.account.stats.by_status[200] == 101


async def test_two_clients_of_one_token_share_one_budget(seeds, fake_time) -> None:
    budget = fake_budget(fake_time, per_minute=5, per_hour=1000)
    async with (
        client(seeds, fake_time, budget=budget) as a,
        client(seeds, fake_time, budget=budget) as b,
    ):
        for _ in range(3):
            await a.get("/v2/domains")
            await b.get("/v2/domains")
    assert (a.calls, b.calls) == (3, 3)
    assert fake_time.sleeps == [pytest.approx(60.0)]  # the sixth call of the minute waited


async def test_default_budget_is_the_process_wide_one_per_token(seeds, fake_time) -> None:
    transport = httpx.ASGITransport(app=seeds)
    kw: dict[str, Any] = {"base_url": "http://sandbox.test", "transport": transport}
    async with (
        DigitalOceanClient(TOKEN, label="sync_full", **kw) as a,
        DigitalOceanClient(TOKEN, label="billing", **kw) as b,
        DigitalOceanClient("dop_v1_another", **kw) as c,
    ):
        assert a.budget is b.budget
        assert c.budget is not a.budget
        await a.get("/v2/domains")
        await b.get("/v2/domains")
        assert a.budget.remaining == 248
        assert c.budget.remaining == 250
    for label in ("sync_full", "billing"):
        value = REGISTRY.get_sample_value("arcadia_do_rate_budget_remaining", {"token": label})
        assert value == 248
