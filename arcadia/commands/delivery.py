"""`arcadia outbox status|retry` and `arcadia dlq list|show|replay|purge`: event delivery.

The outbox commands read each service's `outbox` in its own schema. The DLQ commands work on
RabbitMQ's `<queue>.dlq` when ARCADIA_AMQP_URL is set, and otherwise on the consuming service's
`dead_letters` table (the in-process bus's dead letters). QUEUE is a consumer queue such as
`inventory.on-drift.detected`; `arcadia dlq list` without one shows every known queue's depth.
"""

from __future__ import annotations

import json
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import typer

from arcadia.commands.common import Output, OutputOption, service_schemas
from arcadia.commands.common import emit_rows as _emit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from arcadia_core.bus.deadletters import DeadLetter
    from arcadia_core.outbox import OutboxRelay

T = TypeVar("T")

outbox = typer.Typer(
    help="The transactional outbox: what waits to be published, and parked rows.",
    no_args_is_help=True,
)
dlq = typer.Typer(
    help="Dead-letter queues: list, show, replay or purge what a consumer gave up on.",
    no_args_is_help=True,
)


ServiceOption = Annotated[
    list[str] | None,
    typer.Option("--service", "-s", help="Only this service (repeatable); default: every one"),
]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows at most")]
QueueArgument = Annotated[
    str, typer.Argument(help="Consumer queue, e.g. inventory.on-drift.detected")
]


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    from arcadia.commands.common import run

    return run(coroutine)


async def _engine(service: str, schema: str) -> AsyncEngine:
    from arcadia.runtime import database_url
    from arcadia_core.db import create_engine
    from arcadia_core.settings import ArcadiaSettings

    return create_engine(await database_url(ArcadiaSettings(), service), schema=schema, pool_size=1)


def _relay(engine: AsyncEngine, schema: str) -> OutboxRelay:
    from arcadia_core.bus.inprocess import InProcessBus
    from arcadia_core.db import service_metadata
    from arcadia_core.outbox import OutboxRelay, outbox_table

    # never started: these commands only read and update rows, they publish nothing
    return OutboxRelay(engine, outbox_table(service_metadata(schema)), InProcessBus())


def _missing_table(exc: BaseException) -> bool:
    text = str(exc)
    return "does not exist" in text and ("relation" in text or "column" in text)


@outbox.command("status")
def outbox_status(
    service: ServiceOption = None,
    parked: Annotated[bool, typer.Option("--parked", help="List the parked rows too")] = False,
    limit: LimitOption = 100,
    output: OutputOption = Output.table,
) -> None:
    """Per service: rows waiting to be published, the oldest one's age, parked rows."""

    async def collect() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        summary: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for name, schema in service_schemas(service):
            engine = await _engine(name, schema)
            try:
                relay = _relay(engine, schema)
                status = await relay.status()
                summary.append(
                    {
                        "service": name,
                        "pending": status.pending,
                        "oldest_unsent_age_s": round(status.oldest_unsent_age, 1),
                        "parked": status.parked,
                    }
                )
                if parked and status.parked:
                    rows += [
                        {
                            "service": name,
                            "id": row.id,
                            "event_type": row.event_type,
                            "event_id": row.event_id,
                            "attempts": row.attempts,
                            "parked_at": row.parked_at.isoformat(),
                            "last_error": row.last_error,
                        }
                        for row in await relay.parked_rows(limit=limit)
                    ]
            except Exception as exc:
                if not _missing_table(exc):
                    raise
                typer.echo(f"{name}: no outbox yet (run `arcadia migrate`)", err=True)
            finally:
                await engine.dispose()
        return summary, rows

    summary, rows = _run(collect())
    if parked:
        columns = ["service", "id", "event_type", "event_id", "attempts", "parked_at", "last_error"]
        _emit(rows, columns, output)
    else:
        _emit(summary, ["service", "pending", "oldest_unsent_age_s", "parked"], output)


