"""`arcadia outbox status|retry` and `arcadia dlq list|show|replay|purge` (in-process dead
letters) against a migrated inventory schema."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import func, insert, update
from typer.testing import CliRunner

from arcadia import registry
from arcadia.cli import app
from arcadia_core.bus.deadletters import SqlDeadLetterStore, dead_letters_table
from arcadia_core.db import create_engine, service_metadata
from arcadia_core.events import DriftDetected
from arcadia_core.outbox import outbox_table

cli = CliRunner()
QUEUE = "inventory.on-drift.detected"


async def _prepare(database_url: str) -> tuple[int, str]:
    schema = registry.definition("inventory").schema
    metadata = service_metadata(schema)
    outbox = outbox_table(metadata)
    engine = create_engine(database_url, schema=schema)
    try:
        parked_id = uuid4()
        async with engine.begin() as connection:
            await connection.execute(
                insert(outbox).values(
                    event_id=parked_id, event_type="x.y", envelope={"not": "an envelope"}
                )
            )
            row_id = await connection.scalar(
                update(outbox)
                .where(outbox.c.event_id == parked_id)
                .values(parked_at=func.now(), attempts=20, last_error="unreadable envelope")
                .returning(outbox.c.id)
            )
        # a drift finding about a resource the inventory never heard of: poison
        envelope = DriftDetected(
            drift_id=uuid4(),
            resource_id=uuid4(),
            field="size_slug",
            desired="s-1vcpu-1gb",
            actual="s-2vcpu-2gb",
            detected_at=datetime.now(UTC),
        ).envelope(producer="drift")
        await SqlDeadLetterStore(engine, dead_letters_table(metadata)).add(
            QUEUE, envelope, "Unprocessable: unknown resource"
        )
        return int(row_id), str(envelope.id)
    finally:
        await engine.dispose()


def test_outbox_status_and_retry_and_in_process_dlq(
    migrated_database: Callable[..., Awaitable[str]],
) -> None:
    definition = registry.definition("inventory")
    database_url = asyncio.run(migrated_database(definition.migrate))
    row_id, event_id = asyncio.run(_prepare(database_url))
    env = {"ARCADIA_DATABASE_URL": database_url, "ARCADIA_AMQP_URL": ""}

    status = cli.invoke(app, ["outbox", "status", "-s", "inventory", "-o", "json"], env=env)
    assert status.exit_code == 0, status.output
    [summary] = json.loads(status.stdout)
    assert (summary["pending"], summary["parked"]) == (0, 1)
    parked = cli.invoke(app, ["outbox", "status", "--parked", "-o", "json"], env=env)
    assert parked.exit_code == 0, parked.output
    assert [(r["id"], r["last_error"]) for r in json.loads(parked.stdout)] == [
        (row_id, "unreadable envelope")
    ]
    assert cli.invoke(app, ["outbox", "retry", str(row_id)], env=env).exit_code != 0
    retried = cli.invoke(app, ["outbox", "retry", "-s", "inventory", str(row_id)], env=env)
    assert retried.exit_code == 0, retried.output
    assert "inventory: 1 parked row(s) put back" in retried.stdout
    status = cli.invoke(app, ["outbox", "status", "-s", "inventory", "-o", "json"], env=env)
    assert [(r["pending"], r["parked"]) for r in json.loads(status.stdout)] == [(1, 0)]

    depths = cli.invoke(app, ["dlq", "list", "-o", "json"], env=env)
    assert depths.exit_code == 0, depths.output
    assert {"queue": QUEUE, "dead_letters": 1} in json.loads(depths.stdout)
    listed = cli.invoke(app, ["dlq", "list", QUEUE, "-o", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    [letter] = json.loads(listed.stdout)
    assert (letter["event_id"], letter["error"]) == (event_id, "Unprocessable: unknown resource")
    shown = cli.invoke(app, ["dlq", "show", QUEUE, event_id], env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["envelope"]["payload"]["field"] == "size_slug"
    assert cli.invoke(app, ["dlq", "list", "nobody.on-x"], env=env).exit_code != 0

    # replayed through the inventory's own consumer, which still refuses it: it stays
    replayed = cli.invoke(app, ["dlq", "replay", QUEUE, "--all"], env=env)
    assert replayed.exit_code == 1, replayed.output
    assert "0 replayed, 1 failed again" in replayed.stdout
    purged = cli.invoke(app, ["dlq", "purge", QUEUE, event_id, "--yes"], env=env)
    assert purged.exit_code == 0, purged.output
    assert f"{QUEUE}: 1 dead letter(s) deleted" in purged.stdout
    listed = cli.invoke(app, ["dlq", "list", QUEUE, "-o", "json"], env=env)
    assert json.loads(listed.stdout) == []
