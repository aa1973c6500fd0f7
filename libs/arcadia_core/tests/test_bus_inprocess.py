"""InProcessBus: fan-out per subscription, the shared retry policy, in-memory dead letters, and
the relay → handler → outbox → relay chain without deadlock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.bus import DeadLetter, Handler, InProcessBus, RetryPolicy, Subscription
from arcadia_core.bus.deadletters import SqlDeadLetterStore
from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.retry import TransientFailure
from arcadia_core.events import Envelope
from arcadia_core.inbox import idempotent
from arcadia_core.outbox import OutboxRelay, OutboxWriter

FAST = RetryPolicy(delays=(0.01, 0.01))


def recorder(into: list[Envelope]) -> Handler:
    async def handle(envelope: Envelope) -> None:
        into.append(envelope)

    return handle


def failing(times: int, calls: list[Envelope]) -> Handler:
    """Raises on its first `times` calls."""

    async def handle(envelope: Envelope) -> None:
        calls.append(envelope)
        if len(calls) <= times:
            raise RuntimeError(f"boom {len(calls)}")

    return handle


async def test_publish_reaches_every_subscription_of_the_type_only(
    new_envelope: Callable[..., Envelope],
) -> None:
    a: list[Envelope] = []
    b: list[Envelope] = []
    other: list[Envelope] = []
    bus = InProcessBus(retry=FAST)
    bus.subscribe(Subscription("a", "thing.happened", recorder(a)))
    bus.subscribe(Subscription("b", "thing.happened", recorder(b)))
    bus.subscribe(Subscription("other", "other.happened", recorder(other)))
    await bus.start()

    envelope = new_envelope()
    await bus.publish(envelope)
    await bus.publish(new_envelope("nobody.listens"))

    assert (a, b, other) == ([envelope], [envelope], [])
    assert bus.dead_letters == []


async def test_failing_handler_is_retried_then_dead_lettered_while_others_get_the_event(
    new_envelope: Callable[..., Envelope],
) -> None:
    calls: list[Envelope] = []
    healthy: list[Envelope] = []
    bus = InProcessBus(retry=FAST)
    bus.subscribe(Subscription("broken", "thing.happened", failing(99, calls)))
    bus.subscribe(Subscription("healthy", "thing.happened", recorder(healthy)))
    await bus.start()

    envelope = new_envelope()
    await bus.publish(envelope)

    assert len(calls) == FAST.attempts == 3
    assert healthy == [envelope]
    assert bus.dead_letters == [
        DeadLetter("broken.on-thing.happened", envelope, "RuntimeError: boom 3")
    ]


async def test_bug_is_ridden_out_by_quick_retries(new_envelope: Callable[..., Envelope]) -> None:
    calls: list[Envelope] = []
    bus = InProcessBus(retry=FAST)
    bus.subscribe(Subscription("flaky", "thing.happened", failing(2, calls)))
    await bus.start()

    await bus.publish(new_envelope())

    assert len(calls) == 3
    assert bus.dead_letters == []


async def test_duplicate_queue_and_publish_before_start_are_refused(
    new_envelope: Callable[..., Envelope],
) -> None:
    bus = InProcessBus()
    bus.subscribe(Subscription("a", "thing.happened", recorder([])))
    with pytest.raises(ValueError, match=r"a\.on-thing\.happened"):
        bus.subscribe(Subscription("a", "thing.happened", recorder([])))
    with pytest.raises(RuntimeError, match="not started"):
        await bus.publish(new_envelope())


async def test_handler_writing_to_the_outbox_it_is_relayed_from_does_not_deadlock(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    """thing.happened's consumer emits follow.up into the same outbox, inside the relay's pass."""
    bus = InProcessBus(retry=FAST)
    # a 60 s poll: the first event reaches the idle relay only through the writer's wake
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, bus, poll_interval=60)
    writer = OutboxWriter(messaging_db.outbox, on_commit=relay.wake)
    followed_up: asyncio.Queue[Envelope] = asyncio.Queue()

    async def emit_follow_up(session: AsyncSession, envelope: Envelope) -> None:
        await messaging_db.apply(session, envelope)
        await writer.add(session, new_envelope("follow.up", cause=str(envelope.id)))

    async def record_follow_up(envelope: Envelope) -> None:
        await followed_up.put(envelope)

    bus.subscribe(
        Subscription(
            "a",
            "thing.happened",
            idempotent(messaging_db.sessions, messaging_db.inbox, "a", emit_follow_up),
        )
    )
    bus.subscribe(Subscription("b", "follow.up", record_follow_up))
    await bus.start()
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.2)  # the relay is idle now
        envelope = new_envelope()
        async with messaging_db.sessions() as session, session.begin():
            await writer.add(session, envelope)

        follow_up = await asyncio.wait_for(followed_up.get(), 5)
        assert follow_up.payload == {"cause": str(envelope.id)}
        assert await messaging_db.applied_count(envelope.id) == 1
        for _ in range(250):  # the relay settles its pass just after the handlers
            if all(row.sent_at is not None for row in await messaging_db.outbox_rows()):
                break
            await asyncio.sleep(0.02)
        assert all(row.sent_at is not None for row in await messaging_db.outbox_rows())
        assert bus.dead_letters == []
    finally:
        relay.stop()
        await asyncio.wait_for(task, 5)


async def test_poison_is_dead_lettered_at_once_to_the_table_and_survives_a_new_bus(
    messaging_db: Any, messaging_url: str, new_envelope: Callable[..., Envelope]
) -> None:
    calls: list[Envelope] = []

    async def refuse(envelope: Envelope) -> None:
        calls.append(envelope)
        raise Unprocessable("resource 42 is unknown here")

    store = SqlDeadLetterStore(messaging_db.engine, messaging_db.dead_letters)
    bus = InProcessBus(retry=FAST)
    bus.store_dead_letters("svc", store)
    bus.subscribe(Subscription("svc", "thing.happened", refuse))
    await bus.start()
    envelope = new_envelope()
    await bus.publish(envelope)
    assert len(calls) == 1  # no retry for poison

    # a "restart": a new store over the same table still has it
    again = SqlDeadLetterStore.connect(messaging_url, "messaging_test")
    [letter] = await again.read("svc.on-thing.happened")
    assert letter.envelope == envelope
    assert letter.error == "Unprocessable: resource 42 is unknown here"
    assert (await again.get("svc.on-thing.happened", str(envelope.id))) == letter
    assert await again.count("svc.on-thing.happened") == 1
    assert await again.delete("svc.on-thing.happened", [letter.id]) == 1
    assert await again.read("svc.on-thing.happened") == []
    await again.close()


async def test_transient_failure_is_not_dead_lettered_but_raised_for_the_relay(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    calls: list[Envelope] = []
    healthy: list[Envelope] = []

    async def database_away(envelope: Envelope) -> None:
        calls.append(envelope)
        raise ConnectionRefusedError("database is restarting")

    store = SqlDeadLetterStore(messaging_db.engine, messaging_db.dead_letters)
    bus = InProcessBus(retry=FAST)
    bus.store_dead_letters("svc", store)
    bus.subscribe(Subscription("svc", "thing.happened", database_away))
    bus.subscribe(Subscription("other", "thing.happened", recorder(healthy)))
    await bus.start()
    envelope = new_envelope()
    with pytest.raises(TransientFailure):
        await bus.publish(envelope)
    assert len(calls) == 1
    assert healthy == [envelope]  # the other queue got it all the same
    assert bus.dead_letters == []
    assert await store.read("svc.on-thing.happened") == []
