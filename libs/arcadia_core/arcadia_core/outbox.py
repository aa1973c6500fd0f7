"""The producer half of at-least-once delivery: a transactional outbox and its relay.

A service inserts its events into `outbox` in the transaction that changes its state, so both
commit or neither does. `OutboxRelay` publishes committed rows and marks them sent, holding no
database lock or transaction while it talks to the broker:

1. claim: one short committed transaction leases a batch of due rows (`claimed_until`, with
   `FOR UPDATE SKIP LOCKED` only inside that statement), so concurrent relays take different
   rows and a relay that dies only delays its rows until the lease runs out;
2. publish: every row of the batch at once (up to `max_in_flight` confirms outstanding), each
   under `asyncio.timeout(publish_timeout)`;
3. settle: one short transaction marks the confirmed rows sent and releases the rest.

A failure that is the broker's (a connection or channel error, a timeout: `is_transient`)
stops the pass and releases the batch without counting an attempt; the relay then backs off as
a whole (up to `outage_backoff_cap`) and logs one line when the outage starts and one when it
ends. A failure that is the row's counts an attempt, backs the row off (capped), and after
`max_attempts` parks it (`parked_at`): a parked row leaves the claim for good, is counted in
`arcadia_outbox_parked`, and is listed and put back by `arcadia outbox status|retry`. An
envelope that does not even parse is parked at once. Rows of one batch may be confirmed out of
order; consumers rely on the inbox and on per-aggregate versions, not on order.

Other processes' commits wake the relay through LISTEN/NOTIFY: a trigger on `outbox` notifies
`outbox_channel(schema)`, which PostgreSQL delivers on commit. The poll stays as a fallback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from alembic.operations import Operations
from alembic.operations.ops import CreateIndexOp, CreateTableOp, DropTableOp
from pydantic import ValidationError
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    Interval,
    MetaData,
    Table,
    Text,
    Uuid,
    bindparam,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from arcadia_core.bulk import JsonText, copy_insert
from arcadia_core.bus.deadletters import dead_letters_table
from arcadia_core.bus.errors import describe_error, is_transient
from arcadia_core.bus.metrics import (
    OUTBOX_OLDEST_UNSENT_AGE,
    OUTBOX_PARKED,
    OUTBOX_PENDING,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_SENT,
)
from arcadia_core.bus.ports import EventPublisher
from arcadia_core.db import asyncpg_dsn, service_metadata
from arcadia_core.events import Envelope
from arcadia_core.inbox import inbox_table

logger = logging.getLogger(__name__)


def _outbox_columns(envelope_type: type[JSON] = JSON) -> list[Any]:
    return [
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("event_type", Text, nullable=False),
        # json, not jsonb: an envelope is written once and read back whole by the relay, never
        # queried inside, so PostgreSQL keeps the text as written instead of parsing it into
        # jsonb's binary form (a sync writes tens of thousands of them in one transaction)
        Column("envelope", envelope_type, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column(
            "next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()
        ),
        Column("last_error", Text),
        Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    ]


def outbox_table(metadata: MetaData) -> Table:
    """The outbox as the relay uses it (after `upgrade_messaging_tables` and
    `store_envelopes_as_json`)."""
    return Table(
        "outbox",
        metadata,
        *_outbox_columns(),
        # the relay's lease on a claimed row; NULL or past: free to claim
        Column("claimed_until", DateTime(timezone=True)),
        # set once a row failed `max_attempts` times: the relay leaves it alone
        Column("parked_at", DateTime(timezone=True)),
        Index(
            "ix_outbox_parked",
            "id",
            postgresql_where=text("parked_at IS NOT NULL AND sent_at IS NULL"),
        ),
    )


def _first_outbox_table(metadata: MetaData) -> Table:
    """The outbox's first shape (envelopes in jsonb), which `create_outbox_tables` keeps
    producing."""
    return Table("outbox", metadata, *_outbox_columns(JSONB))


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel on which commits of `schema`'s outbox rows are announced."""
    return f"arcadia_outbox_{schema}"


