"""The month the demo tells on the sandbox's `seeds` account, every step through the same use
cases the services run: the account mirrored, the demo tenant and its deployment registered
(its DigitalOcean project classified by `deployment.changed`), DigitalOcean's April 2026
invoice ingested and matched, April metered, April rolled up into the tenant's invoice.

Each step is idempotent, so a restart of `arcadia up` changes nothing it has already done.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from rich.console import Console

from arcadia.allinone import Services
from arcadia.commands.runs import recorded
from arcadia_core.auth import Principal, mint_token
from arcadia_core.settings import ArcadiaSettings

if TYPE_CHECKING:
    from billing_ingest.bootstrap import BillingIngest
    from invoicing.bootstrap import Invoicing
    from metering.bootstrap import Metering

DEMO_PERIOD = "2026-04"
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


@dataclass(frozen=True)
class DemoFacts:
    tenant_id: UUID
    deployment_id: UUID
    provider_invoice: str | None
    tenant_invoice: UUID | None


SETTLE_SECONDS = 120.0


async def settle(services: Services) -> None:
    """Wait until every service's outbox is empty twice in a row: all events delivered."""
    relays = [getattr(s, "relay", None) for s in services.running.values()]
    deadline = time.monotonic() + SETTLE_SECONDS
    quiet = 0
    while quiet < 2:
        pending = 0
        for relay in relays:
            if relay is not None:
                relay.wake()
                pending += await relay.pending_count()
        quiet = quiet + 1 if pending == 0 else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"{pending} event(s) undelivered after {SETTLE_SECONDS:.0f} s")
        await asyncio.sleep(0.2)


async def tell(services: Services, console: Console) -> DemoFacts:
    from billing_ingest.usecases.ingest import ingest_invoice
    from billing_ingest.usecases.push import push_invoice
    from billing_ingest.usecases.records import record_balance, refresh_history
    from do_sandbox.scenarios.seeds_billing import APRIL_UUID as APRIL_2026
    from invoicing.domain.period import Period
    from invoicing.usecases.demo import ensure_demo_customer
    from invoicing.usecases.rollup import roll_up_period
    from metering.usecases.meter import meter_range

    billing = cast("BillingIngest", services["billing-ingest"])
    metering = cast("Metering", services["metering"])
    invoicing = cast("Invoicing", services["invoicing"])

    with console.status("registering the demo tenant and its deployment…"):
        await settle(services)
        tenant_id, deployment_id = await ensure_demo_customer(
            uow=invoicing.uow, clock=invoicing.clock
        )
        await settle(services)
    console.print(f"[green]tenant[/] pilot {tenant_id}: deployment on Studio + storage_50gb")

    with console.status("ingesting DigitalOcean's April 2026 invoice…"):
        await record_balance(provider=billing.provider, uow=billing.uow, clock=billing.clock)
        await refresh_history(
            provider=billing.provider,
            uow=billing.uow,
            clock=billing.clock,
            enqueue=False,
            push_configured=billing.finance.configured,
        )
        async with recorded(billing, "arcadia up: ingest") as run:
            outcome = await ingest_invoice(
                APRIL_2026,
                provider=billing.provider,
                uow=billing.uow,
                clock=billing.clock,
                push=billing.finance.configured,
            )
            if outcome.push_queued:
                await push_invoice(
                    APRIL_2026, uow=billing.uow, finance=billing.finance, clock=billing.clock
                )
            run.summarize(
                {
                    "invoice": APRIL_2026,
                    "lines": outcome.line_count,
                    "matched": outcome.matched_count,
                }
            )
    console.print(
        f"[green]DigitalOcean April invoice[/]: {outcome.line_count} lines, "
        f"{outcome.matched_count} matched to resources"
    )

    with console.status("metering April 2026…"):
        async with recorded(metering, "arcadia up: meter") as run:
            await meter_range(*APRIL, uow=metering.uow, clock=metering.clock)
            run.summarize({"from": str(APRIL[0]), "to": str(APRIL[1])})
        await settle(services)
    console.print("[green]metered[/] April 2026, 30 days")

    with console.status("rolling up April 2026…"):
        async with recorded(invoicing, "arcadia up: rollup") as run:
            summary = await roll_up_period(
                Period.parse(DEMO_PERIOD), uow=invoicing.uow, clock=invoicing.clock
            )
            run.summarize(
                {
                    "period": DEMO_PERIOD,
                    "created": len(summary.created),
                    "skipped": len(summary.skipped),
                }
            )
    invoices: list[Any] = [*summary.created, *summary.skipped]
    console.print(f"[green]rolled up[/] April 2026: {len(invoices)} tenant invoice(s)")
    return DemoFacts(
        tenant_id=tenant_id,
        deployment_id=deployment_id,
        provider_invoice=APRIL_2026,
        tenant_invoice=invoices[0] if invoices else None,
    )


def sign_in_tokens(settings: ArcadiaSettings, facts: DemoFacts) -> dict[str, str]:
    """The dashboard's one-click sign-in (`/ui/demo/sign-in/{role}`): a token per role, for the
    platform admin and the demo tenant."""

    def token(principal: Principal) -> str:
        return mint_token(principal, secret=settings.jwt_secret, audience=settings.jwt_audience)

    return {
        "admin": token(Principal.platform_admin()),
        "tenant": token(Principal.tenant(facts.tenant_id)),
    }
