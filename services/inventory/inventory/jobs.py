"""Scheduled and on-demand jobs: one sync job per kind on the seeds' schedule, and housekeeping."""

from __future__ import annotations

from typing import Any

from arcadia_core.jobs import JobRunner
from inventory.domain import kinds
from inventory.ports import Clock, CloudProvider, UnitOfWorkFactory
from inventory.usecases.sync import sync_kind


def job_name(kind: str) -> str:
    return f"inventory.sync.{kind}"


def register_jobs(
    runner: JobRunner,
    *,
    provider: CloudProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    internal_project: str | None,
) -> None:
    for kind, spec in kinds.SYNCS.items():

        async def run_sync(_: dict[str, Any] | None = None, kind: str = kind) -> dict[str, Any]:
            summary = await sync_kind(
                kind, provider=provider, uow=uow, clock=clock, internal_project=internal_project
            )
            return {"kind": kind, **summary}

        async def tick(kind: str = kind) -> None:
            await runner.enqueue(job_name(kind), {}, dedupe_key=f"{job_name(kind)}:pending")

        runner.job(job_name(kind), retries=3)(run_sync)
        runner.schedule(f"{job_name(kind)}.tick", spec.cron, record=False)(tick)