def _messaging_tables(schema: str) -> tuple[Table, Table]:
    metadata = service_metadata(schema)
    return _first_outbox_table(metadata), inbox_table(metadata, first_shape=True)


def _create(op: Operations, table: Table) -> None:
    op.invoke(CreateTableOp.from_table(table))
    for index in table.indexes:
        op.invoke(CreateIndexOp.from_index(index))


def create_outbox_tables(op: Operations, schema: str) -> None:
    """Create `outbox` and `inbox` in `schema`: one line in a service's first Alembic migration.

    Their first shape, unchanged: the next migration calls `upgrade_messaging_tables`.
    """
    for table in _messaging_tables(schema):
        _create(op, table)


def drop_outbox_tables(op: Operations, schema: str) -> None:
    for table in _messaging_tables(schema):
        op.invoke(DropTableOp.from_table(table))


def upgrade_messaging_tables(op: Operations, schema: str) -> None:
    """The delivery upgrade, one line in a service's second migration (after
    `create_outbox_tables`): the relay's lease and parking columns, the NOTIFY trigger that
    wakes relays in other processes, an index for the inbox's retention purge, and the
    `dead_letters` table of the in-process bus."""
    op.add_column("outbox", Column("claimed_until", DateTime(timezone=True)), schema=schema)
    op.add_column("outbox", Column("parked_at", DateTime(timezone=True)), schema=schema)
    # as `outbox_table` and `inbox_table` describe them (tests hold the two to each other);
    # written out here, as a migration must be, not read from those descriptions
    op.create_index(
        "ix_outbox_parked",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=text("parked_at IS NOT NULL AND sent_at IS NULL"),
    )
    op.create_index("ix_inbox_handled_at", "inbox", ["handled_at"], schema=schema)
    _create(op, dead_letters_table(service_metadata(schema)))
    channel = outbox_channel(schema).replace("'", "''")
    op.execute(
        f"""
        CREATE FUNCTION "{schema}".outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{channel}', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f'CREATE TRIGGER outbox_notify AFTER INSERT ON "{schema}".outbox '
        f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".outbox_notify()'
    )


def downgrade_messaging_tables(op: Operations, schema: str) -> None:
    op.execute(f'DROP TRIGGER IF EXISTS outbox_notify ON "{schema}".outbox')
    op.execute(f'DROP FUNCTION IF EXISTS "{schema}".outbox_notify()')
    op.invoke(DropTableOp.from_table(dead_letters_table(service_metadata(schema))))
    op.drop_index("ix_inbox_handled_at", "inbox", schema=schema)
    op.drop_index("ix_outbox_parked", "outbox", schema=schema)
    op.drop_column("outbox", "parked_at", schema=schema)
    op.drop_column("outbox", "claimed_until", schema=schema)


def store_envelopes_as_json(op: Operations, schema: str) -> None:
    """The outbox keeps each envelope's text as written (json) rather than parsed (jsonb): one
    line in a service's migration, after `upgrade_messaging_tables`. Rows already held are
    converted as they are; the relay reads either the same way."""
    _store_envelopes_as(op, schema, JSON(), JSONB())


def store_envelopes_as_jsonb(op: Operations, schema: str) -> None:
    """The downgrade of `store_envelopes_as_json`."""
    _store_envelopes_as(op, schema, JSONB(), JSON())


def _store_envelopes_as(op: Operations, schema: str, wanted: JSON, held: JSON) -> None:
    type_name = "jsonb" if isinstance(wanted, JSONB) else "json"
    op.alter_column(
        "outbox",
        "envelope",
        type_=wanted,
        existing_type=held,
        existing_nullable=False,
        postgresql_using=f"envelope::{type_name}",
        schema=schema,
    )


async def add_to_outbox(session: AsyncSession, table: Table, *envelopes: Envelope) -> None:
    """Insert `envelopes` in the caller's transaction; the caller commits or rolls back."""
    await copy_insert(
        session,
        table,
        [
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "envelope": JsonText(envelope.model_dump_json()),
            }
            for envelope in envelopes
        ],
    )


