"""`GET /api/v1/runs/<service>`: a service's run log over HTTP, for platform admins.

Every service includes `runs_router(<its name>, <its RunLog>)` and declares the prefix
`/runs/<its name>` to the gateway, so the dashboard reads every service's runs alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from arcadia_core.auth import PlatformAdmin
from arcadia_core.runs import MAX_LIMIT, Run, RunLog

# job, schedule and command names: `inventory.sync.droplet`, `arcadia billing ingest`
NAME_PATTERN = r"^[A-Za-z0-9_.:\- ]+$"


class RunOut(BaseModel):
    id: int
    name: str = Field(description="The job, schedule or command that ran")
    started_at: datetime
    finished_at: datetime | None
    outcome: Literal["running", "ok", "failed"]
    summary: str | None = Field(description="What the run did, in one line")
    error: str | None = Field(description="Why it failed: the error's first line")
    correlation_id: str | None
    latest: bool = Field(description="The latest run of its name (listed first)")

    @classmethod
    def of(cls, run: Run) -> RunOut:
        return cls.model_validate(run.as_dict())


class RunsPage(BaseModel):
    service: str
    items: list[RunOut]


def runs_path(service: str) -> str:
    """The gateway route prefix (under /api/v1) of `service`'s run log."""
    return f"/runs/{service}"


def runs_router(service: str, run_log: RunLog | None) -> APIRouter:
    """The route of `service`'s run log (its job runner's: `runs_router(name, jobs.run_log)`)."""
    if run_log is None:
        raise ValueError(f"{service} keeps no run log: give its JobRunner a RunLog")
    router = APIRouter(prefix="/api/v1", tags=["runs"])

    @router.get(
        runs_path(service),
        response_model=RunsPage,
        summary=f"When each job and command of {service} last ran and how it ended (admin)",
        description=(
            "The latest run of every name first (newest first), then the most recent other "
            "runs, `limit` rows in all; with `name`, the runs of that name, newest first."
        ),
        operation_id=f"list_runs_{service.replace('-', '_')}",
    )
    async def list_runs(
        _: PlatformAdmin,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows at most")] = 100,
        name: Annotated[
            str | None,
            Query(min_length=1, max_length=200, pattern=NAME_PATTERN, description="Only this name"),
        ] = None,
    ) -> RunsPage:
        runs = await run_log.list_runs(limit=limit, name=name)
        return RunsPage(service=service, items=[RunOut.of(run) for run in runs])

    return router
