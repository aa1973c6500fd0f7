"""HTTP request and response models of the invoicing API. Amounts are integer cents."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.catalog import Addon, Plan, PlanItem


class TenantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    external_id: str | None = Field(default=None, max_length=255)
    tax_rate: Decimal = Field(default=Decimal("0.10"), ge=0, lt=1, description="0.10 = 10% GST")
    currency: str = Field(default="USD", min_length=3, max_length=3)


class TenantPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=255)
    external_id: str | None = Field(default=None, max_length=255)
    tax_rate: Decimal | None = Field(default=None, ge=0, lt=1)


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: UUID
    name: str
    external_id: str | None
    tax_rate: Decimal
    currency: str
    created_at: datetime


class DeploymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: UUID
    name: str = Field(min_length=1, max_length=255)
    do_project: str | None = Field(
        default=None, max_length=255, description="Name of the DigitalOcean project it runs in"
    )


class DeploymentPatch(BaseModel):
    """Fields sent are set (`do_project: null` unlinks); fields left out are unchanged."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=255)
    do_project: str | None = Field(default=None, max_length=255)


class DeploymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: UUID
    tenant_id: UUID
    name: str
    do_project: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class PlanItemModel(BaseModel):
    billing_kind: str = Field(min_length=1, max_length=64)
    included: Decimal = Field(ge=0, description="Units included per calendar month")
    overage_rate: Decimal = Field(ge=0, description="Cents per unit beyond the allowance")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    base_cents: int = Field(ge=0)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    items: list[PlanItemModel] = []

    def to_domain(self, code: str) -> Plan:
        return Plan(
            code=code,
            name=self.name,
            base_cents=self.base_cents,
            currency=self.currency.upper(),
            items=tuple(PlanItem(i.billing_kind, i.included, i.overage_rate) for i in self.items),
        )


class PlanOut(PlanIn):
    code: str

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(
            code=plan.code,
            name=plan.name,
            base_cents=plan.base_cents,
            currency=plan.currency,
            items=[
                PlanItemModel(
                    billing_kind=i.billing_kind, included=i.included, overage_rate=i.overage_rate
                )
                for i in plan.items
            ],
        )


class AddonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    price_cents: int = Field(ge=0)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    allowances: dict[str, Decimal] = Field(
        default_factory=dict, description="Extra units per calendar month, by billing kind"
    )

    def to_domain(self, code: str) -> Addon:
        return Addon(
            code=code,
            name=self.name,
            price_cents=self.price_cents,
            currency=self.currency.upper(),
            allowances=dict(self.allowances),
        )


class AddonOut(AddonIn):
    code: str

    @classmethod
    def of(cls, addon: Addon) -> AddonOut:
        return cls(
            code=addon.code,
            name=addon.name,
            price_cents=addon.price_cents,
            currency=addon.currency,
            allowances=dict(addon.allowances),
        )


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deployment_id: UUID
    plan: str = Field(description="Plan code, e.g. studio")
    addons: list[str] = Field(default_factory=list, description="Add-on codes")
    starts_on: date
    ends_on: date | None = Field(default=None, description="Last day billed (inclusive)")


class SubscriptionEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ends_on: date = Field(description="Last day billed (inclusive)")


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: UUID
    tenant_id: UUID
    deployment_id: UUID
    plan_code: str
    addon_codes: list[str]
    starts_on: date
    ends_on: date | None
    status: str
    created_at: datetime


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str
    addons: list[str] = []
    usage: dict[str, Decimal] = Field(
        default_factory=dict, description="Projected quantity per billing kind for the period"
    )
    period: str | None = Field(
        default=None, description="YYYY-MM; default: the current month", pattern=r"^\d{4}-\d{2}$"
    )
    active_days: int | None = Field(default=None, ge=1, le=31)
    tenant_id: UUID | None = Field(default=None, description="Whose tax rate; default 10% GST")


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: str
    description: str
    deployment_id: UUID | None = None
    resource_kind: str | None = None
    quantity: Decimal
    unit_price: Decimal = Field(description="Cents per unit")
    amount_cents: int
    corrects_period: date | None = None


class QuoteOut(BaseModel):
    plan: str
    period: str
    currency: str
    active_days: int
    period_days: int
    lines: list[LineOut]
    subtotal_cents: int
    tax_rate: Decimal
    tax_cents: int
    total_cents: int


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: UUID
    tenant_id: UUID
    period_start: date
    currency: str
    tax_rate: Decimal
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    status: str
    number: str | None
    created_at: datetime
    issued_at: datetime | None
    paid_at: datetime | None
    voided_at: datetime | None


class InvoiceDetail(InvoiceOut):
    lines: list[LineOut]


class RollupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    force: bool = False


class RollupOut(BaseModel):
    period: str
    tenants: int
    created: list[UUID]
    regenerated: list[UUID]
    skipped: list[UUID]
    locked: list[UUID] = Field(description="Issued or paid: never regenerated, even by force")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


StatusFilter = Literal["draft", "issued", "paid", "void"]