class OutboxWriter:
    """`add_to_outbox` bound to a table; `on_commit` (a relay's `wake`) runs after the commit."""

    def __init__(self, table: Table, *, on_commit: Callable[[], None] | None = None) -> None:
        self._table = table
        self._on_commit = on_commit

    async def add(self, session: AsyncSession, *envelopes: Envelope) -> None:
        await add_to_outbox(session, self._table, *envelopes)
        if self._on_commit is not None and envelopes:
            self._arm(session.sync_session, self._on_commit)

    def _arm(self, session: Session, on_commit: Callable[[], None]) -> None:
        if session.info.get(self):
            return
        session.info[self] = True

        def after_commit(_: Session) -> None:
            session.info.pop(self, None)
            on_commit()

        # after a rollback the hook stays armed for the session's next commit: one spare wake
        event.listen(session, "after_commit", after_commit, once=True)


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    pending: int
    parked: int
    oldest_unsent_age: float  # seconds; 0 when nothing is waiting


@dataclass(frozen=True, slots=True)
class ParkedRow:
    id: int
    event_id: str
    event_type: str
    attempts: int
    last_error: str | None
    created_at: datetime
    parked_at: datetime


@dataclass(slots=True)
class _Pass:
    sent: list[int]
    failed: list[dict[str, Any]]
    parked: list[dict[str, Any]]
    broker_error: BaseException | None = None


