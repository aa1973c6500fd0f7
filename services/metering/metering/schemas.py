"""The metering API's request and response bodies."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from pydantic import BaseModel, Field

from metering.domain.billing import Granularity, KindConfig

SHOWN = Decimal("0.01")


def shown(values: dict[str, Decimal]) -> dict[str, str]:
    """Quantities as people read them: two decimals, half-up (the stored figures stay exact)."""
    return {k: str(v.quantize(SHOWN, rounding=ROUND_HALF_UP)) for k, v in values.items()}


class UsageDay(BaseModel):
    day: date
    totals: dict[str, Decimal]
    shown: dict[str, str]


class UsageOut(BaseModel):
    deployment_id: UUID
    from_: date = Field(serialization_alias="from")
    to: date
    records: int = Field(description="usage records in the period")
    totals: dict[str, Decimal] = Field(description="exact SUM(qty) by billing kind")
    shown: dict[str, str] = Field(description="totals rounded half-up to two decimals")
    days: list[UsageDay] | None = None


class KindConfigBody(BaseModel):
    billing_kind: str
    granularity: Granularity = Granularity.DAILY
    retention_days: int = Field(default=730, ge=1, le=36500)

    @classmethod
    def of(cls, config: KindConfig) -> KindConfigBody:
        return cls(
            billing_kind=config.billing_kind,
            granularity=config.granularity,
            retention_days=config.retention_days,
        )

    def domain(self) -> KindConfig:
        return KindConfig(self.billing_kind, self.granularity, self.retention_days)


class ConfigOut(BaseModel):
    items: list[KindConfigBody]


class ConfigIn(BaseModel):
    items: list[KindConfigBody]


class UnmeteredOut(BaseModel):
    resource_id: UUID
    kind: str
    name: str | None
    status: str | None
    tenant_id: UUID | None
    deployment_id: UUID
    reason: str


class UnmeteredPage(BaseModel):
    items: list[UnmeteredOut]


class ResourceUsageOut(BaseModel):
    deployment_id: UUID
    tenant_id: UUID | None
    resource_id: UUID
    billing_kind: str
    quantity: Decimal = Field(description="exact SUM(qty) over the period")


class ResourceUsagePage(BaseModel):
    items: list[ResourceUsageOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
