"""The run log: when each job, schedule and one-shot command of a service ran and how it ended.

Every service keeps a `runs` table in its own schema. A run is inserted as `running` when it
starts and marked `ok` (with an optional one-line summary) or `failed` (with the error's first
line) when it ends. Each write is its own short transaction on the service's engine, apart from
the work's own transactions: a job that fails and rolls back still leaves its failed run.

Writing the log never fails the work it records: a write that fails is logged and skipped.

    async with run_log.record("billing.ingest") as run:
        outcome = await ingest_invoice(...)
        run.summarize({"invoice": outcome.invoice_uuid, "lines": outcome.line_count})

Rows are kept 90 days (the latest run of every name is kept however old) by the service's
housekeeping job (`arcadia_core.housekeeping`), which also closes runs left `running` by a
process that stopped in the middle of one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from alembic.operations import Operations
from alembic.operations.ops import CreateIndexOp, CreateTableOp, DropTableOp
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    Select,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from arcadia_core.context import current_correlation_id
from arcadia_core.db import service_metadata

log = logging.getLogger(__name__)

T = TypeVar("T")

RUNNING = "running"
OK = "ok"
FAILED = "failed"
OUTCOMES = (RUNNING, OK, FAILED)

RETENTION = timedelta(days=90)
# a run still `running` after this long belongs to a process that stopped during it
ABANDONED_AFTER = timedelta(days=1)
ABANDONED = "no outcome recorded: the process running it stopped during the run"

SUMMARY_MAX = 500
ERROR_MAX = 1000
MAX_LIMIT = 500

# what a job, a schedule or a command may say about a run: a short text or a few named figures
RunSummary = str | Mapping[str, object] | None

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def runs_table(metadata: MetaData) -> Table:
    table = Table(
        "runs",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("name", Text, nullable=False),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("finished_at", DateTime(timezone=True)),
        Column("outcome", Text, nullable=False),
        Column("summary", Text),
        Column("error", Text),
        Column("correlation_id", Text),
        CheckConstraint("outcome IN ('running', 'ok', 'failed')", name="outcome_known"),
    )
    Index("ix_runs_name_started_at", table.c.name, table.c.started_at.desc())
    Index("ix_runs_started_at", table.c.started_at)
    return table


def create_runs_table(op: Operations, schema: str) -> None:
    """Create `runs` in `schema`: one line in a service's Alembic migration."""
    table = runs_table(service_metadata(schema))
    op.invoke(CreateTableOp.from_table(table))
    for index in table.indexes:
        op.invoke(CreateIndexOp.from_index(index))


def drop_runs_table(op: Operations, schema: str) -> None:
    op.invoke(DropTableOp.from_table(runs_table(service_metadata(schema))))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_text(value: RunSummary) -> str | None:
    """A summary as one line: a text as it is, figures as `key=value, key=value`."""
    if value is None:
        return None
    if isinstance(value, str):
        text = " ".join(value.split())
    else:
        text = ", ".join(f"{key}={item}" for key, item in value.items())
    return _clip(text, SUMMARY_MAX) if text else None


def error_text(error: BaseException | str) -> str:
    """An error as one line: its type and the first line of its message."""
    if isinstance(error, str):
        text = error.strip().splitlines()[0] if error.strip() else "failed"
    else:
        lines = str(error).strip().splitlines()
        name = type(error).__name__
        text = f"{name}: {lines[0]}" if lines else name
    return _clip(text, ERROR_MAX)


@dataclass
class RunNote:
    """What the recorded block says about its run: a summary, or that it failed without raising
    (a command that carries on past the invoices it could not ingest, say)."""

    summary: str | None = None
    error: str | None = None

    def summarize(self, value: RunSummary) -> None:
        self.summary = summary_text(value)

    def fail(self, error: BaseException | str) -> None:
        self.error = error_text(error)


