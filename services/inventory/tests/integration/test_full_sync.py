"""A full sync: projects first and alone, the other kinds in turn while listings are fetched,
two at once once every listing is in, and each kind reported in order whatever order it ends in.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from inventory.adapters.repository import SqlResourceRepository
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.bootstrap import Inventory
from inventory.domain import kinds
from inventory.ports import CloudProvider
from inventory.usecases.sync import TAIL_WRITERS, sync_all

Json = dict[str, Any]


class Listed:
    """The sandbox's listings, read once beforehand: every fetch answers at once, so the
    listings are all in long before the writes are done."""

    def __init__(self, kinds_: dict[str, list[Json]], projects: list[Json]) -> None:
        self.kinds, self.projects = kinds_, projects
        self.members: dict[str, list[Json]] = {}
        self.backups: dict[str, list[Json]] = {}

    @classmethod
    async def of(cls, provider: CloudProvider) -> Listed:
        listed = cls(
            {
                kind: await provider.list_kind(kind)
                for kind in kinds.FULL_SYNC_ORDER
                if kind not in (kinds.PROJECTS, kinds.DROPLET_BACKUP)
            },
            await provider.list_projects(),
        )
        for project in listed.projects:
            listed.members[project["id"]] = await provider.list_project_resources(project["id"])
        for droplet in listed.kinds[kinds.DROPLET]:
            droplet_id = str(droplet["id"])
            listed.backups[droplet_id] = await provider.list_droplet_backups(droplet_id)
        return listed

    async def list_kind(self, kind: str) -> list[Json]:
        return self.kinds[kind]

    async def list_droplet_backups(self, droplet_id: str) -> list[Json]:
        return self.backups.get(droplet_id, [])

    async def list_projects(self) -> list[Json]:
        return self.projects

    async def list_project_resources(self, project_provider_id: str) -> list[Json]:
        return self.members[project_provider_id]

    async def create_project(self, name: str, purpose: str, description: str) -> Json:
        raise AssertionError("the seeds account holds the internal project")


async def test_a_full_sync_writes_two_kinds_at_once_once_listed_and_tells_them_in_order(
    inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    holding: set[int] = set()  # the units of work holding the writes lock now
    seen: list[tuple[str | None, int]] = []  # (kind locked for, how many held it then)
    lock, leave = SqlResourceRepository.lock_writes, SqlUnitOfWork.__aexit__

    async def counted_lock(self: SqlResourceRepository, kind: str | None = None) -> None:
        await lock(self, kind)
        holding.add(id(self.session))
        seen.append((kind, len(holding)))

    async def counted_leave(self: SqlUnitOfWork, *exc: Any) -> None:
        holding.discard(id(self.session))
        await leave(self, *exc)

    monkeypatch.setattr(SqlResourceRepository, "lock_writes", counted_lock)
    monkeypatch.setattr(SqlUnitOfWork, "__aexit__", counted_leave)
    told: list[str] = []
    results = await sync_all(
        provider=await Listed.of(inventory.provider),
        uow=inventory.uow,
        clock=inventory.clock,
        internal_project=inventory.settings.internal_project_name,
        on_done=lambda kind, _: told.append(kind),
    )
    assert told == list(results) == list(kinds.FULL_SYNC_ORDER)
    assert not [kind for kind, outcome in results.items() if isinstance(outcome, BaseException)]
    assert seen[0] == (None, 1)  # the projects' write, alone
    assert max(held for _, held in seen) == TAIL_WRITERS
    assert all(kind is not None for kind, held in seen if held > 1)  # only kinds' syncs share


async def test_a_write_whose_connection_dies_writes_nothing_and_the_others_go_on(
    inventory: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the database drops the volumes' connection in the middle of their write, while another
    # kind may be writing beside it: the volumes write nothing, the rest all land, and the next
    # sync writes the volumes
    insert = SqlResourceRepository.insert
    dropped: list[str] = []

    async def dropping_insert(self: SqlResourceRepository, resources: Any) -> None:
        await insert(self, resources)
        if resources and resources[0].kind == "volume" and not dropped:
            dropped.append("volume")
            await self.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    monkeypatch.setattr(SqlResourceRepository, "insert", dropping_insert)
    listed = await Listed.of(inventory.provider)
    results = await sync_all(
        provider=listed,
        uow=inventory.uow,
        clock=inventory.clock,
        internal_project=inventory.settings.internal_project_name,
    )
    failed = [kind for kind, outcome in results.items() if isinstance(outcome, BaseException)]
    assert dropped == failed == ["volume"]
    async with inventory.sessions() as session:
        written = dict(
            (
                await session.execute(
                    text("SELECT kind, count(*) FROM inventory.cloud_resources GROUP BY kind")
                )
            ).all()
        )
        told = dict(
            (
                await session.execute(
                    text(
                        "SELECT envelope -> 'payload' ->> 'kind', count(*) FROM inventory.outbox"
                        " GROUP BY 1"
                    )
                )
            ).all()
        )
    assert "volume" not in written and written["droplet"] > 0 and written["snapshot"] > 0
    assert "volume" not in told and told["droplet"] == written["droplet"]
    again = await sync_all(
        provider=listed,
        uow=inventory.uow,
        clock=inventory.clock,
        internal_project=inventory.settings.internal_project_name,
        only=["volume"],
    )
    assert again["volume"]["discovered"] == len(listed.kinds["volume"]) > 0  # type: ignore[index]
