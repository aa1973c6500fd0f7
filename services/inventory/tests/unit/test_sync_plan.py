from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from inventory.domain.diff import field_diff
from inventory.domain.fingerprint import of_observation
from inventory.domain.model import Attribution, EventType, Observation, Resource
from inventory.domain.sync_plan import (
    STRIKES_TO_DELETE,
    discovered_event,
    needs_full_rows,
    plan_sync,
    strike,
)

T0 = datetime(2026, 4, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=15)


def observation(pid: str = "101", **changes: object) -> Observation:
    base = Observation(
        kind="droplet",
        provider_id=pid,
        name=f"web-{pid}",
        status="active",
        region="syd1",
        size_slug="s-1vcpu-2gb",
        attrs={"tags": ["web"], "vcpus": 1},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def held(obs: Observation, **changes: object) -> Resource:
    resource = Resource(
        id=uuid4(),
        kind=obs.kind,
        provider_id=obs.provider_id,
        name=obs.name,
        status=obs.status,
        region=obs.region,
        size_slug=obs.size_slug,
        attrs=dict(obs.attrs),
        first_seen_at=T0,
        last_seen_at=T0,
        fingerprint=of_observation(obs),
    )
    return replace(resource, **changes)  # type: ignore[arg-type]


class TestUpsertDecisions:
    def test_new_resource_is_inserted_with_a_discovered_event(self) -> None:
        plan = plan_sync("droplet", {}, [observation()], T1)
        assert [r.provider_id for r in plan.inserted] == ["101"]
        (resource,) = plan.inserted
        assert resource.first_seen_at == resource.last_seen_at == T1
        assert resource.version == 1
        # written with the resource (repository.insert), so not among the other events
        assert plan.events == []
        (entry,) = plan.audit_entries()
        assert entry == discovered_event(resource)
        assert (entry.resource_id, entry.type, entry.occurred_at) == (
            resource.id,
            EventType.DISCOVERED,
            T1,
        )
        assert entry.data == {
            "name": "web-101",
            "status": "active",
            "region": "syd1",
            "size_slug": "s-1vcpu-2gb",
            "project_id": None,
            "tenant_id": None,
            "deployment_id": None,
        }
        assert plan.changes() == [EventType.DISCOVERED]

    def test_unchanged_resource_is_only_marked_seen(self) -> None:
        current = held(observation(), stale_strikes=2)
        plan = plan_sync("droplet", {"101": current}, [observation()], T1)
        assert plan.seen_unchanged == [current.id]
        assert plan.inserted == plan.changed == plan.events == []
        assert plan.synced == []

    def test_changed_resource_is_updated_with_the_field_diff(self) -> None:
        current = held(observation())
        plan = plan_sync("droplet", {"101": current}, [observation(status="off")], T1)
        (updated,) = plan.changed
        assert updated.status == "off"
        assert updated.version == current.version + 1
        assert updated.last_seen_at == T1
        assert plan.events[0].type == EventType.UPDATED
        assert plan.events[0].data == {"diff": {"status": {"old": "active", "new": "off"}}}

    def test_tombstoned_resource_seen_again_is_restored(self) -> None:
        current = held(observation(), deleted_at=T0, stale_strikes=3, version=4)
        plan = plan_sync("droplet", {"101": current}, [observation()], T1)
        (restored,) = plan.changed
        assert restored.deleted_at is None
        assert restored.stale_strikes == 0
        assert restored.version == 5
        assert plan.events[0].type == EventType.RESTORED

    def test_light_rows_are_enough_when_nothing_changed(self) -> None:
        light = replace(held(observation()), attrs={}, complete=False)
        assert needs_full_rows({"101": light}, [observation()]) == []
        plan = plan_sync("droplet", {"101": light}, [observation()], T1)
        assert plan.seen_unchanged == [light.id]

    def test_a_changed_resource_must_be_loaded_whole(self) -> None:
        light = replace(held(observation()), attrs={}, complete=False)
        assert needs_full_rows({"101": light}, [observation(status="off")]) == [light.id]
        with pytest.raises(ValueError, match="loaded with its attrs"):
            plan_sync("droplet", {"101": light}, [observation(status="off")], T1)

    def test_an_outdated_digest_is_rewritten_without_an_event(self) -> None:
        current = held(observation(), fingerprint="from-an-older-format")
        plan = plan_sync("droplet", {"101": current}, [observation()], T1)
        assert [r.fingerprint for r in plan.redigested] == [of_observation(observation())]
        assert plan.events == [] and plan.synced == []

    def test_restored_resource_takes_its_current_attribution(self) -> None:
        project, tenant = uuid4(), uuid4()
        current = held(observation(), deleted_at=T0, stale_strikes=3, version=4)
        plan = plan_sync(
            "droplet",
            {"101": current},
            [observation()],
            T1,
            attribute=lambda _: Attribution(project, tenant, None),
        )
        (restored,) = plan.changed
        assert (restored.project_id, restored.tenant_id, restored.version) == (project, tenant, 5)
        assert [e.type for e in plan.events] == [EventType.RESTORED, EventType.ATTRIBUTED]

    def test_discovered_resource_is_attributed_in_its_discovered_event(self) -> None:
        project = uuid4()
        plan = plan_sync(
            "droplet", {}, [observation()], T1, attribute=lambda _: Attribution(project, None, None)
        )
        assert plan.inserted[0].project_id == project
        assert plan.audit_entries()[0].data["project_id"] == str(project)

    def test_duplicate_ids_in_one_listing_count_once(self) -> None:
        plan = plan_sync("droplet", {}, [observation(), observation()], T1)
        assert len(plan.inserted) == 1


class TestStrikeRule:
    def test_missing_resource_takes_a_strike_without_events(self) -> None:
        current = held(observation())
        plan = plan_sync("droplet", {"101": current}, [], T1)
        assert [(r.id, r.stale_strikes) for r in plan.struck] == [(current.id, 1)]
        assert plan.deleted == [] and plan.events == []

    def test_third_complete_listing_without_it_tombstones(self) -> None:
        current = held(observation(), stale_strikes=STRIKES_TO_DELETE - 1)
        plan = plan_sync("droplet", {"101": current}, [], T1)
        (deleted,) = plan.deleted
        assert deleted.deleted_at == T1
        assert deleted.version == current.version + 1
        assert plan.events[0].type == EventType.DELETED

    def test_tombstoned_resource_takes_no_more_strikes(self) -> None:
        current = held(observation(), deleted_at=T0, stale_strikes=3)
        plan = plan_sync("droplet", {"101": current}, [], T1)
        assert plan.struck == plan.deleted == []

    def test_strike_counts_up_to_deletion(self) -> None:
        resource = held(observation())
        for expected in (1, 2):
            resource = strike(resource, T1)
            assert resource.stale_strikes == expected and not resource.is_deleted
        assert strike(resource, T1).is_deleted

    def test_a_sighting_resets_the_count(self) -> None:
        current = held(observation(), stale_strikes=2)
        plan = plan_sync("droplet", {"101": current}, [observation()], T1)
        assert plan.seen_unchanged == [current.id]


class TestFieldDiff:
    def test_attrs_are_compared_key_by_key(self) -> None:
        current = held(observation())
        diff = field_diff(current, observation(attrs={"tags": ["web", "prod"], "vcpus": 1}))
        assert diff == {"attrs.tags": {"old": ["web"], "new": ["web", "prod"]}}

    def test_added_and_removed_attrs_show_none(self) -> None:
        current = held(observation())
        diff = field_diff(current, observation(attrs={"tags": ["web"], "gpu": True}))
        assert diff == {
            "attrs.gpu": {"old": None, "new": True},
            "attrs.vcpus": {"old": 1, "new": None},
        }

    def test_no_difference_is_empty(self) -> None:
        assert field_diff(held(observation()), observation()) == {}