@dataclass(frozen=True)
class Run:
    id: int
    name: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    summary: str | None
    error: str | None
    correlation_id: str | None
    # the latest run of its name (listings put those first)
    latest: bool = False

    @classmethod
    def from_row(cls, row: RowMapping, *, latest: bool = False) -> Run:
        return cls(
            id=row["id"],
            name=row["name"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            outcome=row["outcome"],
            summary=row["summary"],
            error=row["error"],
            correlation_id=row["correlation_id"],
            latest=latest,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RunLog:
    """One service's run log, in `<schema>.runs`."""

    def __init__(self, engine: AsyncEngine, schema: str, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.schema = schema
        self.table = runs_table(service_metadata(schema))
        self.clock = clock

    # -- writing --------------------------------------------------------------------------------

    async def start(self, name: str) -> int:
        """Insert a `running` run of `name` now; its id."""
        correlation_id = current_correlation_id()
        async with self.engine.begin() as connection:
            run_id = await connection.scalar(
                insert(self.table)
                .values(
                    name=name,
                    started_at=self.clock(),
                    outcome=RUNNING,
                    correlation_id=None if correlation_id is None else str(correlation_id),
                )
                .returning(self.table.c.id)
            )
        assert run_id is not None
        return int(run_id)

    async def finish(
        self, run_id: int, *, summary: RunSummary = None, error: BaseException | str | None = None
    ) -> None:
        """Mark run `run_id` `ok`, or `failed` when an error is given."""
        async with self.engine.begin() as connection:
            await connection.execute(
                update(self.table)
                .where(self.table.c.id == run_id)
                .values(
                    finished_at=self.clock(),
                    outcome=OK if error is None else FAILED,
                    summary=summary_text(summary),
                    error=None if error is None else error_text(error),
                )
            )

    @asynccontextmanager
    async def record(self, name: str) -> AsyncIterator[RunNote]:
        """Record the enclosed block as a run of `name`: `ok` when it ends, `failed` when it
        raises (the exception goes on) or calls `note.fail(...)`."""
        note = RunNote()
        run_id = await self._quietly(self.start(name), name)
        try:
            yield note
        except BaseException as exc:
            if run_id is not None:
                await self._quietly(
                    self.finish(run_id, summary=note.summary, error=_described(exc)), name
                )
            raise
        if run_id is not None:
            await self._quietly(self.finish(run_id, summary=note.summary, error=note.error), name)

    async def _quietly(self, write: Awaitable[T], name: str) -> T | None:
        try:
            result = await write
        except Exception:
            log.warning("could not write the run log of %s in %s", name, self.schema, exc_info=True)
            return None
        return result

    # -- reading --------------------------------------------------------------------------------

    async def list_runs(self, *, limit: int = 100, name: str | None = None) -> list[Run]:
        """The latest run of every name (newest first), then the most recent other runs;
        `limit` rows at most. With `name`, only the runs of that name, newest first."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        t = self.table
        newest_first = (t.c.started_at.desc(), t.c.id.desc())
        async with self.engine.connect() as connection:
            if name is not None:
                rows = (
                    await connection.execute(
                        select(t).where(t.c.name == name).order_by(*newest_first).limit(limit)
                    )
                ).mappings()
                runs = [Run.from_row(row) for row in rows]
                return [replace(runs[0], latest=True), *runs[1:]] if runs else []
            latest = (
                await connection.execute(
                    select(t).where(t.c.id.in_(self._latest_ids())).order_by(*newest_first)
                )
            ).mappings()
            first = [Run.from_row(row, latest=True) for row in latest][:limit]
            recent = (
                await connection.execute(select(t).order_by(*newest_first).limit(limit))
            ).mappings()
            shown = {run.id for run in first}
            rest = [Run.from_row(row) for row in recent if row["id"] not in shown]
        return (first + rest)[:limit]

    def _latest_ids(self) -> Select[tuple[int]]:
        """The id of the latest run of every name."""
        t = self.table
        return (
            select(t.c.id)
            .ext(distinct_on(t.c.name))
            .order_by(t.c.name, t.c.started_at.desc(), t.c.id.desc())
        )

    async def latest(self, name: str) -> Run | None:
        """The most recent run of `name`, or None if it never ran."""
        runs = await self.list_runs(limit=1, name=name)
        return runs[0] if runs else None

    # -- retention ------------------------------------------------------------------------------

    async def purge(self, older_than: timedelta = RETENTION) -> int:
        """Delete runs started before `older_than` ago, except the latest of each name; close
        runs left `running` for longer than `ABANDONED_AFTER`. The number of runs deleted."""
        t = self.table
        now = self.clock()
        async with self.engine.begin() as connection:
            await connection.execute(
                update(t)
                .where(t.c.outcome == RUNNING, t.c.started_at < now - ABANDONED_AFTER)
                .values(outcome=FAILED, error=ABANDONED)
            )
            deleted = await connection.execute(
                delete(t).where(
                    t.c.started_at < now - older_than, t.c.id.not_in(self._latest_ids())
                )
            )
        return int(deleted.rowcount)


def _described(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "cancelled: stopped during the run"
    return error_text(exc)
