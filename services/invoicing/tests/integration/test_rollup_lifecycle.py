"""Rollup idempotency, force, lifecycle, void and re-roll, late usage as adjustments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from arcadia_core.auth import Principal
from invoicing.adapters.tables import outbox
from invoicing.bootstrap import Invoicing

ADMIN = Principal.platform_admin()
APRIL = [date(2026, 4, 1) + timedelta(days=n) for n in range(30)]
MAY = [date(2026, 5, 1) + timedelta(days=n) for n in range(31)]


async def _rollup(api: httpx.AsyncClient, auth: Any, period: str, force: bool = False) -> Any:
    response = await api.post(
        "/api/v1/invoices/rollup", json={"period": period, "force": force}, headers=auth(ADMIN)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _invoice(api: httpx.AsyncClient, auth: Any, invoice_id: str) -> Any:
    response = await api.get(f"/api/v1/invoices/{invoice_id}", headers=auth(ADMIN))
    assert response.status_code == 200, response.text
    return response.json()


async def test_force_regenerates_a_draft_and_never_an_issued_invoice(
    service: Invoicing, api: httpx.AsyncClient, feed: Any, pilot: Any, auth: Any, clock: Any
) -> None:
    tenant_id, deployment_id = await pilot()
    for day in APRIL:
        await feed(deployment_id, tenant_id, day, {"droplet_hours": Decimal(72)})
    (draft_id,) = (await _rollup(api, auth, "2026-04"))["created"]

    # a corrected day (version 2) replaces the first; version 1 again changes nothing
    await feed(deployment_id, tenant_id, APRIL[0], {"droplet_hours": Decimal(172)}, version=2)
    await feed(deployment_id, tenant_id, APRIL[0], {"droplet_hours": Decimal(0)}, version=1)
    unchanged = await _rollup(api, auth, "2026-04")
    assert unchanged["skipped"] == [draft_id]
    assert (await _invoice(api, auth, draft_id))["subtotal_cents"] == 6422

    forced = await _rollup(api, auth, "2026-04", force=True)
    assert forced["regenerated"] == [draft_id]
    body = await _invoice(api, auth, draft_id)
    assert body["subtotal_cents"] == 6522 and body["tax_cents"] == 652
    assert len(body["lines"]) == 4  # lines replaced, not appended

    issued = await api.post(f"/api/v1/invoices/{draft_id}/issue", headers=auth(ADMIN))
    assert issued.status_code == 200, issued.text
    assert issued.json()["number"] == "INV-2026-000001" and issued.json()["status"] == "issued"
    locked = await _rollup(api, auth, "2026-04", force=True)
    assert locked["locked"] == [draft_id] and locked["regenerated"] == []
    assert (await _invoice(api, auth, draft_id))["subtotal_cents"] == 6522

    async with service.sessions() as session:
        envelopes = (
            (
                await session.execute(
                    select(outbox.c.envelope).where(outbox.c.event_type == "tenant_invoice.issued")
                )
            )
            .scalars()
            .all()
        )
    assert [e["payload"]["number"] for e in envelopes] == ["INV-2026-000001"]
    assert envelopes[0]["payload"]["total_cents"] == 7174

    # illegal transitions answer 409 with the reason
    again = await api.post(f"/api/v1/invoices/{draft_id}/issue", headers=auth(ADMIN))
    assert again.status_code == 409 and "cannot issue" in again.json()["detail"]
    paid = await api.post(f"/api/v1/invoices/{draft_id}/pay", headers=auth(ADMIN))
    assert paid.json()["status"] == "paid"
    void = await api.post(f"/api/v1/invoices/{draft_id}/void", headers=auth(ADMIN))
    assert void.status_code == 409


async def test_void_and_reroll_and_gap_free_numbers(
    api: httpx.AsyncClient, feed: Any, pilot: Any, auth: Any
) -> None:
    first = await pilot("one", "p-one")
    second = await pilot("two", "p-two")
    created = (await _rollup(api, auth, "2026-04"))["created"]
    assert len(created) == 2
    for invoice_id in created:
        assert (await _invoice(api, auth, invoice_id))["subtotal_cents"] == 5750
    voided = await api.post(f"/api/v1/invoices/{created[0]}/void", headers=auth(ADMIN))
    assert voided.json()["status"] == "void" and voided.json()["number"] is None
    rerolled = await _rollup(api, auth, "2026-04")
    assert len(rerolled["created"]) == 1 and rerolled["skipped"] == [created[1]]
    numbers = []
    for invoice_id in (created[1], rerolled["created"][0]):
        issued = await api.post(f"/api/v1/invoices/{invoice_id}/issue", headers=auth(ADMIN))
        numbers.append(issued.json()["number"])
    assert numbers == ["INV-2026-000001", "INV-2026-000002"]
    assert first != second


async def test_late_usage_after_issue_is_an_adjustment_next_period(
    api: httpx.AsyncClient, feed: Any, pilot: Any, auth: Any, clock: Any
) -> None:
    tenant_id, deployment_id = await pilot()
    for day in APRIL:
        await feed(deployment_id, tenant_id, day, {"droplet_hours": Decimal(72)})
    (april_id,) = (await _rollup(api, auth, "2026-04"))["created"]
    await api.post(f"/api/v1/invoices/{april_id}/issue", headers=auth(ADMIN))

    clock.now = datetime(2026, 5, 20, tzinfo=UTC)
    # April 30 corrected after issue: 100 more droplet hours
    await feed(deployment_id, tenant_id, APRIL[-1], {"droplet_hours": Decimal(172)}, version=2)
    for day in MAY:
        await feed(deployment_id, tenant_id, day, {"droplet_hours": Decimal(24)})
    clock.now = datetime(2026, 6, 1, 3, tzinfo=UTC)
    (may_id,) = (await _rollup(api, auth, "2026-05"))["created"]
    may = await _invoice(api, auth, may_id)
    kinds = [(x["kind"], x["amount_cents"], x["corrects_period"]) for x in may["lines"]]
    assert kinds == [
        ("plan_base", 5000, None),
        ("addon", 750, None),
        ("adjustment", 100, "2026-04-01"),
        ("tax", 585, None),
    ]
    assert "2026-04" in may["lines"][2]["description"]
    assert may["lines"][2]["deployment_id"] == str(deployment_id)
    # April itself never changed
    assert (await _invoice(api, auth, april_id))["subtotal_cents"] == 6422
    # a forced re-roll of the May draft bills the correction once, not twice
    await _rollup(api, auth, "2026-05", force=True)
    assert (await _invoice(api, auth, may_id))["subtotal_cents"] == 5850
    # and once May is issued, June does not bill it again
    await api.post(f"/api/v1/invoices/{may_id}/issue", headers=auth(ADMIN))
    june = await _rollup(api, auth, "2026-06")
    (june_id,) = june["created"]
    assert [x["kind"] for x in (await _invoice(api, auth, june_id))["lines"]] == [
        "plan_base",
        "addon",
        "tax",
    ]


async def test_partial_subscription_is_prorated(
    api: httpx.AsyncClient, feed: Any, pilot: Any, auth: Any
) -> None:
    tenant_id, deployment_id = await pilot(starts_on="2026-04-16")
    # usage before the subscription started is not billed on it
    for day in APRIL:
        await feed(deployment_id, tenant_id, day, {"droplet_hours": Decimal(72)})
    (invoice_id,) = (await _rollup(api, auth, "2026-04"))["created"]
    body = await _invoice(api, auth, invoice_id)
    lines = [(x["kind"], x["description"], x["amount_cents"]) for x in body["lines"]]
    # 15 days: base 2500, add-on 375, allowance 744 h vs 1080 h used → 336 h over
    assert lines == [
        ("plan_base", "Plan: Studio (15/30 days)", 2500),
        ("addon", "Addon: storage_50gb (15/30 days)", 375),
        ("overage", "Overage: droplet_hours (336 over 744 included)", 336),
        ("tax", "GST 10%", 321),
    ]
