"""Inbox on real PostgreSQL: first claim wins, repeats are skipped, failures leave no trace."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.events import Envelope
from arcadia_core.inbox import claim, idempotent


async def test_claim_is_true_only_the_first_time_per_consumer(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    event_id = new_envelope().id
    async with messaging_db.sessions() as session:
        async with session.begin():
            assert await claim(session, messaging_db.inbox, "a", event_id) is True
        async with session.begin():
            assert await claim(session, messaging_db.inbox, "a", event_id) is False
            assert await claim(session, messaging_db.inbox, "b", event_id) is True
    assert await messaging_db.inbox_count() == 2


async def test_idempotent_applies_a_repeated_event_once(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    handler = idempotent(messaging_db.sessions, messaging_db.inbox, "c", messaging_db.apply)
    envelope, other = new_envelope(), new_envelope()

    for e in (envelope, envelope, other, envelope):
        await handler(e)

    assert await messaging_db.applied_count(envelope.id) == 1
    assert await messaging_db.applied_count(other.id) == 1
    assert await messaging_db.inbox_count() == 2


async def test_failed_handler_leaves_no_inbox_row_and_can_apply_later(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    failures = [RuntimeError("database hiccup")]

    async def flaky(session: AsyncSession, envelope: Envelope) -> None:
        await messaging_db.apply(session, envelope)
        if failures:
            raise failures.pop()

    handler = idempotent(messaging_db.sessions, messaging_db.inbox, "c", flaky)
    envelope = new_envelope()
    with pytest.raises(RuntimeError, match="database hiccup"):
        await handler(envelope)
    assert await messaging_db.inbox_count() == 0
    assert await messaging_db.applied_count() == 0  # the side effect rolled back with it

    await handler(envelope)
    assert await messaging_db.inbox_count() == 1
    assert await messaging_db.applied_count(envelope.id) == 1


async def test_concurrent_duplicates_apply_once(
    messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    calls = 0

    async def slow(session: AsyncSession, envelope: Envelope) -> None:
        nonlocal calls
        calls += 1
        await messaging_db.apply(session, envelope)
        await asyncio.sleep(0.2)  # the duplicate's claim waits on this transaction

    handler = idempotent(messaging_db.sessions, messaging_db.inbox, "c", slow)
    envelope = new_envelope()
    await asyncio.gather(handler(envelope), handler(envelope))

    assert calls == 1
    assert await messaging_db.applied_count(envelope.id) == 1
