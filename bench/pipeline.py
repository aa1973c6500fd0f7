"""The event pipeline row of `make bench`: outbox → relay → RabbitMQ → a consumer applying each
event to a projection through its inbox, against raw aio-pika in the same run.

- raw: aio-pika publishes N messages of the same size with up to 256 confirms in flight to a
  queue of the same kind (quorum), while a consumer in the same process acks them; the clock
  stops at the last ack.
- pipeline: N events are committed to an outbox first (not timed: that is the producers'
  transaction); then the relay (`OutboxRelay` over `RabbitBus`) and a consumer (`RabbitBus`
  with the `consume` helper, its inbox claim and a version-gated upsert) run in this process;
  the clock stops when the projection holds N rows.

Needs RabbitMQ (`ARCADIA_AMQP_URL`, or `amqp://guest:guest@127.0.0.1:5672/`) and PostgreSQL
(`ARCADIA_DATABASE_URL`, or the embedded one). Goal: the pipeline at least half the raw rate.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import aio_pika
from alembic.migration import MigrationContext
from alembic.operations import Operations
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import Column, Integer, Table, Text, Uuid, func, select, text

from arcadia.runtime import embedded_database_url
from arcadia_core.bus.rabbit import RabbitBus
from arcadia_core.bus.topology import declare_queue_set, declare_topology
from arcadia_core.consumers import consume
from arcadia_core.db import create_engine, service_metadata, session_factory
from arcadia_core.events import Envelope, EventPayload
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import (
    OutboxRelay,
    add_to_outbox,
    create_outbox_tables,
    outbox_table,
    upgrade_messaging_tables,
)
from arcadia_core.projection import upsert_if_newer
from arcadia_core.settings import ArcadiaSettings
from arcadia_core.testing.servers import create_database, drop_database
from arcadia_core.uow import SqlUnitOfWork

SCHEMA = "bench_pipeline"
QUEUE = "bench.on-bench.thing"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
IN_FLIGHT = 256

metadata = service_metadata(SCHEMA)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
projection = Table(
    "things",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("name", Text, nullable=False),
)


class Thing(EventPayload):
    EVENT_TYPE: ClassVar[str] = "bench.thing"
    SCHEMA_VERSION: ClassVar[int] = 1
    id: uuid.UUID
    version: int
    name: str


class Work(SqlUnitOfWork):
    producer = "bench"


def _envelopes(count: int) -> list[Envelope]:
    now = datetime.now(UTC)
    return [
        Thing(id=uuid.uuid4(), version=1, name=f"thing-{i:06d}").envelope(
            producer="bench", occurred_at=now
        )
        for i in range(count)
    ]


def _migrate(connection: object) -> None:
    operations = Operations(MigrationContext.configure(connection))  # type: ignore[arg-type]
    create_outbox_tables(operations, SCHEMA)
    upgrade_messaging_tables(operations, SCHEMA)
    projection.create(connection)  # type: ignore[arg-type]


async def raw_rate(amqp_url: str, namespace: str, bodies: list[bytes]) -> float:
    """aio-pika alone: publish with confirms in flight, consume and ack, in one process."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        setup = await connection.channel()
        await declare_queue_set(setup, namespace, "bench.raw", "bench.raw")
        publishing = await connection.channel(publisher_confirms=True)
        exchange = await publishing.get_exchange(f"{namespace}arcadia.events")
        consuming = await connection.channel()
        await consuming.set_qos(prefetch_count=IN_FLIGHT)
        queue = await consuming.get_queue(f"{namespace}bench.raw")
        done = asyncio.Event()
        received = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == len(bodies):
                done.set()

        started = time.perf_counter()
        tag = await queue.consume(on_message)
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def publish(body: bytes) -> None:
            async with slots:
                await exchange.publish(
                    aio_pika.Message(
                        body,
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=str(uuid.uuid4()),
                    ),
                    routing_key="bench.raw",
                )

        await asyncio.gather(*(publish(body) for body in bodies))
        await asyncio.wait_for(done.wait(), 600)
        seconds = time.perf_counter() - started
        await queue.cancel(tag)
        for name in ("bench.raw", "bench.raw.retry", "bench.raw.dlq"):
            await setup.queue_delete(f"{namespace}{name}", if_unused=False, if_empty=False)
    return len(bodies) / seconds


def _apply_thing() -> Any:
    async def apply(work: Work, payload: Thing, envelope: Envelope) -> None:
        await upsert_if_newer(
            work.session,
            projection,
            {"id": payload.id, "version": payload.version, "name": payload.name},
            key=["id"],
        )

    return apply


def _consumer_bus(amqp_url: str, namespace: str, sessions: Any) -> RabbitBus:
    consumer = RabbitBus(amqp_url, namespace=namespace, service="bench", prefetch=IN_FLIGHT)
    consumer.subscribe(
        consume(
            "bench",
            Thing,
            uow=lambda: Work(sessions, outbox=outbox, inbox=inbox),
            apply=_apply_thing(),
        )
    )
    return consumer


async def _applied(engine: Any) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(projection)) or 0)


