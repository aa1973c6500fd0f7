"""Versioned payloads of published events. The producing service owns each model's meaning."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from arcadia_core.events.envelope import Envelope, EventPayload


class ResourceSynced(EventPayload):
    """Inventory saw a resource change (discovered, updated, restored or re-attributed)."""

    EVENT_TYPE = "resource.synced"
    SCHEMA_VERSION = 1

    resource_id: UUID
    version: int
    provider: str
    kind: str
    provider_id: str
    name: str | None
    status: str | None
    region: str | None
    size_slug: str | None
    attrs: dict[str, Any]
    project_id: UUID | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    change: str
    first_seen_at: datetime
    last_seen_at: datetime


class ResourceDeleted(EventPayload):
    """Inventory tombstoned a resource after three complete listings without it."""

    EVENT_TYPE = "resource.deleted"
    SCHEMA_VERSION = 1

    resource_id: UUID
    version: int
    provider: str
    kind: str
    provider_id: str
    name: str | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    deleted_at: datetime


class DriftDetected(EventPayload):
    """Drift found a field whose live value differs from the desired spec."""

    EVENT_TYPE = "drift.detected"
    SCHEMA_VERSION = 1

    drift_id: UUID
    resource_id: UUID
    field: str
    desired: Any
    actual: Any
    detected_at: datetime


class DriftResolved(EventPayload):
    """Drift closed a finding: accepted (the live value became the spec), stale (the field
    matches again), reverted, or closed because the resource was deleted."""

    EVENT_TYPE = "drift.resolved"
    SCHEMA_VERSION = 1

    drift_id: UUID
    resource_id: UUID
    field: str
    status: str
    resolved_by: str | None
    reason: str | None
    resolved_at: datetime


class InvoiceIngested(EventPayload):
    """Billing ingest wrote (or rewrote) the cost lines of one DigitalOcean invoice.

    `version` grows with every re-ingest of the same invoice, so a consumer keeps the newest.
    Amounts are integer cents; `cost_by_deployment` is keyed by deployment id, with the
    cost no deployment carries under "unattributed".
    """

    EVENT_TYPE = "invoice.ingested"
    SCHEMA_VERSION = 1

    invoice_uuid: str
    invoice_id: str | None
    period: date
    version: int
    currency: str
    amount_cents: int
    net_cents: int
    tax_cents: int
    line_count: int
    match_rate: Decimal
    reconciled: bool
    cost_by_deployment: dict[str, int]
    cost_by_kind: dict[str, int]


class UsageMetered(EventPayload):
    """Metering wrote one deployment's usage for one day; `totals` maps billing kind to the
    day's exact quantity. A corrected day is sent again with a higher `version` and replaces
    the earlier one; a kind missing from `totals` has no usage that day."""

    EVENT_TYPE = "usage.metered"
    SCHEMA_VERSION = 1

    deployment_id: UUID
    tenant_id: UUID | None
    day: date
    version: int
    totals: dict[str, Decimal]


class TenantChanged(EventPayload):
    """Invoicing created or changed a tenant of the customer registry.

    `version` grows with every change of the tenant, so a projection keeps the newest;
    `active` False means the tenant may no longer be given resources.
    """

    EVENT_TYPE = "tenant.changed"
    SCHEMA_VERSION = 1

    tenant_id: UUID
    name: str
    active: bool
    version: int


class DeploymentChanged(EventPayload):
    """Invoicing created, changed or removed a deployment of a tenant.

    `do_project` names the DigitalOcean project the deployment runs in (None: not linked);
    the inventory classifies that project to the tenant and deployment. `active` False means
    the deployment was removed and its project is released.
    """

    EVENT_TYPE = "deployment.changed"
    SCHEMA_VERSION = 1

    deployment_id: UUID
    tenant_id: UUID
    name: str
    do_project: str | None
    active: bool
    version: int


class TenantInvoiceIssued(EventPayload):
    """Invoicing issued a tenant invoice: it has its number and will never change again."""

    EVENT_TYPE = "tenant_invoice.issued"
    SCHEMA_VERSION = 1

    invoice_id: UUID
    tenant_id: UUID
    number: str
    period_start: date
    currency: str
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    issued_at: datetime


RESOURCE_TOPICS = ("resource.synced", "resource.deleted")


class CatchUpRequested(EventPayload):
    """A service's projection is new (or was reset) and asks the producers of `topics` to
    republish their current state through their outboxes: the inventory every resource
    (`resource.synced` / `resource.deleted`), metering every metered day (`usage.metered`).
    The projections' version gates make the replay harmless to everyone else."""

    EVENT_TYPE = "catchup.requested"
    SCHEMA_VERSION = 1

    service: str
    requested_at: datetime
    topics: tuple[str, ...] = RESOURCE_TOPICS


PAYLOADS: dict[str, type[EventPayload]] = {
    model.EVENT_TYPE: model
    for model in (
        ResourceSynced,
        ResourceDeleted,
        DriftDetected,
        DriftResolved,
        InvoiceIngested,
        UsageMetered,
        TenantChanged,
        DeploymentChanged,
        TenantInvoiceIssued,
        CatchUpRequested,
    )
}


def parse_payload(envelope: Envelope) -> EventPayload:
    """The typed payload of an envelope; unknown types or newer versions raise ValueError."""
    model = PAYLOADS.get(envelope.type)
    if model is None:
        raise ValueError(f"unknown event type {envelope.type!r}")
    if envelope.schema_version > model.SCHEMA_VERSION:
        raise ValueError(
            f"{envelope.type} schema_version {envelope.schema_version} is newer than "
            f"{model.SCHEMA_VERSION}; upgrade this consumer"
        )
    return model.model_validate(envelope.payload)
