"""DigitalOcean projects mirrored locally, and the operator's classification of them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

Json = dict[str, Any]


@dataclass(slots=True)
class Project:
    id: UUID
    provider_id: str
    name: str
    attrs: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    tenant_id: UUID | None = None
    deployment_id: UUID | None = None
    purpose: str | None = None
    unrecognized_urns: list[str] = field(default_factory=list)
    deleted_at: datetime | None = None


def project_attrs(item: Json) -> dict[str, Any]:
    return {
        "description": item.get("description") or "",
        "do_purpose": item.get("purpose"),
        "environment": item.get("environment"),
        "is_default": bool(item.get("is_default")),
        "created_at": item.get("created_at"),
    }


def upsert_projects(
    held: dict[str, Project], listing: list[Json], now: datetime, new_id: Any
) -> tuple[list[Project], list[Project]]:
    """(new projects, existing projects with refreshed DO fields) from a complete listing."""
    created: list[Project] = []
    refreshed: list[Project] = []
    for item in listing:
        provider_id = str(item["id"])
        current = held.get(provider_id)
        if current is None:
            created.append(
                Project(
                    id=new_id(),
                    provider_id=provider_id,
                    name=item["name"],
                    attrs=project_attrs(item),
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
        else:
            refreshed.append(
                replace(
                    current,
                    name=item["name"],
                    attrs=project_attrs(item),
                    last_seen_at=now,
                    deleted_at=None,
                )
            )
    return created, refreshed


@dataclass(frozen=True, slots=True)
class Classification:
    """What an operator says a project is for; fields left None are unchanged."""

    tenant_id: UUID | None = None
    deployment_id: UUID | None = None
    purpose: str | None = None
    clear: frozenset[str] = frozenset()

    def apply(self, project: Project) -> Project:
        updated = replace(project)
        for name in ("tenant_id", "deployment_id", "purpose"):
            value = getattr(self, name)
            if name in self.clear:
                setattr(updated, name, None)
            elif value is not None:
                setattr(updated, name, value)
        return updated
