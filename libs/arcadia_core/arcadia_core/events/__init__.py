from arcadia_core.events.envelope import Envelope, EventPayload
from arcadia_core.events.payloads import (
    PAYLOADS,
    DriftDetected,
    ResourceDeleted,
    ResourceSynced,
    parse_payload,
)

__all__ = [
    "PAYLOADS",
    "DriftDetected",
    "Envelope",
    "EventPayload",
    "ResourceDeleted",
    "ResourceSynced",
    "parse_payload",
]
