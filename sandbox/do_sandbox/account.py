"""The mirrored account: JSON-shaped resources per collection plus project memberships.

Items are stored exactly as the API returns them, keyed by their identifier (``id`` for
most kinds, ``name`` for domains, ``ip`` for reserved IPs). A droplet's backups are the
``backups`` items named by its ``backup_ids``. Project membership is held separately,
one project per URN, as the Projects API reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from do_sandbox import timestamps
from do_sandbox.billing import Billing
from do_sandbox.faults import Faults
from do_sandbox.stats import RequestStats
from do_sandbox.urns import split_urn, urn_of

Json = dict[str, Any]
Key = int | str


@dataclass(frozen=True)
class CollectionSpec:
    key: str
    int_key: bool = False


COLLECTIONS: dict[str, CollectionSpec] = {
    "droplets": CollectionSpec("id", int_key=True),
    "backups": CollectionSpec("id", int_key=True),
    "domains": CollectionSpec("name"),
    "snapshots": CollectionSpec("id"),
    "volumes": CollectionSpec("id"),
    "reserved_ips": CollectionSpec("ip"),
    "firewalls": CollectionSpec("id"),
    "load_balancers": CollectionSpec("id"),
    "projects": CollectionSpec("id"),
    "apps": CollectionSpec("id"),
    "kubernetes_clusters": CollectionSpec("id"),
    "databases": CollectionSpec("id"),
    "vpcs": CollectionSpec("id"),
    "reserved_ipv6": CollectionSpec("ip"),
}
COLLECTION_ALIASES = {"floating_ips": "reserved_ips"}


def is_gpu_droplet(droplet: Json) -> bool:
    return droplet.get("gpu_info") is not None


@dataclass(frozen=True)
class ScenarioRef:
    """How an account was loaded, so it can be loaded again on reset."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


class Account:
    def __init__(self) -> None:
        self.collections: dict[str, dict[Key, Json]] = {name: {} for name in COLLECTIONS}
        self.memberships: dict[str, dict[str, str]] = {}
        self._project_of: dict[str, str] = {}
        self.faults = Faults()
        self.stats = RequestStats()
        self.scenario: ScenarioRef | None = None
        self.billing = Billing()

    def items(self, collection: str) -> list[Json]:
        return list(self._collection(collection).values())

    def get(self, collection: str, key: Key) -> Json | None:
        name = _canonical(collection)
        coerced = _coerce_key(COLLECTIONS[name], key)
        return None if coerced is None else self.collections[name].get(coerced)

    def put(self, collection: str, item: Json, *, project: str | None = None) -> Json:
        """Add or replace ``item``; with ``project`` (an id or ``"default"``) also assign it."""
        name = _canonical(collection)
        spec = COLLECTIONS[name]
        key = _coerce_key(spec, item.get(spec.key))
        if key is None:
            raise ValueError(f"{name} items need a {'int ' if spec.int_key else ''}{spec.key!r}")
        membership = self._membership(name, item, project) if project is not None else None
        self.collections[name][key] = item
        if membership is not None:
            self.assign(*membership)
        return item

    def remove(self, collection: str, key: Key) -> Json:
        """Delete an item, its project membership, and (for a droplet) its backups."""
        name = _canonical(collection)
        coerced = _coerce_key(COLLECTIONS[name], key)
        if coerced is None or coerced not in self.collections[name]:
            raise KeyError(f"no {name} item {key!r}")
        item = self.collections[name].pop(coerced)
        urn = urn_of(name, item)
        if urn is not None:
            self.unassign(urn)
        if name == "droplets":
            for backup_id in item["backup_ids"]:
                self.collections["backups"].pop(backup_id, None)
        if name == "projects":
            for member in self.memberships.pop(item["id"], {}):
                del self._project_of[member]
        return item

    def project(self, project_id: str) -> Json | None:
        """A project by id, or the default project for the literal ``"default"``."""
        if project_id == "default":
            return next((p for p in self.items("projects") if p["is_default"]), None)
        return self.collections["projects"].get(project_id)

    def assign(self, project_id: str, urn: str, assigned_at: str | None = None) -> None:
        """Make ``urn`` a member of the project, moving it out of any other project."""
        split_urn(urn)
        project = self.project(project_id)
        if project is None:
            raise KeyError(f"no project {project_id!r}")
        self.unassign(urn)
        self.memberships.setdefault(project["id"], {})[urn] = assigned_at or timestamps.now()
        self._project_of[urn] = project["id"]

    def unassign(self, urn: str) -> None:
        project_id = self._project_of.pop(urn, None)
        if project_id is not None:
            del self.memberships[project_id][urn]

    def project_of(self, urn: str) -> str | None:
        return self._project_of.get(urn)

    def resources_of(self, project_id: str) -> dict[str, str]:
        """URN to ``assigned_at`` for the project's members, in assignment order."""
        return self.memberships.get(project_id, {})

    def replace_with(self, other: Account) -> None:
        """Take over ``other``'s resources and start over with no faults and no stats."""
        self.collections = other.collections
        self.memberships = other.memberships
        self._project_of = other._project_of
        self.scenario = other.scenario
        self.billing = other.billing
        self.faults.clear()
        self.stats.clear()

    def counts(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.collections.items()}

    def to_json(self) -> Json:
        """The scenario file format: collections as the API lists them plus memberships."""
        data: Json = {name: list(items.values()) for name, items in self.collections.items()}
        data["project_resources"] = {
            project_id: [{"urn": urn, "assigned_at": at} for urn, at in members.items()]
            for project_id, members in self.memberships.items()
        }
        data["billing"] = self.billing.to_json()
        return data

    @classmethod
    def from_json(cls, data: Json) -> Account:
        account = cls()
        for collection, items in data.items():
            if collection not in ("project_resources", "billing"):
                for item in items:
                    account.put(collection, item)
        for project_id, members in data.get("project_resources", {}).items():
            for member in members:
                account.assign(project_id, member["urn"], member.get("assigned_at"))
        if data.get("billing"):
            account.billing = Billing.from_json(data["billing"])
        return account

    def _membership(self, collection: str, item: Json, project_id: str) -> tuple[str, str]:
        urn = urn_of(collection, item)
        if urn is None:
            raise ValueError(f"{collection} cannot belong to a project")
        if self.project(project_id) is None:
            raise KeyError(f"no project {project_id!r}")
        return project_id, urn

    def _collection(self, collection: str) -> dict[Key, Json]:
        return self.collections[_canonical(collection)]


def _canonical(collection: str) -> str:
    name = COLLECTION_ALIASES.get(collection, collection)
    if name not in COLLECTIONS:
        raise KeyError(f"unknown collection {collection!r}; one of {sorted(COLLECTIONS)}")
    return name


def _coerce_key(spec: CollectionSpec, key: object) -> Key | None:
    if spec.int_key:
        if isinstance(key, int) and not isinstance(key, bool):
            return key
        if isinstance(key, str) and key.isdigit():
            return int(key)
        return None
    return key if isinstance(key, str) and key else None
