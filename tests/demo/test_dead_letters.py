"""All-in-one: a dead letter of the in-process bus lands in the consuming service's own
`dead_letters` table, so it survives a restart and `arcadia dlq` can read and replay it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import uuid4

from arcadia.allinone import prepare, started
from arcadia_core.bus.deadletters import SqlDeadLetterStore
from arcadia_core.events import DriftDetected

SECRET = "dead-letter-tests-secret-at-least-32-bytes"


async def test_in_process_dead_letters_are_kept_in_the_services_table(
    migrated_database: Callable[..., Awaitable[str]],
    demo_environment: Callable[[str, str], None],
) -> None:
    url = await migrated_database()
    demo_environment(url, SECRET)
    services = await prepare(names=["inventory"])
    poison = DriftDetected(
        drift_id=uuid4(),
        resource_id=uuid4(),  # a resource the inventory never held
        field="size_slug",
        desired="a",
        actual="b",
        detected_at=datetime.now(UTC),
    ).envelope(producer="drift")
    async with started(services, run_jobs=False) as running:
        await running.bus.publish(poison)

    store = SqlDeadLetterStore.connect(url, "inventory")
    try:
        letters = await store.read("inventory.on-drift.detected")
    finally:
        await store.close()
    assert [letter.envelope.id for letter in letters] == [poison.id]
    assert "never held" in letters[0].error
