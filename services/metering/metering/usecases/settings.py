"""The metering configuration (granularity and retention per billing kind) and retention."""

from __future__ import annotations

from datetime import UTC, timedelta

from metering.domain.billing import BY_BILLING_KIND, KindConfig, full_config
from metering.ports import Clock, UnitOfWorkFactory


class UnknownBillingKind(ValueError):
    pass


async def read_config(*, uow: UnitOfWorkFactory) -> dict[str, KindConfig]:
    async with uow() as work:
        return full_config(await work.config.load())


async def update_config(
    changes: list[KindConfig], *, uow: UnitOfWorkFactory, clock: Clock
) -> dict[str, KindConfig]:
    unknown = [c.billing_kind for c in changes if c.billing_kind not in BY_BILLING_KIND]
    if unknown:
        raise UnknownBillingKind(f"unknown billing kind(s): {', '.join(sorted(unknown))}")
    async with uow() as work:
        now = clock()
        for change in changes:
            if change.retention_days < 1:
                raise ValueError("retention_days must be at least 1")
            await work.config.save(change, now)
        result = full_config(await work.config.load())
        await work.commit()
    return result


async def purge_expired(*, uow: UnitOfWorkFactory, clock: Clock) -> dict[str, int]:
    """Delete the usage rows older than each billing kind's retention (in whole UTC days)."""
    async with uow() as work:
        # whole UTC days: a row is kept while its day is within the last `retention_days`
        today = clock().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        purged: dict[str, int] = {}
        for kind, config in full_config(await work.config.load()).items():
            purged[kind] = await work.usage.purge(
                kind, today - timedelta(days=config.retention_days)
            )
        await work.commit()
    return purged