@outbox.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Parked row ids of --service")] = None,
    service: ServiceOption = None,
    all_parked: Annotated[
        bool, typer.Option("--all", help="Every parked row (of --service, or of every service)")
    ] = False,
) -> None:
    """Put parked rows back in line, with a fresh attempt count; the relay publishes them."""
    if not ids and not all_parked:
        raise typer.BadParameter("give parked row ids (with --service) or --all")
    if ids and (not service or len(service) != 1):
        raise typer.BadParameter("row ids belong to one service: add --service NAME")

    async def retry() -> list[tuple[str, int]]:
        done: list[tuple[str, int]] = []
        for name, schema in service_schemas(service):
            engine = await _engine(name, schema)
            try:
                done.append((name, await _relay(engine, schema).retry_parked(ids or None)))
            finally:
                await engine.dispose()
        return done

    for name, count in _run(retry()):
        typer.echo(f"{name}: {count} parked row(s) put back for publishing")


# --- dead letters -------------------------------------------------------------------------


class _DeadLetters(Protocol):
    async def read(self, queue: str, *, limit: int = 100) -> list[DeadLetter]: ...

    async def get(self, queue: str, ident: str) -> DeadLetter | None: ...

    async def count(self, queue: str) -> int: ...


def _service_of(queue: str) -> tuple[str, str]:
    from arcadia import registry

    known = registry.consumer_queues()
    if queue not in known:
        raise typer.BadParameter(
            f"unknown queue {queue!r}; known: {', '.join(sorted(known)) or 'none'}"
        )
    name = queue.split(".on-", 1)[0]
    return name, registry.definition(name).schema


def _broker() -> tuple[str, str] | None:
    from arcadia_core.settings import ArcadiaSettings

    settings = ArcadiaSettings()
    return (settings.amqp_url, settings.amqp_namespace) if settings.amqp_url else None


async def _with_letters(queue: str, work: Any) -> Any:
    """Run `work(store)` on the DLQ of `queue`: RabbitMQ's, or the service's table."""
    broker = _broker()
    if broker is not None:
        from arcadia_core.bus.dlq import RabbitDeadLetters

        return await work(RabbitDeadLetters(*broker))
    from arcadia_core.bus.deadletters import SqlDeadLetterStore, dead_letters_table
    from arcadia_core.db import service_metadata

    name, schema = _service_of(queue)
    engine = await _engine(name, schema)
    try:
        return await work(SqlDeadLetterStore(engine, dead_letters_table(service_metadata(schema))))
    finally:
        await engine.dispose()


def _row(letter: DeadLetter) -> dict[str, Any]:
    found = letter.as_dict()
    found.pop("envelope")
    return found


@dlq.command("list")
def dlq_list(
    queue: Annotated[
        str | None, typer.Argument(help="Consumer queue; none: every known queue's depth")
    ] = None,
    limit: LimitOption = 100,
    output: OutputOption = Output.table,
) -> None:
    """The dead letters of QUEUE (oldest first, with their error), or each queue's depth."""
    if queue is None:
        from arcadia import registry

        async def depths() -> list[dict[str, Any]]:
            rows = []
            for name in sorted(registry.consumer_queues()):
                try:
                    depth: int | str = await _with_letters(name, lambda s, n=name: s.count(n))
                except Exception as exc:
                    depth = f"unavailable: {type(exc).__name__}"
                rows.append({"queue": name, "dead_letters": depth})
            return rows

        _emit(_run(depths()), ["queue", "dead_letters"], output)
        return
    _service_of(queue)
    letters: list[DeadLetter] = _run(_with_letters(queue, lambda s: s.read(queue, limit=limit)))
    rows = [_row(letter) for letter in letters]
    _emit(rows, ["id", "event_type", "event_id", "failed_at", "error"], output)


