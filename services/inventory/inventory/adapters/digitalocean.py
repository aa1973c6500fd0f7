"""The inventory's view of the DigitalOcean API, over the shared do_api transport."""

from __future__ import annotations

from typing import Any

from do_api import DigitalOceanClient, DigitalOceanError, Forbidden, NotFound, Unauthorized
from inventory.ports import CredentialsRefused, ProviderForbidden

Json = dict[str, Any]

# (path, list key, query) per kind. GPU droplets only appear with type=gpus. Reserved IPs are
# listed once, from /v2/reserved_ips: /v2/floating_ips returns the very same objects; reserved
# IPv6 addresses are reserved IPs too (the Projects API lists both as `do:floatingip:`).
LISTINGS: dict[str, tuple[tuple[str, str, dict[str, str] | None], ...]] = {
    "droplet": (
        ("/v2/droplets", "droplets", None),
        ("/v2/droplets", "droplets", {"type": "gpus"}),
    ),
    "dns_zone": (("/v2/domains", "domains", None),),
    "volume": (("/v2/volumes", "volumes", None),),
    "snapshot": (("/v2/snapshots", "snapshots", None),),
    "floating_ip": (
        ("/v2/reserved_ips", "reserved_ips", None),
        ("/v2/reserved_ipv6", "reserved_ipv6s", None),
    ),
    "firewall": (("/v2/firewalls", "firewalls", None),),
    "load_balancer": (("/v2/load_balancers", "load_balancers", None),),
    "app": (("/v2/apps", "apps", None),),
    "k8s_cluster": (("/v2/kubernetes/clusters", "kubernetes_clusters", None),),
    "managed_db": (("/v2/databases", "databases", None),),
    "vpc": (("/v2/vpcs", "vpcs", None),),
}


class DigitalOceanInventory:
    def __init__(self, client: DigitalOceanClient, *, token_source: str = "DO_API_TOKEN") -> None:
        self.client = client
        self.token_source = token_source

    def _refused(self, exc: Unauthorized) -> CredentialsRefused:
        return CredentialsRefused(
            f"DigitalOcean refused the token from {self.token_source}: {exc}; check that variable"
        )

    async def list_kind(self, kind: str) -> list[Json]:
        items: list[Json] = []
        try:
            for path, key, params in LISTINGS[kind]:
                items.extend(await self.client.list_all(path, key, params))
        except Unauthorized as exc:
            raise self._refused(exc) from exc
        return items

    async def list_droplet_backups(self, droplet_id: str) -> list[Json]:
        try:
            return await self.client.list_all(f"/v2/droplets/{droplet_id}/backups", "backups")
        except NotFound:
            # the droplet went away since it was listed: it has no backups any more
            return []

    async def list_projects(self) -> list[Json]:
        try:
            return await self.client.list_all("/v2/projects", "projects")
        except Unauthorized as exc:
            raise self._refused(exc) from exc

    async def list_project_resources(self, project_provider_id: str) -> list[Json]:
        return await self.client.list_all(
            f"/v2/projects/{project_provider_id}/resources", "resources"
        )

    async def create_project(self, name: str, purpose: str, description: str) -> Json:
        # Not retried on 5xx: DO may have created it anyway, and names are unique (409).
        try:
            body = await self.client.post(
                "/v2/projects",
                {"name": name, "purpose": purpose, "description": description},
                retry_server_errors=False,
            )
        except Forbidden as exc:
            raise ProviderForbidden(str(exc)) from exc
        except DigitalOceanError as exc:
            if exc.status != 409:
                raise
            existing = [p for p in await self.list_projects() if p.get("name") == name]
            if not existing:
                raise
            return existing[0]
        project: Json = body["project"]
        return project
