"""RateBudget against a fake clock: sliding windows, server readings, holds, the registry."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from do_api import RateBudget, budget_for, token_for, token_label


def make_budget(fake_time, per_minute: int = 250, per_hour: int = 5000, **kw) -> RateBudget:
    return RateBudget(
        per_minute,
        per_hour,
        clock=fake_time.monotonic,
        sleep=fake_time.sleep,
        wall_clock=fake_time.time,
        **kw,
    )


async def test_burst_window_waits_for_the_oldest_request_to_leave_the_minute(fake_time):
    budget = make_budget(fake_time)
    for _ in range(250):
        await budget.acquire()
    assert fake_time.sleeps == []
    assert budget.remaining == 0

    await budget.acquire()  # the 251st request in the same minute
    assert fake_time.sleeps == [pytest.approx(60.0)]
    assert fake_time.now == pytest.approx(60.0)
    assert budget.remaining == 249


async def test_minute_window_slides_rather_than_resetting(fake_time):
    budget = make_budget(fake_time)
    for _ in range(100):
        await budget.acquire()
    fake_time.advance(30)
    for _ in range(150):
        await budget.acquire()
    assert fake_time.sleeps == []

    await budget.acquire()  # full: the 100 from t=0 leave at t=60
    assert fake_time.sleeps == [pytest.approx(30.0)]
    for _ in range(99):  # their 100 slots are free now (one taken above)
        await budget.acquire()
    assert len(fake_time.sleeps) == 1
    await budget.acquire()  # next slot: the 150 from t=30 leave at t=90
    assert fake_time.sleeps[-1] == pytest.approx(30.0)
    assert fake_time.now == pytest.approx(90.0)


async def test_hourly_window_waits_for_the_oldest_request_of_the_hour(fake_time):
    budget = make_budget(fake_time, per_minute=250, per_hour=500)
    for _ in range(500):
        await budget.acquire()
    assert fake_time.sleeps == [pytest.approx(60.0)]  # 250 at t=0, 250 at t=60
    assert budget.remaining == 0

    await budget.acquire()
    assert fake_time.now == pytest.approx(3600.0)  # the requests of t=0 leave the hour
    assert budget.remaining == 249  # the minute window (250 at t=60 are gone) allows 249 more


async def test_many_concurrent_acquirers_wait_instead_of_failing(fake_time):
    budget = make_budget(fake_time, per_minute=10, per_hour=5000)
    stamps: list[float] = []

    async def one() -> None:
        await budget.acquire()
        stamps.append(fake_time.now)

    await asyncio.gather(*(one() for _ in range(35)))
    assert len(stamps) == 35
    # never more than 10 starts in any 60-second window
    for start in stamps:
        assert sum(1 for s in stamps if start <= s < start + 60) <= 10
    assert budget.waits > 0


async def test_observe_lowers_the_allowance_to_what_the_server_reports(fake_time):
    budget = make_budget(fake_time, per_minute=10_000, per_hour=5000)
    await budget.acquire()
    # Another process has used most of the token's hour: 10 left, oldest leaves in 600 s.
    budget.observe(10, fake_time.time() + 600)
    assert budget.remaining == 10
    for _ in range(10):
        await budget.acquire()
    assert fake_time.sleeps == []
    assert budget.remaining == 0

    await budget.acquire()  # waits for the server's reset, not for the local hour
    assert fake_time.sleeps == [pytest.approx(600.0)]
    assert budget.remaining == 5000 - 12


async def test_observe_never_raises_the_allowance_above_the_local_windows(fake_time):
    budget = make_budget(fake_time, per_minute=250, per_hour=5000)
    for _ in range(200):
        await budget.acquire()
    budget.observe(4800, fake_time.time() + 3000)
    assert budget.remaining == 50  # the local minute window is stricter


async def test_zero_remaining_holds_for_at_most_a_burst_window(fake_time):
    budget = make_budget(fake_time)
    # remaining 0 may only be the burst limit; the reset (the hour's oldest) is far away
    budget.observe(0, fake_time.time() + 3000)
    assert budget.remaining == 0
    await budget.acquire()
    assert fake_time.sleeps == [pytest.approx(60.0)]

    budget.observe(0, fake_time.time() + 12)  # a near reset is honoured as is
    await budget.acquire()
    assert fake_time.sleeps[-1] == pytest.approx(12.0)


async def test_observe_limit_header_lowers_the_hourly_limit(fake_time):
    budget = make_budget(fake_time, per_hour=5000)
    budget.observe(None, None, limit=1200)
    assert budget.per_hour == 1200
    budget.observe(None, None, limit=9000)
    assert budget.per_hour == 1200


async def test_hold_pauses_everyone_except_a_caller_that_already_waited(fake_time):
    budget = make_budget(fake_time)
    budget.hold(20)
    assert budget.remaining == 0
    await budget.acquire(honour_hold=False)
    assert fake_time.sleeps == []
    await budget.acquire()
    assert fake_time.sleeps == [pytest.approx(20.0)]


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateBudget(0, 10)


def test_budget_for_is_one_budget_per_token_keyed_by_hash() -> None:
    a = budget_for("dop_v1_first", label="sync_full")
    assert budget_for("dop_v1_first") is a
    assert budget_for("dop_v1_first", label="billing") is a
    assert budget_for("dop_v1_second") is not a
    assert a.labels == {"sync_full", "billing"}
    from do_api import budget as budget_module

    assert all("dop_v1_" not in key for key in budget_module._REGISTRY)


def test_budget_for_asking_for_less_tightens_the_shared_budget() -> None:
    a = budget_for("dop_v1_x", 250, 5000)
    budget_for("dop_v1_x", 100, 1000)
    assert (a.per_minute, a.per_hour) == (100, 1000)
    budget_for("dop_v1_x", 250, 5000)
    assert (a.per_minute, a.per_hour) == (100, 1000)


async def test_gauge_is_labelled_by_purpose_or_short_hash_never_the_token() -> None:
    token = "dop_v1_gaugetoken"
    budget = budget_for(token, 250, 5000, label="gauge_purpose")
    await budget.acquire()
    assert REGISTRY.get_sample_value(
        "arcadia_do_rate_budget_remaining", {"token": "gauge_purpose"}
    ) == pytest.approx(249)

    anonymous = budget_for("dop_v1_anonymous")
    (label,) = anonymous.labels
    assert label == token_label("dop_v1_anonymous")
    assert "dop_v1" not in label
    assert REGISTRY.get_sample_value("arcadia_do_rate_budget_remaining", {"token": label}) == 250


def test_token_for_prefers_the_purpose_token() -> None:
    env = {"DO_API_TOKEN": "shared", "DO_API_TOKEN_SYNC_FULL": "sync", "DO_API_TOKEN_BILLING": ""}
    assert token_for("sync_full", env) == "sync"
    assert token_for("SYNC_FULL", env) == "sync"
    assert token_for("sync-full", env) == "sync"
    assert token_for("billing", env) == "shared"  # blank counts as unset
    assert token_for("metering", env) == "shared"
    assert token_for("billing", {}) is None
    assert token_for("billing", {"DO_API_TOKEN_BILLING": " bill "}) == "bill"