@dlq.command("show")
def dlq_show(
    queue: QueueArgument,
    ident: Annotated[str, typer.Argument(help="Dead letter id or event id")],
) -> None:
    """One dead letter in full: its envelope and its error."""
    _service_of(queue)
    letter: DeadLetter | None = _run(_with_letters(queue, lambda s: s.get(queue, ident)))
    if letter is None:
        typer.echo(f"no dead letter {ident} in {queue}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(letter.as_dict(), default=str, indent=2))


def _selection(ids: list[str] | None, everything: bool) -> list[str] | None:
    if not ids and not everything:
        raise typer.BadParameter("give dead letter ids or --all")
    return ids or None


@dlq.command("replay")
def dlq_replay(
    queue: QueueArgument,
    ids: Annotated[list[str] | None, typer.Argument(help="Dead letter ids (see list)")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every dead letter of QUEUE")] = False,
) -> None:
    """Deliver dead letters to their consumer again (after fixing what made them fail).

    With RabbitMQ they go back to the work queue; in process, the consumer's handler is run
    here, and a letter that fails again stays in the table with its new error.
    """
    name, _ = _service_of(queue)
    wanted = _selection(ids, everything)
    if _broker() is not None:
        count = _run(_with_letters(queue, lambda s: s.replay(queue, wanted)))
        typer.echo(f"{queue}: {count} message(s) moved back to the queue")
        return
    replayed, failed = _run(_replay_in_process(name, queue, wanted))
    typer.echo(f"{queue}: {replayed} replayed, {failed} failed again")
    if failed:
        raise typer.Exit(1)


async def _replay_in_process(name: str, queue: str, wanted: list[str] | None) -> tuple[int, int]:
    from rich.progress import Progress

    from arcadia.runtime import one_shot
    from arcadia_core.bus.deadletters import SqlDeadLetterStore, dead_letters_table
    from arcadia_core.bus.errors import describe_error
    from arcadia_core.db import service_metadata

    # replaying calls no provider: the sandbox stands in when no DigitalOcean token is set
    async with one_shot(name, sandbox=True) as service:
        handlers = {s.queue: s.handler for s in service.subscriptions()}
        handler = handlers.get(queue)
        if handler is None:
            raise typer.BadParameter(f"{name} has no consumer for {queue}")
        schema = _service_of(queue)[1]
        engine = await _engine(name, schema)
        try:
            table = dead_letters_table(service_metadata(schema))
            store = SqlDeadLetterStore(engine, table)
            letters = await store.read(queue, limit=1_000_000)
            if wanted is not None:
                letters = [
                    letter
                    for letter in letters
                    if letter.id in wanted
                    or (letter.envelope is not None and str(letter.envelope.id) in wanted)
                ]
            replayed = failed = 0
            with Progress(transient=True) as progress:
                task = progress.add_task(f"replaying {queue}", total=len(letters))
                for letter in letters:
                    progress.advance(task)
                    if letter.envelope is None:
                        failed += 1
                        continue
                    try:
                        await handler(letter.envelope)
                    except Exception as exc:
                        failed += 1
                        typer.echo(f"{letter.id}: {describe_error(exc)}", err=True)
                        continue
                    await store.delete(queue, [letter.id])
                    replayed += 1
        finally:
            await engine.dispose()
    return replayed, failed


@dlq.command("purge")
def dlq_purge(
    queue: QueueArgument,
    ids: Annotated[list[str] | None, typer.Argument(help="Dead letter ids (see list)")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every dead letter of QUEUE")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete dead letters for good."""
    _service_of(queue)
    wanted = _selection(ids, everything)
    if not yes:
        what = "every dead letter" if wanted is None else f"{len(wanted)} dead letter(s)"
        typer.confirm(f"Delete {what} of {queue}?", abort=True)

    async def purge(store: Any) -> int:
        if hasattr(store, "purge"):
            return int(await store.purge(queue, wanted))
        return int(await store.delete(queue, wanted))

    count = _run(_with_letters(queue, purge))
    typer.echo(f"{queue}: {count} dead letter(s) deleted")
