from datetime import UTC, datetime
from uuid import UUID, uuid4

from inventory.domain.attribution import Membership, parent_kinds, plan_attribution
from inventory.domain.model import EventType, Resource
from inventory.domain.projects import Classification, Project
from inventory.usecases.projects import PLACEHOLDER_KINDS

NOW = datetime(2026, 4, 2, tzinfo=UTC)
TENANT = UUID("00000000-0000-0000-0000-00000000a001")
DEPLOYMENT = UUID("00000000-0000-0000-0000-00000000d001")


def project(**fields: object) -> Project:
    return Project(
        id=uuid4(),
        provider_id=str(uuid4()),
        name="pilot",
        attrs={},
        first_seen_at=NOW,
        last_seen_at=NOW,
        **fields,  # type: ignore[arg-type]
    )


def resource(kind: str, provider_id: str, **fields: object) -> Resource:
    values: dict[str, object] = dict(
        id=uuid4(),
        kind=kind,
        provider_id=provider_id,
        name=provider_id,
        status="active",
        region="syd1",
        size_slug=None,
        attrs={},
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    values.update(fields)
    return Resource(**values)  # type: ignore[arg-type]


def test_member_inherits_project_tenant_and_deployment_with_an_event() -> None:
    p = project(tenant_id=TENANT, deployment_id=DEPLOYMENT)
    droplet = resource("droplet", "101")
    plan = plan_attribution({p.id: p}, [Membership(p.id, "droplet", "101")], [droplet], NOW)
    (changed,) = plan.changed
    assert (changed.project_id, changed.tenant_id, changed.deployment_id) == (
        p.id,
        TENANT,
        DEPLOYMENT,
    )
    assert changed.version == droplet.version + 1
    (event,) = plan.events
    assert event.type == EventType.ATTRIBUTED
    assert event.data["tenant_id"] == {"old": None, "new": str(TENANT)}


def test_backups_and_snapshots_follow_their_droplet() -> None:
    p = project(tenant_id=TENANT)
    droplet = resource("droplet", "101")
    backup = resource("droplet_backup", "9001", attrs={"droplet_id": "101"})
    snap = resource("snapshot", "7001", attrs={"resource_type": "droplet", "resource_id": "101"})
    stray = resource("snapshot", "7002", attrs={"resource_type": "droplet", "resource_id": "999"})
    plan = plan_attribution(
        {p.id: p}, [Membership(p.id, "droplet", "101")], [droplet, backup, snap, stray], NOW
    )
    assert {r.provider_id for r in plan.changed} == {"101", "9001", "7001"}
    assert all(r.tenant_id == TENANT for r in plan.changed)


def test_resource_that_left_every_project_is_unattributed() -> None:
    p = project(tenant_id=TENANT)
    droplet = resource("droplet", "101", project_id=p.id, tenant_id=TENANT)
    plan = plan_attribution({p.id: p}, [], [droplet], NOW)
    (changed,) = plan.changed
    assert (changed.project_id, changed.tenant_id) == (None, None)


def test_nothing_changes_when_attribution_holds() -> None:
    p = project(tenant_id=TENANT)
    droplet = resource("droplet", "101", project_id=p.id, tenant_id=TENANT)
    plan = plan_attribution({p.id: p}, [Membership(p.id, "droplet", "101")], [droplet], NOW)
    assert plan.changed == [] and plan.events == []


def test_tombstoned_resources_are_left_alone() -> None:
    p = project(tenant_id=TENANT)
    gone = resource("droplet", "101", deleted_at=NOW)
    plan = plan_attribution({p.id: p}, [Membership(p.id, "droplet", "101")], [gone], NOW)
    assert plan.changed == []


def test_classification_sets_clears_and_keeps_fields() -> None:
    p = project(tenant_id=TENANT, purpose="tenant")
    updated = Classification(deployment_id=DEPLOYMENT, clear=frozenset({"purpose"})).apply(p)
    assert (updated.tenant_id, updated.deployment_id, updated.purpose) == (TENANT, DEPLOYMENT, None)
    assert p.deployment_id is None


def test_placeholder_kinds_follow_no_parent() -> None:
    # the sweep attributes placeholders from their own kinds' memberships alone
    assert PLACEHOLDER_KINDS and not any(parent_kinds(kind) for kind in PLACEHOLDER_KINDS)
