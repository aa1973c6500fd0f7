import pytest

from inventory.domain.urns import InvalidUrn, parse_urn


@pytest.mark.parametrize(
    ("urn", "kind", "provider_id"),
    [
        ("do:droplet:4126873", "droplet", "4126873"),
        ("do:domain:example.org", "dns_zone", "example.org"),
        ("do:space:shop-assets", "spaces_bucket", "shop-assets"),
        ("do:floatingip:203.0.113.10", "floating_ip", "203.0.113.10"),
        ("do:reservedip:203.0.113.10", "floating_ip", "203.0.113.10"),
        ("do:floatingip:2a03:b0c0:2:d0::1", "floating_ip", "2a03:b0c0:2:d0::1"),
        ("do:loadbalancer:9a8b7c6d", "load_balancer", "9a8b7c6d"),
        ("do:dbaas:1f2e", "managed_db", "1f2e"),
        ("do:kubernetes:abcd", "k8s_cluster", "abcd"),
        ("do:volumesnapshot:0b72f032-9ccd-11ea", "snapshot", "0b72f032-9ccd-11ea"),
        ("do:image:160001234", "snapshot", "160001234"),
        ("do:volume:7c4a", "volume", "7c4a"),
        ("do:app:5e6f", "app", "5e6f"),
        ("do:vpc:5a4e", "vpc", "5a4e"),
    ],
)
def test_known_urns(urn: str, kind: str, provider_id: str) -> None:
    parsed = parse_urn(urn)
    assert (parsed.kind, parsed.provider_id) == (kind, provider_id)


def test_unknown_kind_is_parsed_but_has_no_inventory_kind() -> None:
    parsed = parse_urn("do:widget:123")
    assert parsed.urn_kind == "widget"
    assert parsed.kind is None


@pytest.mark.parametrize("urn", ["droplet:1", "do:droplet", "do::1", "aws:ec2:1", "do:droplet:"])
def test_malformed_urns_are_rejected(urn: str) -> None:
    with pytest.raises(InvalidUrn):
        parse_urn(urn)
