from arcadia_core.events.envelope import Envelope, EventPayload
from arcadia_core.events.payloads import (
    PAYLOADS,
    CatchUpRequested,
    DeploymentChanged,
    DriftDetected,
    DriftResolved,
    InvoiceIngested,
    ResourceDeleted,
    ResourceSynced,
    TenantChanged,
    TenantInvoiceIssued,
    UsageMetered,
    parse_payload,
)

__all__ = [
    "PAYLOADS",
    "CatchUpRequested",
    "DeploymentChanged",
    "DriftDetected",
    "DriftResolved",
    "Envelope",
    "EventPayload",
    "InvoiceIngested",
    "ResourceDeleted",
    "ResourceSynced",
    "TenantChanged",
    "TenantInvoiceIssued",
    "UsageMetered",
    "parse_payload",
]
