"""Ingest against the sandbox and a real database: failures, reconciliation, late matching,
the finance push, and the admin-only API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from arcadia_core.auth import Principal
from arcadia_core.events import ResourceSynced
from billing_ingest.adapters.tables import outbox
from billing_ingest.bootstrap import BillingIngest
from billing_ingest.usecases.ingest import ingest_invoice
from billing_ingest.usecases.push import push_invoice
from billing_ingest.usecases.records import record_balance, refresh_history
from do_sandbox.account import Account
from do_sandbox.finance import FinanceState
from do_sandbox.scenarios import seeds
from do_sandbox.scenarios.seeds_billing import APRIL_UUID

MARCH_UUID = seeds.seeded_uuid("invoice", "2026-03")


async def ingest(billing: BillingIngest, invoice_uuid: str = APRIL_UUID, **kw: object):  # type: ignore[no-untyped-def]
    return await ingest_invoice(
        invoice_uuid,
        provider=billing.provider,
        uow=billing.uow,
        clock=billing.clock,
        **kw,  # type: ignore[arg-type]
    )


async def history(billing: BillingIngest, **kw: object):  # type: ignore[no-untyped-def]
    return await refresh_history(
        provider=billing.provider,
        uow=billing.uow,
        clock=billing.clock,
        enqueue=False,
        **kw,  # type: ignore[arg-type]
    )


async def invoice_events(billing: BillingIngest) -> list[dict[str, object]]:
    async with billing.sessions() as session:
        rows = await session.execute(select(outbox.c.envelope).order_by(outbox.c.id))
    return [e for (e,) in rows if e["type"] == "invoice.ingested"]


async def test_history_keeps_every_entry_and_the_preview_apart(billing: BillingIngest) -> None:
    result = await history(billing)
    assert result.invoices == 137 and result.history_entries == 277
    assert len(result.to_ingest) == 137
    again = await history(billing)
    assert again.new_history_entries == 0 and again.changed_invoices == 0
    async with billing.uow() as work:
        assert APRIL_UUID in await work.invoices.uuids(not_ingested=True)
        assert await work.invoices.get(result.preview or "") is None  # not an issued invoice
    assert await record_balance(provider=billing.provider, uow=billing.uow, clock=billing.clock)
    assert not await record_balance(provider=billing.provider, uow=billing.uow, clock=billing.clock)


async def test_a_malformed_file_fails_with_a_reason_and_a_fix_succeeds(
    billing: BillingIngest, account: Account
) -> None:
    await history(billing)
    april = account.billing.invoice(APRIL_UUID)
    assert april is not None
    good = april.csv_text()
    rows = good.splitlines()
    rows[3] = rows[3].replace("$24.00", "$24.0O")
    april.csv_override = "\n".join(rows) + "\n"

    failed = await ingest(billing)
    assert failed.status == "failed"
    assert failed.reason is not None and "line 4" in failed.reason and "'USD'" in failed.reason
    async with billing.uow() as work:
        header = await work.invoices.get(APRIL_UUID)
        assert header is not None and header["status"] == "failed"
        assert await work.lines.of_invoice(APRIL_UUID) == []
    march = await ingest(billing, MARCH_UUID)
    assert march.status == "ingested" and march.reconciled  # the others keep ingesting
    assert (await history(billing)).to_ingest.count(APRIL_UUID) == 1  # tried again daily

    april.csv_override = None
    fixed = await ingest(billing)
    assert fixed.status == "ingested" and fixed.line_count == 33
    async with billing.uow() as work:
        header = await work.invoices.get(APRIL_UUID)
        assert header is not None and header["failure_reason"] is None


async def test_a_file_that_does_not_reconcile_is_flagged_and_not_pushed(
    billing: BillingIngest, account: Account, finance: FinanceState
) -> None:
    await history(billing)
    april = account.billing.invoice(APRIL_UUID)
    assert april is not None
    april.csv_override = "".join(
        row for row in april.csv_text().splitlines(keepends=True) if "ci-01-" not in row
    )
    outcome = await ingest(billing)
    assert outcome.status == "ingested" and outcome.reconciled is False
    assert not outcome.push_queued
    assert outcome.reason is not None and "difference -$0.20" in outcome.reason
    async with billing.uow() as work:
        header = await work.invoices.get(APRIL_UUID)
    assert header is not None and header["reconciled"] is False
    assert header["reconciliation"]["difference_cents"] == -20
    pushed = await push_invoice(
        APRIL_UUID, uow=billing.uow, finance=billing.finance, clock=billing.clock
    )
    assert pushed.action == "not reconciled" and not finance.records


def synced(droplet_id: int, name: str, kind: str = "droplet") -> ResourceSynced:
    now = datetime.now(UTC)
    return ResourceSynced(
        resource_id=uuid.uuid4(),
        version=1,
        provider="digitalocean",
        kind=kind,
        provider_id=str(droplet_id),
        name=name,
        status="active",
        region="syd1",
        size_slug=None,
        attrs={},
        project_id=None,
        tenant_id=uuid.uuid4(),
        deployment_id=uuid.uuid4(),
        change="discovered",
        first_seen_at=now,
        last_seen_at=now,
    )


async def test_lines_waiting_for_a_resource_are_matched_when_it_arrives(
    billing: BillingIngest,
) -> None:
    await history(billing)
    first = await ingest(billing, push=False)
    assert first.matched_count == 0  # nothing in the projection yet
    async with billing.uow() as work:
        waiting = [x for x in await work.lines.of_invoice(APRIL_UUID) if x.match_name == "web-01"]
    assert {x.unmatched_reason for x in waiting} == {"no_such_resource"}

    handler = next(s.handler for s in billing.subscriptions() if s.event_type == "resource.synced")
    web = synced(seeds.WEB_01, "web-01")
    envelope = web.envelope(producer="inventory")
    await handler(envelope)
    await handler(envelope)  # a repeat changes nothing

    async with billing.uow() as work:
        header = await work.invoices.get(APRIL_UUID)
        lines = await work.lines.of_invoice(APRIL_UUID)
    web_lines = [x for x in lines if x.match_name == "web-01"]
    assert {(x.kind, x.match_method) for x in web_lines} == {
        ("droplet", "id"),
        ("droplet_backup", "name"),
    }
    assert all(x.resource_id == web.resource_id for x in web_lines)
    assert all(x.deployment_id == web.deployment_id for x in web_lines)
    assert header is not None and header["matched_count"] == 2 and header["version"] == 2
    # the mirror began now, after April: the other lines are explained as destroyed before it
    reasons = {x.unmatched_reason for x in lines if x.match_method == "none"}
    assert reasons == {"destroyed_before_mirror", "account_level", "tax"}
    events = await invoice_events(billing)
    assert [e["payload"]["version"] for e in events] == [1, 2]
    latest = events[-1]["payload"]
    assert latest["cost_by_deployment"][str(web.deployment_id)] == 2400 + 480
    assert latest["match_rate"] == "0.0606"


async def test_finance_push_records_the_answer_and_is_never_lost(
    billing: BillingIngest, finance: FinanceState
) -> None:
    await history(billing)
    finance.failures = 2  # finance is down for two attempts
    outcome = await ingest(billing)
    assert outcome.push_queued
    for _ in range(2):
        with pytest.raises(httpx.HTTPStatusError):
            await push_invoice(
                APRIL_UUID, uow=billing.uow, finance=billing.finance, clock=billing.clock
            )
    assert (APRIL_UUID, 1) in (await history(billing)).to_push  # queued again daily
    pushed = await push_invoice(
        APRIL_UUID, uow=billing.uow, finance=billing.finance, clock=billing.clock
    )
    assert pushed.action == "created"
    again = await push_invoice(
        APRIL_UUID, uow=billing.uow, finance=billing.finance, clock=billing.clock
    )
    assert again.action == "up to date"  # a run that changed nothing does not push
    assert len(finance.records) == 1 and finance.requests == 3
    assert (await history(billing)).to_push == []


async def test_finance_checks_the_token(
    billing_db: str,
    sandbox: FastAPI,
    finance_app: FastAPI,
    finance: FinanceState,
    billing_factory: Callable[..., BillingIngest],
) -> None:
    wrong = billing_factory(
        billing_db, sandbox, finance_app, secret="not-the-finance-secret-at-all-0123456789"
    )
    try:
        await history(wrong)
        await ingest(wrong)
        with pytest.raises(Exception, match="401"):
            await push_invoice(APRIL_UUID, uow=wrong.uow, finance=wrong.finance, clock=wrong.clock)
        assert not finance.records
    finally:
        await wrong.stop()


async def test_without_a_finance_secret_the_push_is_a_logged_skip(
    billing_db: str,
    sandbox: FastAPI,
    finance_app: FastAPI,
    finance: FinanceState,
    billing_factory: Callable[..., BillingIngest],
) -> None:
    unset = billing_factory(billing_db, sandbox, finance_app, secret=None)
    try:
        await history(unset)
        outcome = await ingest(unset, push=unset.finance.configured)
        assert outcome.status == "ingested" and not outcome.push_queued
        skipped = await push_invoice(
            APRIL_UUID, uow=unset.uow, finance=unset.finance, clock=unset.clock
        )
        assert skipped.action == "skipped"
        assert finance.requests == 0
    finally:
        await unset.stop()


ROUTES = [
    "/api/v1/billing/balance",
    "/api/v1/billing/invoices",
    f"/api/v1/billing/invoices/{APRIL_UUID}",
    "/api/v1/billing/cost-lines?period=2026-04-15",
]


@pytest.mark.parametrize("path", ROUTES)
async def test_a_tenant_is_refused_every_billing_route(
    api: httpx.AsyncClient, path: str, headers: Callable[[Principal], dict[str, str]]
) -> None:
    tenant = await api.get(path, headers=headers(Principal.tenant(uuid.uuid4())))
    assert tenant.status_code == 403
    assert (await api.get(path)).status_code == 401


async def test_the_admin_api(
    billing: BillingIngest,
    api: httpx.AsyncClient,
    headers: Callable[[Principal], dict[str, str]],
) -> None:
    admin = headers(Principal.platform_admin())
    await history(billing)
    await record_balance(provider=billing.provider, uow=billing.uow, clock=billing.clock)
    await ingest(billing, push=False)

    balance = (await api.get("/api/v1/billing/balance", headers=admin)).json()
    assert balance["balance"]["month_to_date_usage_cents"] == 1875
    assert balance["month_to_date"]["invoice_period"] == "2026-05-01"

    page = (await api.get("/api/v1/billing/invoices?limit=100", headers=admin)).json()
    assert len(page["items"]) == 100 and page["items"][0]["invoice_period"] == "2026-04-01"
    rest = await api.get(f"/api/v1/billing/invoices?cursor={page['next_cursor']}", headers=admin)
    assert len(rest.json()["items"]) == 37 and rest.json()["next_cursor"] is None

    detail = (await api.get(f"/api/v1/billing/invoices/{APRIL_UUID}", headers=admin)).json()
    assert detail["line_count"] == 33 and len(detail["lines"]) == 33
    assert detail["reconciliation"]["ok"] is True
    assert sum(detail["unmatched_by_reason"].values()) == 33 - detail["matched_count"]

    lines = await api.get(
        "/api/v1/billing/cost-lines?period=2026-04-15&kind=snapshot", headers=admin
    )
    assert len(lines.json()["items"]) == 8
    paged = await api.get("/api/v1/billing/cost-lines?period=2026-04-01&limit=20", headers=admin)
    second = await api.get(
        f"/api/v1/billing/cost-lines?period=2026-04-01&cursor={paged.json()['next_cursor']}",
        headers=admin,
    )
    assert len(paged.json()["items"]) + len(second.json()["items"]) == 33
    missing = await api.get("/api/v1/billing/invoices/nope", headers=admin)
    assert missing.status_code == 404
    bad = await api.get("/api/v1/billing/invoices?cursor=zzz", headers=admin)
    assert bad.status_code == 400
