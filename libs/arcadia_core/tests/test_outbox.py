"""Outbox and relay on real PostgreSQL: atomicity, exactly-one send per relay pass under
concurrency, re-send after a crash (deduplicated by the inbox), backoff, housekeeping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from prometheus_client import REGISTRY
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.engine import make_url

from arcadia_core.bus import InProcessBus, RetryPolicy, Subscription
from arcadia_core.db import create_engine, service_metadata, session_factory
from arcadia_core.events import Envelope
from arcadia_core.inbox import idempotent, purge_handled
from arcadia_core.outbox import (
    OutboxRelay,
    OutboxWriter,
    add_to_outbox,
    create_outbox_tables,
    downgrade_messaging_tables,
    drop_outbox_tables,
    outbox_table,
    store_envelopes_as_json,
    store_envelopes_as_jsonb,
    upgrade_messaging_tables,
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
            first_shape = await connection.run_sync(tables_and_indexes)

            await connection.run_sync(migrate, upgrade_messaging_tables)
            assert await connection.run_sync(tables_and_indexes) == {
                "inbox": {"pk_inbox", "ix_inbox_handled_at"},
                "outbox": {
                    "ix_outbox_unsent",
                    "ix_outbox_parked",
                    "pk_outbox",
                    "uq_outbox_event_id",
                },
                "dead_letters": {"pk_dead_letters", "ix_dead_letters_queue"},
            }
            triggers = await connection.scalar(
                text("SELECT count(*) FROM pg_trigger WHERE tgname = 'outbox_notify'")
            )
            assert triggers == 1
            await connection.run_sync(migrate, downgrade_messaging_tables)
            assert await connection.run_sync(tables_and_indexes) == first_shape
            await connection.run_sync(migrate, drop_outbox_tables)
            assert await connection.run_sync(tables_and_indexes) == {}
    finally:
        await engine.dispose()


async def test_envelopes_held_as_jsonb_are_relayed_after_the_move_to_json(
    database_url: str, new_envelope: Callable[..., Envelope]
) -> None:
    engine = create_engine(database_url, schema="svc_json")
    sessions = session_factory(engine)
    table = outbox_table(service_metadata("svc_json"))

    def migrate(connection: Any, *steps: Callable[[Operations, str], None]) -> None:
        for step in steps:
            step(Operations(MigrationContext.configure(connection)), "svc_json")

    async def envelope_type() -> str:
        async with engine.connect() as connection:
            return str(
                await connection.scalar(
                    text(
                        "SELECT data_type FROM information_schema.columns WHERE table_schema ="
                        " 'svc_json' AND table_name = 'outbox' AND column_name = 'envelope'"
                    )
                )
            )

    held, written = new_envelope(note="held ☃"), new_envelope(note="written after")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE SCHEMA svc_json"))
            await connection.run_sync(migrate, create_outbox_tables, upgrade_messaging_tables)
        async with sessions() as session, session.begin():
            await add_to_outbox(session, table, held)
        assert await envelope_type() == "jsonb"

        async with engine.begin() as connection:
            await connection.run_sync(migrate, store_envelopes_as_json)
        assert await envelope_type() == "json"
        async with sessions() as session, session.begin():
            await add_to_outbox(session, table, written)
        publisher = RecordingPublisher()
        await OutboxRelay(engine, table, publisher).relay_once()
        assert publisher.sent == [held.id, written.id]
        async with engine.connect() as connection:
            stored = (await connection.execute(select(table.c.envelope))).scalars().all()
        assert [Envelope.model_validate(e) for e in stored] == [held, written]

        async with engine.begin() as connection:
            await connection.run_sync(migrate, store_envelopes_as_jsonb)
        assert await envelope_type() == "jsonb"
    finally:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS svc_json CASCADE"))
        await engine.dispose()


class BrokerAway:
    """Every publish fails the way a lost connection does."""

    def __init__(self) -> None:
        self.away = True
        self.sent: list[UUID] = []

    async def publish(self, envelope: Envelope) -> None:
        if self.away:
            raise ConnectionResetError("connection reset by peer")
        self.sent.append(envelope.id)


async def test_broker_outage_stops_the_pass_counts_no_attempt_and_logs_once(
    messaging_db: Any, new_envelope: Callable[..., Envelope], caplog: pytest.LogCaptureFixture
) -> None:
    envelopes = [new_envelope(n=i) for i in range(300)]
    await write(messaging_db, *envelopes)
    publisher = BrokerAway()
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher, max_in_flight=10)
    with caplog.at_level("WARNING", logger="arcadia_core.outbox"):
        for _ in range(5):
            assert await relay.relay_once() == 0
        assert relay.in_outage
        rows = await messaging_db.outbox_rows()
        assert {(r.attempts, r.claimed_until, r.parked_at) for r in rows} == {(0, None, None)}
        outage_lines = [r for r in caplog.records if "unavailable" in r.getMessage()]
        assert len(outage_lines) == 1  # one line per outage, not per row nor per pass
        assert len(caplog.records) == 1

        publisher.away = False
        while await relay.relay_once():
            pass
    assert len(publisher.sent) == 300
    assert not relay.in_outage
    status = await relay.status()
    assert (status.pending, status.oldest_unsent_age) == (0, 0)
    assert "broker back after" in caplog.records[1].getMessage()
    assert await relay.pending_count() == 0


async def test_poison_row_is_parked_and_the_rows_after_it_flow(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    before, poison, after = new_envelope(n=1), new_envelope(n=2), new_envelope(n=3)
    await write(messaging_db, before, poison, after)
    async with messaging_db.engine.begin() as connection:  # a row that does not even parse
        await connection.execute(
            messaging_db.outbox.insert().values(
                event_id=uuid4(), event_type="x", envelope={"not": "an envelope"}
            )
        )
    publisher = RecordingPublisher(failing={poison.id})
    relay = OutboxRelay(
        messaging_db.engine, messaging_db.outbox, publisher, max_attempts=3, max_backoff=0.01
    )
    failures_before = (
        REGISTRY.get_sample_value(
            "arcadia_outbox_publish_failures_total", {"schema": "messaging_test", "kind": "row"}
        )
        or 0
    )
    assert await relay.relay_once() == 2
    for _ in range(2):
        await asyncio.sleep(0.02)
        await relay.relay_once()
    later = new_envelope(n=4)
    await write(messaging_db, later)
    await asyncio.sleep(0.02)
    assert await relay.relay_once() == 1  # the parked rows are no longer claimed

    assert publisher.sent == [before.id, after.id, later.id]
    parked = await relay.parked_rows()
    assert [(p.event_id, p.attempts) for p in parked] == [
        (str(poison.id), 3),
        (parked[1].event_id, 1),
    ]
    assert parked[0].last_error == f"PublishRefused: broker refused {poison.id}"
    assert parked[1].last_error is not None and "unreadable envelope" in parked[1].last_error
    status = await relay.status()
    assert (status.pending, status.parked) == (0, 2)
    labels = {"schema": "messaging_test"}
    assert REGISTRY.get_sample_value("arcadia_outbox_parked", labels) == 2
    assert REGISTRY.get_sample_value("arcadia_outbox_pending", labels) == 0
    row_failures = {**labels, "kind": "row"}
    assert REGISTRY.get_sample_value("arcadia_outbox_publish_failures_total", row_failures) == (
        failures_before + 3
    )

    publisher.failing.clear()
    assert await relay.retry_parked([parked[0].id]) == 1
    assert await relay.relay_once() == 1
    assert publisher.sent[-1] == poison.id
    assert (await relay.status()).parked == 1


async def test_backoff_is_capped_for_any_attempt_count(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    """`2.0 ** attempts` overflowed after ~1,024 attempts and stalled the whole stream."""
    bad, good = new_envelope(n=1), new_envelope(n=2)
    await write(messaging_db, bad, good)
    async with messaging_db.engine.begin() as connection:
        await connection.execute(
            update(messaging_db.outbox)
            .where(messaging_db.outbox.c.event_id == bad.id)
            .values(attempts=5000)
        )
    publisher = RecordingPublisher(failing={bad.id})
    relay = OutboxRelay(
        messaging_db.engine, messaging_db.outbox, publisher, max_backoff=3, max_attempts=10**6
    )
    assert await relay.relay_once() == 1
    assert publisher.sent == [good.id]
    assert 2.5 < await seconds_until_next_attempt(messaging_db, bad.id) <= 3.0


async def test_no_lock_or_transaction_is_held_while_publishing(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    release = asyncio.Event()
    publishing = asyncio.Event()

    class Slow:
        async def publish(self, envelope: Envelope) -> None:
            publishing.set()
            await release.wait()

    await write(messaging_db, new_envelope(), new_envelope())
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, Slow(), publish_timeout=5)
    task = asyncio.create_task(relay.relay_once())
    await asyncio.wait_for(publishing.wait(), 5)
    async with messaging_db.engine.connect() as connection:
        idle_in_transaction = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            )
        )
        # every claimed row can be locked at once: nobody holds it
        locked = (
            await connection.execute(text("SELECT id FROM messaging_test.outbox FOR UPDATE NOWAIT"))
        ).all()
        await connection.rollback()
    assert idle_in_transaction == 0
    assert len(locked) == 2
    # a second relay does not take the leased rows
    other = RecordingPublisher()
    assert await OutboxRelay(messaging_db.engine, messaging_db.outbox, other).relay_once() == 0
    release.set()
    assert await task == 2


async def test_publish_timeout_gives_the_batch_back_within_the_timeout(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    class Blocked:
        async def publish(self, envelope: Envelope) -> None:
            await asyncio.Event().wait()  # a broker under a memory alarm never confirms

    await write(messaging_db, *(new_envelope(n=i) for i in range(20)))
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, Blocked(), publish_timeout=0.3)
    started = asyncio.get_running_loop().time()
    assert await relay.relay_once() == 0
    assert asyncio.get_running_loop().time() - started < 1.5
    assert relay.in_outage
    rows = await messaging_db.outbox_rows()
    assert {(r.claimed_until, r.attempts) for r in rows} == {(None, 0)}
    publisher = RecordingPublisher()
    assert await OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher).relay_once() == 20


async def test_a_dead_relays_lease_expires_and_its_rows_are_sent(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    envelope = new_envelope()
    await write(messaging_db, envelope)
    dead = OutboxRelay(messaging_db.engine, messaging_db.outbox, RecordingPublisher(), lease=0.5)
    assert len(await dead._claim()) == 1  # claimed, then the process is SIGKILLed
    publisher = RecordingPublisher()
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher)
    assert await relay.relay_once() == 0
    await asyncio.sleep(0.6)
    assert await relay.relay_once() == 1
    assert publisher.sent == [envelope.id]


async def test_a_batch_is_published_with_many_confirms_in_flight(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    await write(messaging_db, *(new_envelope(n=i) for i in range(400)))
    publisher = RecordingPublisher(delay=0.05)  # one by one: 20 s
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher, batch_size=400)
    started = asyncio.get_running_loop().time()
    assert await relay.relay_once() == 400
    assert asyncio.get_running_loop().time() - started < 3


async def test_a_commit_in_another_process_wakes_the_relay_through_notify(
    messaging_db: Any, messaging_url: str, new_envelope: Callable[..., Envelope]
) -> None:
    publisher = RecordingPublisher()
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, publisher, poll_interval=60)
    task = asyncio.create_task(relay.run())
    other_process = create_engine(messaging_url, schema="messaging_test")
    try:
        await asyncio.wait_for(relay.listening.wait(), 5)
        await asyncio.sleep(0.1)  # the first pass found nothing: the relay sleeps for 60 s
        envelope = new_envelope()
        async with other_process.begin() as connection:  # no writer, no wake(): only NOTIFY
            await connection.execute(
                messaging_db.outbox.insert().values(
                    event_id=envelope.id,
                    event_type=envelope.type,
                    envelope=envelope.model_dump(mode="json"),
                )
            )
        await publisher.wait_until_sent(1)
        assert publisher.sent == [envelope.id]
    finally:
        relay.stop()
        await asyncio.wait_for(task, 5)
        await other_process.dispose()


async def test_an_outbox_in_its_first_shape_is_still_relayed(
    database_url: str, new_envelope: Callable[..., Envelope]
) -> None:
    """A service whose migrations have not called `upgrade_messaging_tables` yet."""
    engine = create_engine(database_url, schema="svc")

    def migrate(connection: Any) -> None:
        create_outbox_tables(Operations(MigrationContext.configure(connection)), "svc")

    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE SCHEMA svc"))
            await connection.run_sync(migrate)
        table = outbox_table(service_metadata("svc"))
        good, bad = new_envelope(n=1), new_envelope(n=2)
        async with session_factory(engine)() as session, session.begin():
            await add_to_outbox(session, table, good, bad)
        publisher = RecordingPublisher(failing={bad.id})
        relay = OutboxRelay(engine, table, publisher, max_attempts=1, max_backoff=5)
        assert await relay.relay_once() == 1
        assert await relay.relay_once() == 0
        assert publisher.sent == [good.id]
        assert (await relay.status()).pending == 1
        assert (
            4
            < await seconds_until_next_attempt(
                type("Db", (), {"engine": engine, "outbox": table})(), bad.id
            )
            <= 5
        )
    finally:
        await engine.dispose()


async def test_inbox_purge_deletes_only_old_rows(messaging_db: Any) -> None:
    async with messaging_db.engine.begin() as connection:
        await connection.execute(
            messaging_db.inbox.insert(),
            [
                {"consumer": "c", "event_id": uuid4(), "handled_at": datetime.now(UTC)},
                {
                    "consumer": "c",
                    "event_id": uuid4(),
                    "handled_at": datetime.now(UTC) - timedelta(days=40),
                },
            ],
        )
    assert await purge_handled(messaging_db.engine, messaging_db.inbox, timedelta(days=30)) == 1
    assert await messaging_db.inbox_count() == 1


async def test_after_a_database_outage_the_relay_listens_again_and_wakes_on_notify(
    messaging_db: Any,
    messaging_url: str,
    new_envelope: Callable[..., Envelope],
    tcp_proxy: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = make_url(messaging_url)
    proxy = await tcp_proxy(url.host or "127.0.0.1", url.port or 5432)
    engine = create_engine(
        url.set(port=proxy.port).render_as_string(hide_password=False), schema="messaging_test"
    )
    publisher = RecordingPublisher()
    relay = OutboxRelay(
        engine, messaging_db.outbox, publisher, poll_interval=60, outage_backoff_cap=0.2
    )
    task = asyncio.create_task(relay.run())
    try:
        with caplog.at_level("WARNING", logger="arcadia_core.outbox"):
            await asyncio.wait_for(relay.listening.wait(), 5)
            proxy.cut()  # PostgreSQL restarts: every connection drops
            for _ in range(100):
                if not relay.listening.is_set():
                    break
                await asyncio.sleep(0.05)
            assert not relay.listening.is_set()
            relay.wake()  # a pass during the outage fails: the relay backs off
            for _ in range(100):
                if relay.in_outage:
                    break
                await asyncio.sleep(0.05)
            assert relay.in_outage
            proxy.restore()
            await asyncio.wait_for(relay.listening.wait(), 10)
            for _ in range(100):
                if not relay.in_outage:
                    break
                await asyncio.sleep(0.05)
            assert not relay.in_outage
            envelope = new_envelope()
            await write(messaging_db, envelope)  # another process commits; only NOTIFY wakes
            await publisher.wait_until_sent(1)
        messages = [r.getMessage() for r in caplog.records]
        assert sum("database unavailable" in m for m in messages) == 1
        assert sum("database back after" in m for m in messages) == 1
    finally:
        relay.stop()
        await asyncio.wait_for(task, 5)
        await engine.dispose()