async def _wait_applied(engine: Any, count: int) -> None:
    async with asyncio.timeout(900):
        for _ in itertools.count():
            if await _applied(engine) >= count:
                return
            await asyncio.sleep(0.05)


async def _consume(
    amqp_url: str, namespace: str, database_url: str, count: int, ready: Any
) -> None:
    engine = create_engine(database_url, schema=SCHEMA, pool_size=20)
    consumer = _consumer_bus(amqp_url, namespace, session_factory(engine))
    try:
        await consumer.start()
        ready.set()
        await _wait_applied(engine, count)
    finally:
        await consumer.stop()
        await engine.dispose()


def _consumer_process(
    amqp_url: str, namespace: str, database_url: str, count: int, ready: Any
) -> None:
    asyncio.run(_consume(amqp_url, namespace, database_url, count, ready))


async def pipeline_rate(
    amqp_url: str,
    namespace: str,
    database_url: str,
    envelopes: list[Envelope],
    *,
    separate: bool = False,
) -> float:
    """Events/s from the relay's start to the last event applied. With `separate`, the
    consumer runs in a process of its own, as the producing and the consuming services do."""
    engine = create_engine(database_url, schema=SCHEMA, pool_size=20)
    sessions = session_factory(engine)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
            await connection.run_sync(_migrate)
        for start in range(0, len(envelopes), 5000):
            async with sessions() as session, session.begin():
                await add_to_outbox(session, outbox, *envelopes[start : start + 5000])
        await declare_topology(amqp_url, namespace, {QUEUE: Thing.EVENT_TYPE})

        child = None
        consumer = None
        if separate:
            context = multiprocessing.get_context("spawn")
            ready = context.Event()
            child = context.Process(
                target=_consumer_process,
                args=(amqp_url, namespace, database_url, len(envelopes), ready),
            )
            child.start()
            await asyncio.to_thread(ready.wait, 120)
        else:
            consumer = _consumer_bus(amqp_url, namespace, sessions)
            await consumer.start()
        producer = RabbitBus(amqp_url, namespace=namespace, service="bench-producer")
        await producer.start()
        relay = OutboxRelay(engine, outbox, producer, batch_size=1000)
        try:
            started = time.perf_counter()
            relaying = asyncio.create_task(relay.run())
            await _wait_applied(engine, len(envelopes))
            seconds = time.perf_counter() - started
            relay.stop()
            await relaying
        finally:
            await producer.stop()
            if consumer is not None:
                await consumer.stop()
            if child is not None:
                await asyncio.to_thread(child.join, 30)
            await _delete_queues(amqp_url, namespace)
        return len(envelopes) / seconds
    finally:
        await engine.dispose()


async def _delete_queues(amqp_url: str, namespace: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for suffix in ("", ".retry", ".dlq"):
            await channel.queue_delete(
                f"{namespace}{QUEUE}{suffix}", if_unused=False, if_empty=False
            )
        for exchange in ("arcadia.events", "arcadia.dlx"):
            await channel.exchange_delete(f"{namespace}{exchange}")


async def run(console: Console, events: int = 20_000) -> tuple[float, float] | None:
    """Both rates in events/s, and the table printed on `console`; None without a broker."""
    settings = ArcadiaSettings()
    amqp_url = settings.amqp_url or DEFAULT_AMQP
    try:
        probe = await aio_pika.connect(amqp_url, timeout=5)
        await probe.close()
    except Exception as exc:
        console.print(f"event pipeline: skipped, no RabbitMQ at {amqp_url} ({exc})")
        return None
    server_url = settings.database_url or await embedded_database_url(Path(settings.data_dir))
    name = f"arcadia_bench_{uuid.uuid4().hex[:8]}"
    database_url = await create_database(server_url, name)
    namespace = f"bench{uuid.uuid4().hex[:8]}."
    try:
        envelopes = _envelopes(events)
        bodies = [envelope.model_dump_json().encode() for envelope in envelopes]
        raw = await raw_rate(amqp_url, namespace, bodies)
        pipeline = await pipeline_rate(amqp_url, namespace, database_url, envelopes)
        separate = await pipeline_rate(amqp_url, namespace, database_url, envelopes, separate=True)
    finally:
        await drop_database(server_url, name)
    table = RichTable(title=f"event pipeline, {events} events (both measured in this run)")
    for column in ("measure", "events/s", "x raw"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row(
        f"raw aio-pika: publish ({IN_FLIGHT} confirms in flight) + consume", f"{raw:,.0f}", "1.00"
    )
    table.add_row(
        "outbox → relay → RabbitMQ → consumer (inbox + projection), one process",
        f"{pipeline:,.0f}",
        f"{pipeline / raw:.2f}",
    )
    table.add_row(
        "the same, consumer in a process of its own (as deployed)",
        f"{separate:,.0f}",
        f"{separate / raw:.2f}",
    )
    console.print(table)
    best = max(pipeline, separate)
    verdict = "meets" if best >= raw / 2 else "misses"
    console.print(f"pipeline {verdict} the goal of at least half the raw rate")
    return raw, best


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    arguments = parser.parse_args()
    asyncio.run(run(Console(), arguments.events))
