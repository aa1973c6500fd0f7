"""Outbox and relay on real PostgreSQL: atomicity, exactly-one send per relay pass under
concurrency, re-send after a crash (deduplicated by the inbox), backoff, housekeeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import func, inspect, select, text, update

from arcadia_core.bus import InProcessBus, RetryPolicy, Subscription
from arcadia_core.db import create_engine
from arcadia_core.events import Envelope
from arcadia_core.inbox import idempotent
from arcadia_core.outbox import (
    OutboxRelay,
    OutboxWriter,
    add_to_outbox,
    create_outbox_tables,
    drop_outbox_tables,
)


class RecordingPublisher:
    """Records what it "published"; `delay` imitates waiting for a confirm."""

    def __init__(self, *, delay: float = 0.0, failing: set[UUID] | None = None) -> None:
        self.delay = delay
        self.failing = failing if failing is not None else set()
        self.sent: list[UUID] = []
        self._sent_more = asyncio.Event()

    async def publish(self, envelope: Envelope) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if envelope.id in self.failing:
            raise PublishRefused(f"broker refused {envelope.id}")
        self.sent.append(envelope.id)
        self._sent_more.set()

    async def wait_until_sent(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.sent) < count:
                self._sent_more.clear()
                await self._sent_more.wait()


class PublishRefused(RuntimeError):
    """A failure of one row's publish (not the broker's being away)."""


class Killed(BaseException):
    """The relay process dying: not an `Exception`, so nothing handles it as a failed publish."""


async def write(db: Any, *envelopes: Envelope) -> None:
    async with db.sessions() as session, session.begin():
        await add_to_outbox(session, db.outbox, *envelopes)


async def seconds_until_next_attempt(db: Any, event_id: UUID) -> float:
    async with db.engine.connect() as connection:
        value = await connection.scalar(
            select(func.extract("epoch", db.outbox.c.next_attempt_at - func.now())).where(
                db.outbox.c.event_id == event_id
            )
        )
    return float(value)


async def test_rolled_back_transaction_publishes_nothing(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    class StateChangeFailed(Exception):
        pass

    with pytest.raises(StateChangeFailed):
        async with messaging_db.sessions() as session, session.begin():
            await add_to_outbox(session, messaging_db.outbox, new_envelope(), new_envelope())
            raise StateChangeFailed

    publisher = RecordingPublisher()
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher)
    assert await relay.relay_once() == 0
    assert publisher.sent == []
    assert await messaging_db.outbox_rows() == []


async def test_committed_event_is_published_once_and_marked_sent(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    first, second = new_envelope(n=1), new_envelope("other.happened", n=2)
    await write(messaging_db, first, second)
    publisher = RecordingPublisher()
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher)

    assert await relay.pending_count() == 2
    assert await relay.relay_once() == 2
    assert await relay.relay_once() == 0
    assert publisher.sent == [first.id, second.id]
    assert await relay.pending_count() == 0
    rows = await messaging_db.outbox_rows()
    assert [(r.event_id, r.event_type, r.attempts) for r in rows] == [
        (first.id, "thing.happened", 0),
        (second.id, "other.happened", 0),
    ]
    assert all(r.sent_at is not None for r in rows)
    assert Envelope.model_validate(rows[0].envelope) == first


async def test_two_relays_never_send_one_row_twice(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    envelopes = [new_envelope(n=i) for i in range(500)]
    await write(messaging_db, *envelopes)
    publisher = RecordingPublisher(delay=0.001)
    relays = [
        OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher, batch_size=25)
        for _ in range(2)
    ]

    async def drain(relay: OutboxRelay) -> int:
        total = 0
        while sent := await relay.relay_once():
            total += sent
        return total

    totals = await asyncio.gather(*(drain(relay) for relay in relays))

    assert len(publisher.sent) == 500
    assert set(publisher.sent) == {e.id for e in envelopes}
    assert sum(totals) == 500
    assert all(total > 0 for total in totals), totals  # both relays really took part
    assert await relays[0].pending_count() == 0


async def test_relay_killed_after_publish_resends_and_inbox_applies_once(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    deliveries: list[UUID] = []
    consumer = idempotent(
        messaging_db.sessions, messaging_db.inbox, "test.on-thing.happened", messaging_db.apply
    )

    async def handler(envelope: Envelope) -> None:
        deliveries.append(envelope.id)
        await consumer(envelope)

    bus = InProcessBus(retry=RetryPolicy(delays=()))
    bus.subscribe(Subscription("test", "thing.happened", handler))
    await bus.start()

    class DiesAfterFirstPublish:
        died = False

        async def publish(self, envelope: Envelope) -> None:
            await bus.publish(envelope)  # the broker has it, the consumer handles it...
            if not self.died:
                self.died = True
                raise Killed  # ...and the relay dies before marking the row sent

    envelope = new_envelope()
    await write(messaging_db, envelope)
    with pytest.raises(Killed):
        await OutboxRelay(
            messaging_db.engine, messaging_db.outbox, DiesAfterFirstPublish()
        ).relay_once()
    assert deliveries == [envelope.id]
    assert (await messaging_db.outbox_rows())[0].sent_at is None

    assert await OutboxRelay(messaging_db.engine, messaging_db.outbox, bus).relay_once() == 1
    assert deliveries == [envelope.id, envelope.id]  # at least once: delivered twice...
    assert await messaging_db.applied_count(envelope.id) == 1  # ...applied once
    assert await messaging_db.inbox_count() == 1
    assert (await messaging_db.outbox_rows())[0].sent_at is not None


async def test_relay_task_cancelled_mid_publish_leaves_row_unsent(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    published = asyncio.Event()

    class HangsAfterPublish:
        async def publish(self, envelope: Envelope) -> None:
            published.set()
            await asyncio.Event().wait()

    envelope = new_envelope()
    await write(messaging_db, envelope)
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, HangsAfterPublish())
    task = asyncio.create_task(relay.run())
    await asyncio.wait_for(published.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    publisher = RecordingPublisher()
    assert await OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher).relay_once() == 1
    assert publisher.sent == [envelope.id]


async def test_failed_publish_backs_off_records_error_and_spares_the_batch(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    good1, bad, good2 = new_envelope(n=1), new_envelope(n=2), new_envelope(n=3)
    await write(messaging_db, good1, bad, good2)
    publisher = RecordingPublisher(failing={bad.id})
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher, max_backoff=3)

    assert await relay.relay_once() == 2
    assert publisher.sent == [good1.id, good2.id]
    row = next(r for r in await messaging_db.outbox_rows() if r.event_id == bad.id)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error == f"PublishRefused: broker refused {bad.id}"
    assert 0.5 < await seconds_until_next_attempt(messaging_db, bad.id) <= 1.0  # 2 ** 0 s

    assert await relay.relay_once() == 0  # not due yet: not even tried
    assert publisher.sent == [good1.id, good2.id]
    assert await relay.pending_count() == 1

    async def make_due() -> None:
        async with messaging_db.engine.begin() as connection:
            await connection.execute(
                update(messaging_db.outbox)
                .where(messaging_db.outbox.c.event_id == bad.id)
                .values(next_attempt_at=func.now())
            )

    await make_due()
    assert await relay.relay_once() == 0
    assert 1.5 < await seconds_until_next_attempt(messaging_db, bad.id) <= 2.0  # 2 ** 1 s
    await make_due()
    assert await relay.relay_once() == 0
    assert 2.5 < await seconds_until_next_attempt(messaging_db, bad.id) <= 3.0  # capped

    publisher.failing.clear()
    await make_due()
    assert await relay.relay_once() == 1
    assert publisher.sent == [good1.id, good2.id, bad.id]
    row = next(r for r in await messaging_db.outbox_rows() if r.event_id == bad.id)
    assert (row.attempts, row.sent_at is not None) == (3, True)


async def test_writer_wakes_the_relay_on_commit(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    publisher = RecordingPublisher()
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher, poll_interval=60)
    writer = OutboxWriter(messaging_db.outbox, on_commit=relay.wake)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.2)  # the first pass found nothing; the relay now sleeps 60 s
        envelope = new_envelope()
        async with messaging_db.sessions() as session, session.begin():
            await writer.add(session, envelope)
            await writer.add(session, new_envelope())
        await publisher.wait_until_sent(2)
        assert publisher.sent[0] == envelope.id
    finally:
        relay.stop()
        await asyncio.wait_for(task, 5)


async def test_purge_sent_deletes_only_old_sent_rows(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    sent, unsent = new_envelope(), new_envelope()
    await write(messaging_db, sent, unsent)
    relay = OutboxRelay(
        messaging_db.engine, messaging_db.outbox, RecordingPublisher(failing={unsent.id})
    )
    await relay.relay_once()

    assert await relay.purge_sent(timedelta(hours=1)) == 0
    async with messaging_db.engine.begin() as connection:
        await connection.execute(
            update(messaging_db.outbox)
            .values(sent_at=func.now() - timedelta(hours=2))
            .where(messaging_db.outbox.c.sent_at.is_not(None))
        )
    assert await relay.purge_sent(timedelta(hours=1)) == 1
    assert [r.event_id for r in await messaging_db.outbox_rows()] == [unsent.id]


async def test_migration_helpers_create_and_drop_both_tables(database_url: str) -> None:
    engine = create_engine(database_url, schema="svc")

    def tables_and_indexes(connection: Any) -> dict[str, set[str]]:
        inspector = inspect(connection)
        return {
            table: {
                *(index["name"] for index in inspector.get_indexes(table, schema="svc")),
                inspector.get_pk_constraint(table, schema="svc")["name"],
                *(c["name"] for c in inspector.get_unique_constraints(table, schema="svc")),
            }
            for table in inspector.get_table_names(schema="svc")
        }

    def migrate(connection: Any, step: Callable[[Operations, str], None]) -> None:
        step(Operations(MigrationContext.configure(connection)), "svc")

    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE SCHEMA svc"))
            await connection.run_sync(migrate, create_outbox_tables)
            assert await connection.run_sync(tables_and_indexes) == {
                "inbox": {"pk_inbox"},
                "outbox": {"ix_outbox_unsent", "pk_outbox", "uq_outbox_event_id"},
            }
            index_sql = await connection.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_outbox_unsent'")
            )
            assert "WHERE (sent_at IS NULL)" in index_sql
            await connection.run_sync(migrate, drop_outbox_tables)
            assert await connection.run_sync(tables_and_indexes) == {}
    finally:
        await engine.dispose()
