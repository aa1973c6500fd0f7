"""Projection, metering, correction, hourly option, retention, scoping: real PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import func, select

from arcadia_core.auth import Principal
from arcadia_core.events import (
    CatchUpRequested,
    Envelope,
    EventPayload,
    ResourceDeleted,
    ResourceSynced,
)
from metering import bootstrap
from metering.adapters import queries
from metering.adapters.tables import resource_history, resources, usage_records
from metering.domain.billing import Granularity, KindConfig
from metering.usecases.meter import meter_day, meter_hour, meter_range
from metering.usecases.settings import purge_expired, update_config

TENANT = UUID("00000000-0000-0000-0000-0000000000f1")
OTHER_TENANT = UUID("00000000-0000-0000-0000-0000000000f2")
DEP = UUID("00000000-0000-0000-0000-00000000000a")
OTHER_DEP = UUID("00000000-0000-0000-0000-00000000000b")
Deliver = Callable[[EventPayload | Envelope], Awaitable[Envelope]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def synced(
    rid: UUID,
    version: int,
    *,
    kind: str = "droplet",
    status: str = "active",
    seen: str = "2026-11-30T12:00",
    first: str = "2026-11-30T12:00",
    deployment: UUID | None = DEP,
    tenant: UUID | None = TENANT,
    attrs: dict[str, Any] | None = None,
) -> ResourceSynced:
    return ResourceSynced(
        resource_id=rid,
        version=version,
        provider="digitalocean",
        kind=kind,
        provider_id=str(rid)[:8],
        name=f"{kind}-{str(rid)[:4]}",
        status=status,
        region="syd1",
        size_slug=None,
        attrs=attrs if attrs is not None else {"created_at": "2026-10-01T00:00:00Z"},
        project_id=None,
        tenant_id=tenant if deployment else None,
        deployment_id=deployment,
        change="updated" if version > 1 else "created",
        first_seen_at=at(first),
        last_seen_at=at(seen),
    )


async def rows(metering: bootstrap.Metering, table: Any = usage_records) -> int:
    async with metering.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def totals(metering: bootstrap.Metering, first: str, end: str) -> dict[str, Decimal]:
    async with metering.sessions() as session:
        return await queries.usage_for_period(
            session, DEP, at(f"{first}T00:00"), at(f"{end}T00:00")
        )


async def test_projection_applies_in_version_order_and_ignores_repeats(
    metering: bootstrap.Metering, deliver: Deliver
) -> None:
    rid = uuid4()
    newer = synced(rid, 3, status="off", seen="2026-12-02T00:00")
    older = synced(rid, 2, status="active", seen="2026-12-01T00:00")
    first = synced(rid, 1, status="active", seen="2026-11-30T12:00")
    envelope = await deliver(newer)
    await deliver(older)  # late
    await deliver(envelope)  # duplicate delivery
    await deliver(first)
    async with metering.sessions() as session:
        state = (await session.execute(select(resources).where(resources.c.id == rid))).one()
        history = await session.scalar(select(func.count()).select_from(resource_history))
    assert (state.status, state.version) == ("off", 3)
    assert state.first_seen_at == at("2026-11-30T12:00")
    assert state.provider_created_at == at("2026-10-01T00:00")
    assert history == 3
    # the history drives metering: active until the sighting of the 2nd, off after
    await meter_range(date(2026, 12, 1), date(2026, 12, 2), uow=metering.uow, clock=metering.clock)
    assert await totals(metering, "2026-12-01", "2026-12-02") == {"droplet_hours": Decimal(24)}
    assert await totals(metering, "2026-12-02", "2026-12-03") == {"droplet_hours": Decimal(0)}


async def test_a_deleted_resource_stops_at_its_last_sighting_even_if_deletion_came_first(
    metering: bootstrap.Metering, deliver: Deliver
) -> None:
    rid = uuid4()
    await deliver(
        ResourceDeleted(
            resource_id=rid,
            version=3,
            provider="digitalocean",
            kind="droplet",
            provider_id="1",
            name="gone",
            tenant_id=TENANT,
            deployment_id=DEP,
            deleted_at=at("2026-12-05T12:00"),
        )
    )
    await deliver(synced(rid, 2, seen="2026-12-03T05:20"))
    await deliver(synced(rid, 1))
    await meter_range(date(2026, 12, 1), date(2026, 12, 5), uow=metering.uow, clock=metering.clock)
    assert await totals(metering, "2026-12-01", "2026-12-06") == {
        "droplet_hours": Decimal(24 + 24 + 6)
    }


async def test_re_metering_is_idempotent_and_corrects_a_changed_day(
    metering: bootstrap.Metering, deliver: Deliver, published: Callable[..., Any]
) -> None:
    droplet, zone = uuid4(), uuid4()
    await deliver(synced(droplet, 1))
    await deliver(synced(zone, 1, kind="dns_zone", attrs={"ttl": 1800}))
    first = await meter_day(date(2026, 12, 1), uow=metering.uow, clock=metering.clock)
    assert (first.records, first.inserted, first.events) == (2, 2, 1)
    again = await meter_day(date(2026, 12, 1), uow=metering.uow, clock=metering.clock)
    assert (again.inserted, again.updated, again.deleted, again.events) == (0, 0, 0, 0)
    assert await rows(metering) == 2

    # the world changed: the droplet was seen off mid-day and the zone moved away
    await deliver(synced(droplet, 2, status="off", seen="2026-12-01T12:00"))
    await deliver(synced(zone, 2, kind="dns_zone", deployment=OTHER_DEP, seen="2026-11-30T13:00"))
    corrected = await meter_day(date(2026, 12, 1), uow=metering.uow, clock=metering.clock)
    assert (corrected.updated, corrected.inserted, corrected.deleted) == (1, 1, 1)
    assert await rows(metering) == 2
    assert await totals(metering, "2026-12-01", "2026-12-02") == {"droplet_hours": Decimal(12)}
    events = await published()
    ours = [e for e in events if e["deployment_id"] == str(DEP)]
    assert [(e["version"], e["totals"]) for e in ours] == [
        # the day's exact quantity, as stored (1/31 to 34 significant digits), not rounded to 28
        (1, {"dns_zones": "0.03225806451612903225806451612903226", "droplet_hours": "24"}),
        (2, {"droplet_hours": "12"}),
    ]
    theirs = [e for e in events if e["deployment_id"] == str(OTHER_DEP)]
    assert [e["version"] for e in theirs] == [1]


async def test_the_hourly_option(metering: bootstrap.Metering, deliver: Deliver) -> None:
    snapshot = uuid4()
    await deliver(
        synced(
            snapshot,
            1,
            kind="snapshot",
            status="available",
            attrs={"size_gigabytes": "31", "created_at": "2026-10-01T00:00:00Z"},
        )
    )
    await update_config(
        [KindConfig("snapshot_gb_month", Granularity.HOURLY, 30)],
        uow=metering.uow,
        clock=metering.clock,
    )
    hour = await meter_hour(at("2026-12-01T05:00"), uow=metering.uow, clock=metering.clock)
    assert hour.records == 1
    day = await meter_day(date(2026, 12, 1), uow=metering.uow, clock=metering.clock)
    assert (day.records, day.inserted) == (24, 23)
    async with metering.sessions() as session:
        granularities = set(await session.scalars(select(usage_records.c.granularity)))
    assert granularities == {"hourly"}
    total = (await totals(metering, "2026-12-01", "2026-12-02"))["snapshot_gb_month"]
    assert abs(total - 1) < Decimal("1e-25")
    # back to daily: the day's hourly rows are replaced by one daily row
    await update_config(
        [KindConfig("snapshot_gb_month", Granularity.DAILY, 30)],
        uow=metering.uow,
        clock=metering.clock,
    )
    await meter_day(date(2026, 12, 1), uow=metering.uow, clock=metering.clock)
    assert await rows(metering) == 1


async def test_retention_purges_older_rows(metering: bootstrap.Metering, deliver: Deliver) -> None:
    await deliver(synced(uuid4(), 1))
    await meter_range(date(2026, 12, 1), date(2026, 12, 10), uow=metering.uow, clock=metering.clock)
    await update_config(
        [KindConfig("droplet_hours", Granularity.DAILY, 5)], uow=metering.uow, clock=metering.clock
    )
    metering.clock.now = at("2026-12-11T01:40")  # type: ignore[attr-defined]
    purged = await purge_expired(uow=metering.uow, clock=metering.clock)
    assert purged["droplet_hours"] == 5  # the 1st..5th are older than 5 days
    assert await rows(metering) == 5


async def test_usage_api_scopes_tenants_and_reports_unmetered(
    metering: bootstrap.Metering,
    deliver: Deliver,
    api: httpx.AsyncClient,
    bearer: Callable[[Principal], dict[str, str]],
) -> None:
    await deliver(synced(uuid4(), 1))
    await deliver(synced(uuid4(), 1, kind="firewall"))
    await deliver(synced(uuid4(), 1, kind="spaces_bucket", status="unknown", attrs={}))
    await deliver(synced(uuid4(), 1, deployment=OTHER_DEP, tenant=OTHER_TENANT))
    await meter_range(date(2026, 12, 1), date(2026, 12, 2), uow=metering.uow, clock=metering.clock)
    admin = bearer(Principal.platform_admin())
    mine = bearer(Principal.tenant(TENANT))
    query = {"deployment_id": str(DEP), "from": "2026-12-01", "to": "2026-12-03"}

    answer = await api.get("/api/v1/usage", params=query | {"granularity": "day"}, headers=mine)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["records"], body["totals"], body["shown"]) == (
        2,
        {"droplet_hours": "48"},
        {"droplet_hours": "48.00"},
    )
    assert [d["day"] for d in body["days"]] == ["2026-12-01", "2026-12-02"]

    foreign = {**query, "deployment_id": str(OTHER_DEP)}
    assert (await api.get("/api/v1/usage", params=foreign, headers=mine)).status_code == 404
    assert (await api.get("/api/v1/usage", params=foreign, headers=admin)).status_code == 200
    backwards = {**query, "to": "2026-11-01"}
    assert (await api.get("/api/v1/usage", params=backwards, headers=admin)).status_code == 400

    assert (await api.get("/api/v1/usage/unmetered", headers=mine)).status_code == 403
    unmetered = (await api.get("/api/v1/usage/unmetered", headers=admin)).json()["items"]
    reasons = {u["kind"]: u["reason"] for u in unmetered}
    assert set(reasons) == {"firewall", "spaces_bucket"}
    assert "no billing kind" in reasons["firewall"]
    assert "size unknown" in reasons["spaces_bucket"]


async def test_config_api(
    api: httpx.AsyncClient, bearer: Callable[[Principal], dict[str, str]]
) -> None:
    admin = bearer(Principal.platform_admin())
    tenant = bearer(Principal.tenant(TENANT))
    assert (await api.get("/api/v1/metering/config", headers=tenant)).status_code == 403
    items = (await api.get("/api/v1/metering/config", headers=admin)).json()["items"]
    assert {i["billing_kind"]: i["granularity"] for i in items}["droplet_hours"] == "daily"
    change = {
        "items": [{"billing_kind": "droplet_hours", "granularity": "hourly", "retention_days": 90}]
    }
    answer = await api.put("/api/v1/metering/config", json=change, headers=admin)
    assert answer.status_code == 200, answer.text
    hourly = {i["billing_kind"]: i for i in answer.json()["items"]}["droplet_hours"]
    assert (hourly["granularity"], hourly["retention_days"]) == ("hourly", 90)
    bad = {"items": [{"billing_kind": "ip_hours"}]}
    assert (await api.put("/api/v1/metering/config", json=bad, headers=admin)).status_code == 422
    assert (
        await api.put("/api/v1/metering/config", json=change, headers=tenant)
    ).status_code == 403


async def test_first_start_asks_for_a_catch_up_once(metering: bootstrap.Metering) -> None:
    from metering.usecases.projection import request_catch_up

    assert await request_catch_up(uow=metering.uow, clock=metering.clock)
    assert not await request_catch_up(uow=metering.uow, clock=metering.clock)


async def test_a_usage_catch_up_re_sends_every_metered_day_at_its_version(
    metering: bootstrap.Metering, deliver: Deliver, published: Callable[..., Any]
) -> None:
    droplet = uuid4()
    await deliver(synced(droplet, 1))
    for day in (1, 2):
        await meter_day(date(2026, 12, day), uow=metering.uow, clock=metering.clock)
    await deliver(synced(droplet, 2, status="off", seen="2026-12-02T12:00"))
    await meter_day(date(2026, 12, 2), uow=metering.uow, clock=metering.clock)
    before = await published()
    latest = {(e["deployment_id"], e["day"]): e for e in before}

    # a request for resources only is the inventory's business: metering sends nothing
    await deliver(CatchUpRequested(service="drift", requested_at=at("2026-12-03T00:00")))
    assert await published() == before

    await deliver(
        CatchUpRequested(
            service="invoicing",
            requested_at=at("2026-12-03T00:00"),
            topics=("usage.metered",),
        )
    )
    resent = (await published())[len(before) :]
    assert sorted((e["day"], e["version"], e["totals"]) for e in resent) == sorted(
        (e["day"], e["version"], e["totals"]) for e in latest.values()
    )
    assert {e["day"]: e["version"] for e in resent} == {"2026-12-01": 1, "2026-12-02": 2}


async def test_usage_by_resource_pages_every_resource_and_is_admin_only(
    metering: bootstrap.Metering,
    deliver: Deliver,
    api: httpx.AsyncClient,
    bearer: Callable[[Principal], dict[str, str]],
) -> None:
    droplets = [uuid4() for _ in range(3)]
    for rid in droplets:
        await deliver(synced(rid, 1))
    volume = uuid4()
    await deliver(
        synced(
            volume,
            1,
            kind="volume",
            attrs={"created_at": "2026-10-01T00:00:00Z", "size_gigabytes": 31},
        )
    )
    other = uuid4()
    await deliver(synced(other, 1, deployment=OTHER_DEP, tenant=OTHER_TENANT))
    await meter_range(date(2026, 12, 1), date(2026, 12, 3), uow=metering.uow, clock=metering.clock)
    admin = bearer(Principal.platform_admin())
    query = {"from": "2026-12-01", "to": "2026-12-03"}

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = query | {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        answer = await api.get("/api/v1/usage/by-resource", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen.extend(body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    by_key = {(row["resource_id"], row["billing_kind"]): row for row in seen}
    assert len(by_key) == len(seen) == 5
    for rid in droplets:
        row = by_key[(str(rid), "droplet_hours")]
        assert (row["deployment_id"], row["tenant_id"], row["quantity"]) == (
            str(DEP),
            str(TENANT),
            "48",
        )
    assert Decimal(by_key[(str(volume), "volume_gb_month")]["quantity"]) == Decimal(62) / 31
    assert by_key[(str(other), "droplet_hours")]["tenant_id"] == str(OTHER_TENANT)

    # the end is exclusive: one day only
    one_day = await api.get(
        "/api/v1/usage/by-resource",
        params={"from": "2026-12-01", "to": "2026-12-02"},
        headers=admin,
    )
    assert {
        r["quantity"] for r in one_day.json()["items"] if r["billing_kind"] == "droplet_hours"
    } == {"24"}

    mine = bearer(Principal.tenant(TENANT))
    assert (
        await api.get("/api/v1/usage/by-resource", params=query, headers=mine)
    ).status_code == 403
    backwards = {"from": "2026-12-03", "to": "2026-12-01"}
    assert (
        await api.get("/api/v1/usage/by-resource", params=backwards, headers=admin)
    ).status_code == 400
    forged = query | {"cursor": "not-a-cursor"}
    answer = await api.get("/api/v1/usage/by-resource", params=forged, headers=admin)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
