"""The upsert chokepoint and the three-strike rule, as a pure plan over one complete listing.

A complete listing of one kind is compared with what inventory holds for that kind:
- a resource never seen before is inserted with a `discovered` event;
- a tombstoned resource seen again is restored with a `restored` event (and the diff);
- a resource whose meaningful fields changed is updated with an `updated` event holding the diff;
- every sighting bumps `last_seen_at` and resets the strike count;
- a live resource missing from the listing takes a strike, and is tombstoned at the third.
Only a listing that completed without error may be planned: a failed or partial listing must
never strike anything, so the caller plans only after the provider returned everything.

A listing that would strike more than half of the kind's live resources at once, and more than
a handful, strikes nothing (`held_back` counts them) unless the operator allows a mass delete:
a token swapped to another account, or a lost scope that still answers `200 []`, looks exactly
like that, and three such listings would otherwise tombstone the whole account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from inventory.domain.attribution import reattribute
from inventory.domain.diff import field_diff
from inventory.domain.fingerprint import attrs_json, of_observation
from inventory.domain.ids import random_uuids
from inventory.domain.model import (
    ATTRIBUTION_FIELDS,
    NONE,
    Attribution,
    EventType,
    Observation,
    Resource,
    ResourceEvent,
)

STRIKES_TO_DELETE = 3
MASS_DELETE_HANDFUL = 5
# what a `discovered` audit entry records of the resource (see `discovered_event`)
DISCOVERED_FIELDS = ("name", "status", "region", "size_slug", *ATTRIBUTION_FIELDS)


@dataclass(slots=True)
class SyncPlan:
    kind: str
    inserted: list[Resource] = field(default_factory=list)
    changed: list[Resource] = field(default_factory=list)
    seen_unchanged: list[UUID] = field(default_factory=list)
    redigested: list[Resource] = field(default_factory=list)
    struck: list[Resource] = field(default_factory=list)
    """Struck and deleted resources change only their strike count, tombstone and version."""
    deleted: list[Resource] = field(default_factory=list)
    events: list[ResourceEvent] = field(default_factory=list)
    """The audit entries besides each inserted resource's own `discovered_event`, which is
    written with the resource (see `audit_entries`)."""
    attributed: set[UUID] = field(default_factory=set)
    """Changed resources whose attribution this plan computed (restored ones)."""
    held_back: int = 0
    """Strikes the mass-delete guard held back (0 when the guard did not trip)."""
    live: int = 0

    @property
    def synced(self) -> list[Resource]:
        """Resources whose new state other services must hear about (resource.synced)."""
        return self.inserted + self.changed

    def changes(self) -> list[str]:
        """What happened to each of `synced`, in its order (a resource.synced's `change`)."""
        change_of = {event.resource_id: event.type for event in self.events}
        return [EventType.DISCOVERED] * len(self.inserted) + [change_of[r.id] for r in self.changed]

    def audit_entries(self) -> list[ResourceEvent]:
        """Every audit entry this plan makes: each discovery's, then `events`."""
        return [*map(discovered_event, self.inserted), *self.events]

    def summary(self) -> dict[str, int]:
        return {
            "seen": len(self.inserted) + len(self.changed) + len(self.seen_unchanged),
            "discovered": len(self.inserted),
            "changed": len(self.changed),
            "unchanged": len(self.seen_unchanged),
            "struck": len(self.struck),
            "deleted": len(self.deleted),
            **({"held_back": self.held_back} if self.held_back else {}),
        }


def discovered_event(resource: Resource) -> ResourceEvent:
    """A new resource's first audit entry: what it was first seen as, and whose it was."""
    data = {name: getattr(resource, name) for name in DISCOVERED_FIELDS}
    for name in ATTRIBUTION_FIELDS:
        data[name] = _text(data[name])  # ids as their text, as JSON holds them
    return ResourceEvent(resource.id, EventType.DISCOVERED, data, resource.first_seen_at)


def is_mass_delete(missing: int, live: int) -> bool:
    """More than half of the live resources, and more than a handful, missing at once."""
    return missing > MASS_DELETE_HANDFUL and missing * 2 > live


def strike(resource: Resource, now: datetime) -> Resource:
    """One more complete listing without this resource; the third tombstones it."""
    strikes = resource.stale_strikes + 1
    if strikes < STRIKES_TO_DELETE:
        return replace(resource, stale_strikes=strikes)
    return replace(resource, stale_strikes=strikes, deleted_at=now, version=resource.version + 1)


def needs_full_rows(held: Mapping[str, Resource], listing: Iterable[Observation]) -> list[UUID]:
    """Held resources that a plan must diff (changed or restored), so attrs must be loaded."""
    wanted: list[UUID] = []
    for observation in listing:
        current = held.get(observation.provider_id)
        if current is not None and (
            current.is_deleted or current.fingerprint != of_observation(observation)
        ):
            wanted.append(current.id)
    return wanted


def plan_sync(
    kind: str,
    held: Mapping[str, Resource],
    listing: Iterable[Observation],
    now: datetime,
    *,
    new_id: Callable[[], UUID] | None = None,
    attribute: Callable[[Resource], Attribution] = lambda _: NONE,
    allow_mass_delete: bool = False,
) -> SyncPlan:
    """Plan the writes for one complete listing of `kind`; `held` maps provider id → resource.

    `attribute` gives a discovered or restored resource its project, tenant and deployment;
    `new_id` a discovered one its id (random by default).
    """
    if new_id is None:
        new_id = random_uuids().__next__
    plan = SyncPlan(kind)
    seen: set[str] = set()
    for observation in listing:
        if observation.provider_id in seen:
            continue
        seen.add(observation.provider_id)
        current = held.get(observation.provider_id)
        if current is None:
            _discover(plan, observation, now, new_id(), attribute)
        else:
            _sight(plan, current, observation, now, attribute)
    missing = [r for p, r in held.items() if p not in seen and not r.is_deleted]
    plan.live = sum(1 for r in held.values() if not r.is_deleted)
    if not allow_mass_delete and is_mass_delete(len(missing), plan.live):
        plan.held_back = len(missing)
        return plan
    for resource in missing:
        after = strike(resource, now)
        if after.is_deleted:
            plan.deleted.append(after)
            plan.events.append(
                ResourceEvent(after.id, EventType.DELETED, {"strikes": after.stale_strikes}, now)
            )
        else:
            plan.struck.append(after)
    return plan


def _discover(
    plan: SyncPlan,
    observation: Observation,
    now: datetime,
    resource_id: UUID,
    attribute: Callable[[Resource], Attribution],
) -> None:
    # the resource takes the observation's attrs as they are (not a copy): a listing's
    # observations are made for the plan and dropped after it, and nothing edits attrs in place
    resource = Resource(
        id=resource_id,
        kind=observation.kind,
        provider_id=observation.provider_id,
        name=observation.name,
        status=observation.status,
        region=observation.region,
        size_slug=observation.size_slug,
        attrs=observation.attrs,
        first_seen_at=now,
        last_seen_at=now,
        fingerprint=of_observation(observation),
        attrs_json=attrs_json(observation),
    )
    attribution = attribute(resource)
    resource.project_id = attribution.project_id
    resource.tenant_id = attribution.tenant_id
    resource.deployment_id = attribution.deployment_id
    plan.inserted.append(resource)


def _sight(
    plan: SyncPlan,
    current: Resource,
    observation: Observation,
    now: datetime,
    attribute: Callable[[Resource], Attribution],
) -> None:
    observed = of_observation(observation)
    if observed == current.fingerprint and not current.is_deleted:
        plan.seen_unchanged.append(current.id)
        return
    if not current.complete:
        raise ValueError(f"resource {current.id} must be loaded with its attrs to be diffed")
    diff = field_diff(current, observation)
    if not diff and not current.is_deleted:
        # same content under an outdated digest: store the digest, nothing to tell anyone
        plan.redigested.append(
            replace(current, fingerprint=observed, last_seen_at=now, stale_strikes=0)
        )
        return
    event_type = EventType.RESTORED if current.is_deleted else EventType.UPDATED
    updated = replace(
        current,
        name=observation.name,
        status=observation.status,
        region=observation.region,
        size_slug=observation.size_slug,
        attrs=observation.attrs,
        last_seen_at=now,
        deleted_at=None,
        stale_strikes=0,
        version=current.version + 1,
        fingerprint=observed,
        attrs_json=attrs_json(observation),
    )
    plan.events.append(ResourceEvent(current.id, event_type, {"diff": diff}, now))
    if event_type == EventType.RESTORED:
        # memberships may have moved while it was gone
        moved = reattribute(updated, attribute(updated), now)
        if moved is not None:
            updated = replace(moved[0], version=updated.version)
            plan.events.append(moved[1])
            plan.attributed.add(updated.id)
    plan.changed.append(updated)


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)
