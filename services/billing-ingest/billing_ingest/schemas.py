"""HTTP response models of the billing API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class BalanceOut(BaseModel):
    month_to_date_balance_cents: int
    account_balance_cents: int
    month_to_date_usage_cents: int
    generated_at: datetime
    fetched_at: datetime


class PreviewOut(BaseModel):
    invoice_uuid: str
    invoice_id: str | None
    invoice_period: date
    amount_cents: int
    updated_at: datetime | None


class BalanceView(BaseModel):
    balance: BalanceOut | None = Field(description="The latest balance snapshot")
    month_to_date: PreviewOut | None = Field(description="The month-to-date invoice preview")


class InvoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    invoice_uuid: str
    invoice_id: str | None
    invoice_period: date
    amount_cents: int
    status: str
    failure_reason: str | None
    line_count: int
    matched_count: int
    match_rate: Decimal | None
    net_cents: int | None
    tax_cents: int | None
    reconciled: bool | None
    version: int
    ingested_at: datetime | None
    pushed_to_finance_at: datetime | None
    finance_invoice_id: str | None


class InvoicePage(BaseModel):
    items: list[InvoiceOut]
    next_cursor: str | None


class CostLineOut(BaseModel):
    id: int
    invoice_uuid: str
    line_no: int
    product: str
    group_description: str
    description: str
    kind: str
    amount_cents: int
    hours: Decimal | None
    start_at: datetime | None
    end_at: datetime | None
    project_name: str | None
    category: str | None
    resource_id: UUID | None
    match_method: str
    unmatched_reason: str | None
    tenant_id: UUID | None
    deployment_id: UUID | None


class InvoiceDetail(InvoiceOut):
    reconciliation: dict[str, Any] | None
    unmatched_by_reason: dict[str, int]
    lines: list[CostLineOut]


class CostLinePage(BaseModel):
    items: list[CostLineOut]
    next_cursor: str | None
