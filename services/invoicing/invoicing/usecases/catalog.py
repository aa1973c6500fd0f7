"""The catalog: loaded from the packaged file at migrate/start, edited by a platform admin."""

from __future__ import annotations

from uuid import uuid4

from invoicing.catalog import CatalogFile
from invoicing.domain.catalog import Addon, Plan, check_addon, check_plan
from invoicing.domain.model import Invalid
from invoicing.ports import Clock, UnitOfWorkFactory


async def load_catalog(catalog: CatalogFile, *, uow: UnitOfWorkFactory, clock: Clock) -> bool:
    """Write the file's plans and add-ons if its version is newer than the stored one."""
    async with uow() as work:
        if await work.catalog.version() >= catalog.version:
            return False
        now = clock()
        for plan in catalog.plans:
            await work.catalog.put_plan(plan, uuid4(), now)
        for addon in catalog.addons:
            await work.catalog.put_addon(addon, uuid4(), now)
        await work.catalog.set_version(catalog.version, now)
        await work.commit()
    return True


async def put_plan(plan: Plan, *, uow: UnitOfWorkFactory, clock: Clock) -> Plan:
    try:
        check_plan(plan)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    async with uow() as work:
        await work.catalog.put_plan(plan, uuid4(), clock())
        await work.commit()
    return plan


async def put_addon(addon: Addon, *, uow: UnitOfWorkFactory, clock: Clock) -> Addon:
    try:
        check_addon(addon)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    async with uow() as work:
        await work.catalog.put_addon(addon, uuid4(), clock())
        await work.commit()
    return addon
