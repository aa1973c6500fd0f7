"""Pure rules: the mass-delete guard, a tenant's era of a history, resource classification."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from inventory.domain.attribution import target_attribution
from inventory.domain.history import REDACTED, tenant_era
from inventory.domain.model import Attribution, Observation, Resource
from inventory.domain.sync_plan import is_mass_delete, plan_sync

T0 = datetime(2026, 4, 1, tzinfo=UTC)
A = UUID("00000000-0000-0000-0000-0000000000aa")
B = UUID("00000000-0000-0000-0000-0000000000bb")


def resource(pid: str, **fields: object) -> Resource:
    return Resource(
        id=uuid4(),
        kind="droplet",
        provider_id=pid,
        name=pid,
        status="active",
        region="syd1",
        size_slug=None,
        attrs={},
        first_seen_at=T0,
        last_seen_at=T0,
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("missing", "live", "trips"),
    [(5, 6, False), (6, 6, True), (6, 12, False), (7, 12, True), (100, 1000, False), (0, 0, False)],
)
def test_mass_delete_is_more_than_half_and_more_than_a_handful(
    missing: int, live: int, trips: bool
) -> None:
    assert is_mass_delete(missing, live) is trips


def test_a_mass_delete_listing_strikes_nothing_unless_allowed() -> None:
    held = {str(n): resource(str(n)) for n in range(10)}
    kept = [Observation("droplet", "0", "0", "active", "syd1")]
    plan = plan_sync("droplet", held, kept, T0)
    assert (plan.struck, plan.deleted, plan.held_back) == ([], [], 9)
    allowed = plan_sync("droplet", held, kept, T0, allow_mass_delete=True)
    assert len(allowed.struck) == 9 and allowed.held_back == 0
    listing = [Observation("droplet", str(n), str(n), "active", "syd1") for n in range(6)]
    few = plan_sync("droplet", held, listing, T0)
    assert len(few.struck) == 4 and few.held_back == 0  # a handful goes ahead


def event(type_: str, data: dict[str, object]) -> dict[str, object]:
    return {"id": 1, "type": type_, "data": data, "occurred_at": T0}


def test_a_tenant_sees_from_the_event_that_brought_it_the_resource() -> None:
    history = [
        event("discovered", {"tenant_id": str(A), "deployment_id": "d-a"}),
        event("updated", {"diff": {"status": {"old": "active", "new": "off"}}}),
        event(
            "attributed",
            {
                "tenant_id": {"old": str(A), "new": str(B)},
                "deployment_id": {"old": "d-a", "new": None},
                "actor": {"subject": "ops", "role": "platform_admin"},
            },
        ),
        event("updated", {"diff": {"status": {"old": "off", "new": "active"}}}),
    ]
    mine = tenant_era(history, B)
    assert [e["type"] for e in mine] == ["attributed", "updated"]
    assert mine[0]["data"]["tenant_id"] == {"old": REDACTED, "new": str(B)}
    assert mine[0]["data"]["deployment_id"] == {"old": REDACTED, "new": None}
    assert str(A) not in repr(mine) and "d-a" not in repr(mine)
    # A no longer holds it (the API answers A 404); its era would begin at discovery
    assert tenant_era(history[:2], A) == history[:2]
    assert tenant_era(history, uuid4()) == []


def test_a_tenant_that_had_it_before_sees_only_its_latest_era() -> None:
    history = [
        event("discovered", {"tenant_id": str(A)}),
        event("attributed", {"tenant_id": {"old": str(A), "new": str(B)}}),
        event("attributed", {"tenant_id": {"old": str(B), "new": str(A)}}),
    ]
    back = tenant_era(history, A)
    assert len(back) == 1 and back[0]["data"]["tenant_id"] == {"old": REDACTED, "new": str(A)}


def test_a_classification_counts_only_where_the_project_says_nothing() -> None:
    project = uuid4()
    classified = resource("7", classified_tenant_id=A)
    unclassified_project = {("droplet", "7"): Attribution(project, None, None)}
    assert target_attribution(classified, unclassified_project) == Attribution(project, A, None)
    tenant_project = {("droplet", "7"): Attribution(project, B, None)}
    assert target_attribution(classified, tenant_project) == Attribution(project, B, None)
    assert target_attribution(classified, {}) == Attribution(None, A, None)
