"""DigitalOcean URNs (`do:<kind>:<id>`) as project memberships report them."""

from __future__ import annotations

from typing import NamedTuple

# DO's URN kinds → inventory kinds. Reserved IPs are reported as `floatingip` by the Projects API.
URN_KINDS = {
    "droplet": "droplet",
    "domain": "dns_zone",
    "space": "spaces_bucket",
    "floatingip": "floating_ip",
    "reservedip": "floating_ip",
    "reservedipv6": "floating_ip",
    "loadbalancer": "load_balancer",
    "dbaas": "managed_db",
    "kubernetes": "k8s_cluster",
    "volume": "volume",
    "volumesnapshot": "snapshot",
    "image": "snapshot",
    "app": "app",
    "vpc": "vpc",
}


class InvalidUrn(ValueError):
    pass


class Urn(NamedTuple):
    raw: str
    urn_kind: str
    provider_id: str

    @property
    def kind(self) -> str | None:
        """The inventory kind, or None for a URN kind inventory does not know."""
        return URN_KINDS.get(self.urn_kind)


def parse_urn(urn: str) -> Urn:
    """Split on the first two colons only: an IPv6 reserved IP keeps its colons in the id."""
    parts = urn.split(":", 2)
    if len(parts) != 3 or parts[0] != "do" or not parts[1] or not parts[2]:
        raise InvalidUrn(f"not a DigitalOcean URN: {urn!r}")
    return Urn(raw=urn, urn_kind=parts[1].lower(), provider_id=parts[2])