class OutboxRelay:
    """Publishes committed outbox rows through `publisher` and marks them sent (see the module).

    A row whose publish fails is retried after `min(max_backoff, 2 ** attempts)` seconds and
    is parked after `max_attempts` failures; it never holds up the other rows.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        publisher: EventPublisher,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        max_backoff: float = 60.0,
        max_attempts: int = 20,
        publish_timeout: float = 10.0,
        lease: float | None = None,
        max_in_flight: int | None = None,
        outage_backoff_cap: float = 30.0,
        listen: bool = True,
        metrics_interval: float = 5.0,
    ) -> None:
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._max_attempts = max_attempts
        self._publish_timeout = publish_timeout
        self._max_in_flight = max_in_flight or int(getattr(publisher, "max_in_flight", 256))
        # a lease outlives every wave of publishes of the pass, and the settle, with margin
        waves = -(-batch_size // self._max_in_flight)
        self._lease = lease if lease is not None else max(30.0, publish_timeout * (waves + 2))
        self._outage_backoff_cap = outage_backoff_cap
        self._listen = listen
        self._metrics_interval = metrics_interval
        self._schema = table.schema or "public"
        self._wake = asyncio.Event()
        self._stopping = False
        self._outage_since: float | None = None
        self._outage_kind = ""
        self._outage_delay = 0.0
        self._metrics_at = 0.0
        self._lease_columns: bool | None = None
        self.listening = asyncio.Event()  # set while the LISTEN connection is up (for tests)

    @property
    def in_outage(self) -> bool:
        return self._outage_since is not None

    def wake(self) -> None:
        """Start the next pass now instead of after the poll interval."""
        self._wake.set()

    def stop(self) -> None:
        """Make `run()` return once the pass in progress, if any, has settled."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        listener = (
            asyncio.create_task(self._listen_forever(), name=f"outbox-listen-{self._schema}")
            if self._listen
            else None
        )
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    sent = await self.relay_once()
                except Exception as exc:
                    self._database_trouble(exc)
                    sent = 0
                await self._maybe_refresh_metrics()
                if self._stopping:
                    break
                if self.in_outage:
                    await self._sleep(self._outage_delay, wakeable=False)
                    continue
                if sent:
                    continue  # rows were waiting, so more may be
                await self._sleep(self._poll_interval, wakeable=True)
        finally:
            if listener is not None:
                listener.cancel()
                with suppress(asyncio.CancelledError, Exception):
                    await listener

    async def _sleep(self, seconds: float, *, wakeable: bool) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                if wakeable:
                    await self._wake.wait()
                else:
                    while not self._stopping:  # only stop() cuts an outage's pause short
                        self._wake.clear()
                        await self._wake.wait()

    def _database_trouble(self, exc: Exception) -> None:
        if is_transient(exc):
            self._enter_outage("database", exc)
        else:
            logger.exception("outbox relay (%s): pass failed", self._schema)

    def _enter_outage(self, what: str, exc: BaseException) -> None:
        if what == "broker":
            OUTBOX_PUBLISH_FAILURES.labels(self._schema, "broker").inc()
        self._outage_kind = what
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            self._outage_delay = min(0.5, self._outage_backoff_cap)
            logger.warning(
                "outbox relay (%s): %s unavailable (%s); rows stay in the outbox, "
                "retrying every %.0fs at most until it is back",
                self._schema,
                what,
                describe_error(exc),
                self._outage_backoff_cap,
            )
        else:
            self._outage_delay = min(self._outage_backoff_cap, self._outage_delay * 2)

    def _leave_outage(self) -> None:
        if self._outage_since is not None:
            logger.warning(
                "outbox relay (%s): %s back after %.1fs",
                self._schema,
                self._outage_kind,
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None
            self._outage_kind = ""
            self._outage_delay = 0.0

    async def relay_once(self) -> int:
        """Claim up to `batch_size` due rows, publish them, settle; return how many were sent."""
        claimed = await self._claim()
        if self._outage_kind == "database":
            self._leave_outage()  # the claim went through: the database is back
        if not claimed:
            return 0
        lease_until = claimed[0].claimed_until
        outcome = _Pass(sent=[], failed=[], parked=[])
        try:
            await self._publish_all(claimed, outcome)
        finally:
            # also on cancellation (shielded): a cancelled pass gives its rows back at once
            await asyncio.shield(self._settle(claimed, outcome, lease_until))
        if outcome.broker_error is not None:
            self._enter_outage("broker", outcome.broker_error)
        elif outcome.sent:
            self._leave_outage()
        if outcome.sent:
            OUTBOX_SENT.labels(self._schema).inc(len(outcome.sent))
            logger.debug("outbox (%s): sent %d event(s)", self._schema, len(outcome.sent))
        return len(outcome.sent)

    async def _has_lease_columns(self) -> bool:
        """False for an outbox still in its first shape (`upgrade_messaging_tables` not run)."""
        if self._lease_columns is None:
            async with self._engine.connect() as connection:
                found = await connection.scalar(
                    text(
                        "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                        ":schema AND table_name = :table AND column_name = 'claimed_until'"
                    ),
                    {"schema": self._schema, "table": self._table.name},
                )
            self._lease_columns = bool(found)
            if not self._lease_columns:
                logger.warning(
                    "outbox (%s) lacks the delivery columns: leasing rows through "
                    "next_attempt_at and parking nothing until a migration calls "
                    "arcadia_core.outbox.upgrade_messaging_tables",
                    self._schema,
                )
        return self._lease_columns

    async def _claim(self) -> Sequence[Any]:
        table = self._table
        upgraded = await self._has_lease_columns()
        lease = func.now() + timedelta(seconds=self._lease)
        conditions = [table.c.sent_at.is_(None), table.c.next_attempt_at <= func.now()]
        if upgraded:
            conditions += [
                table.c.parked_at.is_(None),
                (table.c.claimed_until.is_(None)) | (table.c.claimed_until < func.now()),
            ]
        due = (
            select(table.c.id)
            .where(*conditions)
            .order_by(table.c.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claim = (
            update(table)
            .where(table.c.id.in_(due))
            .values(claimed_until=lease)
            .returning(table.c.id, table.c.attempts, table.c.envelope, table.c.claimed_until)
            if upgraded
            # first shape: the lease is a due time in the future (nobody else takes the row)
            else update(table)
            .where(table.c.id.in_(due))
            .values(next_attempt_at=lease)
            .returning(
                table.c.id,
                table.c.attempts,
                table.c.envelope,
                table.c.next_attempt_at.label("claimed_until"),
            )
        )
        async with self._engine.begin() as connection:
            rows = (await connection.execute(claim)).all()
        return sorted(rows, key=lambda row: row.id)

    async def _publish_all(self, rows: Sequence[Any], outcome: _Pass) -> None:
        stop = asyncio.Event()
        slots = asyncio.Semaphore(self._max_in_flight)

        async def one(row: Any) -> None:
            async with slots:
                if stop.is_set():
                    return
                try:
                    envelope = Envelope.model_validate(row.envelope)
                except ValidationError as exc:
                    error = f"unreadable envelope: {describe_error(exc)}"
                    logger.error("outbox row %d parked: %s", row.id, error)
                    outcome.parked.append({"row_id": row.id, "error": error[:1000]})
                    return
                try:
                    async with asyncio.timeout(self._publish_timeout):
                        await self._publisher.publish(envelope)
                except Exception as exc:
                    if is_transient(exc):
                        if outcome.broker_error is None:
                            outcome.broker_error = exc
                        stop.set()
                        return
                    self._row_failed(row, exc, outcome)
                else:
                    outcome.sent.append(row.id)

        await asyncio.gather(*(one(row) for row in rows))

    def _row_failed(self, row: Any, exc: Exception, outcome: _Pass) -> None:
        OUTBOX_PUBLISH_FAILURES.labels(self._schema, "row").inc()
        error = describe_error(exc)
        attempts = row.attempts + 1
        if attempts >= self._max_attempts:
            logger.error(
                "outbox row %d parked after %d failed publishes: %s", row.id, attempts, error
            )
            outcome.parked.append({"row_id": row.id, "error": error})
            return
        delay = timedelta(seconds=min(self._max_backoff, 2.0 ** min(row.attempts, 32)))
        logger.warning(
            "outbox row %d: publish failed (%s); attempt %d/%d, next in %s",
            row.id,
            error,
            attempts,
            self._max_attempts,
            delay,
        )
        outcome.failed.append({"row_id": row.id, "error": error, "delay": delay})

    async def _settle(self, rows: Sequence[Any], outcome: _Pass, lease_until: datetime) -> None:
        table = self._table
        upgraded = bool(self._lease_columns)
        settled = set(outcome.sent) | {f["row_id"] for f in outcome.failed}
        settled |= {p["row_id"] for p in outcome.parked}
        released = [row.id for row in rows if row.id not in settled]
        unclaim: dict[str, Any] = {"claimed_until": None} if upgraded else {}
        parked = outcome.parked
        failed = outcome.failed
        if not upgraded and parked:  # nowhere to park: back off as long as allowed instead
            delay = timedelta(seconds=self._max_backoff)
            failed = [*failed, *({**p, "delay": delay} for p in parked)]
            parked = []
        async with self._engine.begin() as connection:
            if outcome.sent:
                await connection.execute(
                    update(table)
                    .where(table.c.id.in_(outcome.sent))
                    .values(sent_at=func.now(), **unclaim)
                )
            if failed:
                await connection.execute(
                    update(table)
                    .where(table.c.id == bindparam("row_id"))
                    .values(
                        attempts=table.c.attempts + 1,
                        last_error=bindparam("error"),
                        next_attempt_at=func.now() + bindparam("delay", type_=Interval),
                        **unclaim,
                    ),
                    failed,
                )
            if parked:
                await connection.execute(
                    update(table)
                    .where(table.c.id == bindparam("row_id"))
                    .values(
                        attempts=table.c.attempts + 1,
                        last_error=bindparam("error"),
                        parked_at=func.now(),
                        claimed_until=None,
                    ),
                    parked,
                )
            if released:
                # only our own lease: another relay may have claimed an expired one since
                lease = table.c.claimed_until if upgraded else table.c.next_attempt_at
                await connection.execute(
                    update(table)
                    .where(table.c.id.in_(released), lease == lease_until)
                    .values({lease.name: None if upgraded else func.now()})
                )

    async def _listen_forever(self) -> None:
        """LISTEN on this schema's channel; reconnect after losing the connection."""
        dsn = asyncpg_dsn(self._engine.url.render_as_string(hide_password=False))
        channel = outbox_channel(self._schema)
        delay = 0.5
        while not self._stopping:
            lost = asyncio.Event()
            try:
                connection = await asyncpg.connect(dsn, timeout=10)
            except Exception as exc:
                logger.debug("outbox relay (%s): LISTEN connect failed: %s", self._schema, exc)
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)
                continue
            try:
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(channel, lambda *_args: self._wake.set())
                delay = 0.5
                self.listening.set()
                self._wake.set()  # anything committed while we were not listening
                while not lost.is_set():
                    with suppress(TimeoutError):
                        async with asyncio.timeout(15):
                            await lost.wait()
                    if not lost.is_set():
                        # a half-open connection never calls the termination listener
                        try:
                            async with asyncio.timeout(5):
                                await connection.execute("SELECT 1")
                        except Exception:
                            lost.set()
            except Exception as exc:
                logger.debug("outbox relay (%s): LISTEN failed: %s", self._schema, exc)
            finally:
                self.listening.clear()
                with suppress(Exception):
                    await asyncio.wait_for(connection.close(), 2)
            await asyncio.sleep(delay)

    async def _maybe_refresh_metrics(self) -> None:
        now = time.monotonic()
        if now - self._metrics_at < self._metrics_interval:
            return
        self._metrics_at = now
        with suppress(Exception):
            await self.status()

    async def status(self) -> OutboxStatus:
        """Pending and parked counts and the oldest unsent age; also updates the gauges."""
        table = self._table
        unsent = table.c.sent_at.is_(None)
        if not await self._has_lease_columns():
            live: Any = unsent
            parked_rows: Any = text("0")
        else:
            live = unsent & table.c.parked_at.is_(None)
            parked_rows = func.count().filter(unsent & table.c.parked_at.is_not(None))
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(
                        func.count().filter(live),
                        parked_rows,
                        func.coalesce(
                            func.extract(
                                "epoch", func.now() - func.min(table.c.created_at).filter(live)
                            ),
                            0,
                        ),
                    ).where(unsent)
                )
            ).one()
        status = OutboxStatus(
            pending=int(row[0]), parked=int(row[1]), oldest_unsent_age=float(row[2])
        )
        OUTBOX_PENDING.labels(self._schema).set(status.pending)
        OUTBOX_PARKED.labels(self._schema).set(status.parked)
        OUTBOX_OLDEST_UNSENT_AGE.labels(self._schema).set(status.oldest_unsent_age)
        return status

    async def pending_count(self) -> int:
        """Unsent rows, due or backing off (parked rows excluded)."""
        return (await self.status()).pending

    async def parked_rows(self, *, limit: int = 100) -> list[ParkedRow]:
        table = self._table
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(table)
                    .where(table.c.sent_at.is_(None), table.c.parked_at.is_not(None))
                    .order_by(table.c.id)
                    .limit(limit)
                )
            ).all()
        return [
            ParkedRow(
                id=row.id,
                event_id=str(row.event_id),
                event_type=row.event_type,
                attempts=row.attempts,
                last_error=row.last_error,
                created_at=row.created_at,
                parked_at=row.parked_at,
            )
            for row in rows
        ]

    async def retry_parked(self, ids: Sequence[int] | None = None) -> int:
        """Put parked rows (the given ids, or all) back in line with a fresh attempt count."""
        table = self._table
        query = (
            update(table)
            .where(table.c.sent_at.is_(None), table.c.parked_at.is_not(None))
            .values(parked_at=None, attempts=0, next_attempt_at=func.now(), claimed_until=None)
        )
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        async with self._engine.begin() as connection:
            result = await connection.execute(query)
            # relays in other processes (the running service) pick them up at once
            await connection.execute(select(func.pg_notify(outbox_channel(self._schema), "")))
        self.wake()
        return result.rowcount

    async def purge_sent(self, older_than: timedelta) -> int:
        """Delete rows sent more than `older_than` ago; return how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(self._table).where(self._table.c.sent_at < func.now() - older_than)
            )
        return result.rowcount
