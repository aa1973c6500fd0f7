"""The inventory's write phases: one transaction each, serialized, redone on a stale read.

Sync apply, the projects sweep and classifications all read rows and write them back. Each runs
under a transaction-level advisory lock, so no two of them interleave (in this process or any
replica), and every update is guarded by the version it read: should a row still change under
it, the whole transaction is rolled back and run again from fresh reads. The one exception:
syncs of two different kinds touch disjoint rows, so they may write at the same time (each
still excludes a sync of its own kind, and every sweep and classification excludes them all).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from inventory.metrics import WRITE_CONFLICTS
from inventory.ports import ConcurrentUpdate, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 3


async def write(
    uow: UnitOfWorkFactory,
    body: Callable[[UnitOfWork], Awaitable[T]],
    *,
    attempts: int = ATTEMPTS,
    kind: str | None = None,
) -> T:
    """Run `body` in a locked transaction and commit it; redo it on ConcurrentUpdate.

    `kind`: the body writes resources of that kind only (one kind's sync), so it need not
    exclude other kinds' syncs, only writes of the same kind and those of every kind."""
    for attempt in range(1, attempts + 1):
        async with uow() as work:
            await work.resources.lock_writes(kind)
            try:
                result = await body(work)
            except ConcurrentUpdate as exc:
                WRITE_CONFLICTS.inc()
                if attempt == attempts:
                    raise
                log.warning("write conflict, redoing the transaction (%s): %s", attempt, exc)
                continue
            await work.commit()
            return result
    raise AssertionError("unreachable")
