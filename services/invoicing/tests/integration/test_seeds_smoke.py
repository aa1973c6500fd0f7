"""The seeds' month end, in process: usage.metered envelopes through the consumer, the rollup
and the invoice read back through the API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from arcadia_core.auth import Principal
from invoicing.adapters.tables import outbox, tenant_invoices
from invoicing.bootstrap import Invoicing

ADMIN = Principal.platform_admin()

APRIL_DAYS = [date(2026, 4, 1) + timedelta(days=n) for n in range(30)]


async def test_april_rolls_up_to_the_cent_and_a_rerun_skips(
    service: Invoicing, api: httpx.AsyncClient, feed: Any, pilot: Any, auth: Any
) -> None:
    bearer = auth
    tenant_id, deployment_id = await pilot()
    for day in APRIL_DAYS:  # 3 droplets active all day: 72 droplet hours a day
        await feed(deployment_id, tenant_id, day, {"droplet_hours": Decimal(72)})

    rolled = await api.post(
        "/api/v1/invoices/rollup", json={"period": "2026-04"}, headers=bearer(ADMIN)
    )
    assert rolled.status_code == 200, rolled.text
    (invoice_id,) = rolled.json()["created"]

    body = (await api.get(f"/api/v1/invoices/{invoice_id}", headers=bearer(ADMIN))).json()
    lines = [(x["kind"], x["description"], x["amount_cents"]) for x in body["lines"]]
    assert lines == [
        ("plan_base", "Plan: Studio", 5000),
        ("addon", "Addon: storage_50gb", 750),
        ("overage", "Overage: droplet_hours (672 over 1488 included)", 672),
        ("tax", "GST 10%", 642),
    ]
    assert (body["subtotal_cents"], body["tax_cents"], body["total_cents"]) == (6422, 642, 7064)
    assert body["status"] == "draft" and body["period_start"] == "2026-04-01"
    overage = body["lines"][2]
    assert overage["deployment_id"] == str(deployment_id)
    assert overage["resource_kind"] == "droplet_hours"
    assert Decimal(overage["quantity"]) == 672 and Decimal(overage["unit_price"]) == 1
    tax = body["lines"][3]
    assert tax["deployment_id"] is None and tax["resource_kind"] is None

    again = await api.post(
        "/api/v1/invoices/rollup", json={"period": "2026-04"}, headers=bearer(ADMIN)
    )
    assert again.json()["created"] == [] and again.json()["skipped"] == [invoice_id]
    async with service.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(tenant_invoices))
    assert count == 1

    # the tenant sees its own invoice
    mine = await api.get("/api/v1/invoices", headers=bearer(Principal.tenant(tenant_id)))
    assert [i["id"] for i in mine.json()["items"]] == [invoice_id]


async def test_light_month_quotes_at_base(api: httpx.AsyncClient, auth: Any) -> None:
    bearer = auth
    quoted = await api.post(
        "/api/v1/quotes",
        json={
            "plan": "studio",
            "period": "2026-03",
            "usage": {
                "droplet_hours": "480",
                "dns_zones": str(Decimal(20) / Decimal(31)),
                "snapshot_gb_month": str(Decimal(480) / Decimal(31)),
            },
        },
        headers=bearer(ADMIN),
    )
    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    assert [x["kind"] for x in body["lines"]] == ["plan_base"]
    assert body["subtotal_cents"] == 5000 and body["tax_cents"] == 500


async def test_deployment_changes_go_through_the_outbox(
    service: Invoicing, api: httpx.AsyncClient, pilot: Any, auth: Any
) -> None:
    bearer = auth
    tenant_id, deployment_id = await pilot()
    relinked = await api.patch(
        f"/api/v1/deployments/{deployment_id}",
        json={"do_project": "pilot-tenant-2"},
        headers=bearer(ADMIN),
    )
    assert relinked.status_code == 200 and relinked.json()["version"] == 2
    removed = await api.delete(f"/api/v1/deployments/{deployment_id}", headers=bearer(ADMIN))
    assert removed.json()["active"] is False
    async with service.sessions() as session:
        rows = (
            await session.execute(
                select(outbox.c.envelope)
                .where(outbox.c.event_type == "deployment.changed")
                .order_by(outbox.c.id)
            )
        ).scalars()
        payloads = [row["payload"] for row in rows]
    assert [(p["version"], p["do_project"], p["active"]) for p in payloads] == [
        (1, "pilot-tenant", True),
        (2, "pilot-tenant-2", True),
        (3, "pilot-tenant-2", False),
    ]
    assert {p["tenant_id"] for p in payloads} == {str(tenant_id)}
    assert {p["deployment_id"] for p in payloads} == {str(deployment_id)}


async def test_unknown_ids_are_refused(
    api: httpx.AsyncClient, feed: Any, pilot: Any, auth: Any
) -> None:
    bearer = auth
    from uuid import uuid4

    import pytest

    from arcadia_core.bus.errors import Unprocessable

    missing = await api.post(
        "/api/v1/deployments",
        json={"tenant_id": str(uuid4()), "name": "x"},
        headers=bearer(ADMIN),
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    sub = await api.post(
        "/api/v1/subscriptions",
        json={"deployment_id": str(uuid4()), "plan": "studio", "starts_on": "2026-04-01"},
        headers=bearer(ADMIN),
    )
    assert sub.status_code == 404
    with pytest.raises(Unprocessable):
        await feed(uuid4(), None, date(2026, 4, 1), {"droplet_hours": Decimal(1)})
    _, deployment_id = await pilot()
    with pytest.raises(Unprocessable):
        await feed(deployment_id, uuid4(), date(2026, 4, 1), {"droplet_hours": Decimal(1)})
    bad_plan = await api.post(
        "/api/v1/subscriptions",
        json={"deployment_id": str(deployment_id), "plan": "nope", "starts_on": "2026-06-01"},
        headers=bearer(ADMIN),
    )
    assert bad_plan.status_code == 404
    overlapping = await api.post(
        "/api/v1/subscriptions",
        json={"deployment_id": str(deployment_id), "plan": "studio", "starts_on": "2026-06-01"},
        headers=bearer(ADMIN),
    )
    assert overlapping.status_code == 409


async def test_demo_customer_is_idempotent(service: Invoicing, feed: Any) -> None:
    from invoicing.domain.period import Period
    from invoicing.usecases.demo import ensure_demo_customer
    from invoicing.usecases.rollup import roll_up_period

    first = await ensure_demo_customer(uow=service.uow, clock=service.clock)
    assert await ensure_demo_customer(uow=service.uow, clock=service.clock) == first
    tenant_id, deployment_id = first
    for day in APRIL_DAYS:
        await feed(deployment_id, tenant_id, day, {"droplet_hours": Decimal(72)})
    summary = await roll_up_period(Period.parse("2026-04"), uow=service.uow, clock=service.clock)
    async with service.uow() as work:
        invoice = await work.invoices.get(summary.created[0])
    assert invoice is not None and invoice.total_cents == 7064
