"""Loose equality and the per-kind tables: the false-positive corpus, and real drift still seen."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest

from drift.domain.compare import Outcome, check_field, check_spec, loose_equal
from drift.domain.model import LiveResource

WEB_01_ATTRS: dict[str, Any] = {
    "memory": 4096,
    "vcpus": 2,
    "disk": 80,
    "image": "ubuntu-24-04-x64",
    "features": ["backups", "monitoring", "private_networking"],
    "backups_enabled": True,
    "backup_ids": [201100001, 201100002],
    "volume_ids": [],
    "tags": ["env:prod", "web"],
    "vpc_uuid": "00d6060e-df6e-53c4-8ab1-8573a7d63c7c",
    "price_monthly": "24.0",
}

FIREWALL_ATTRS: dict[str, Any] = {
    "inbound_rules": [
        {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
        {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
        {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["198.51.100.0/24"]}},
    ],
    "outbound_rules": [
        {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}},
        {"protocol": "udp", "ports": "all", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}},
        {"protocol": "icmp", "ports": "0", "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}},
    ],
    "droplet_ids": [512340101, 512340102],
    "tags": [],
}

LB_ATTRS: dict[str, Any] = {
    "algorithm": "round_robin",
    "forwarding_rules": [
        {
            "entry_protocol": "https",
            "entry_port": 443,
            "target_protocol": "http",
            "target_port": 8080,
            "certificate_id": "582a3c9a-9985-5f31-80c8-40ad89938e4a",
            "tls_passthrough": False,
        },
        {
            "entry_protocol": "http",
            "entry_port": 80,
            "target_protocol": "http",
            "target_port": 8080,
            "certificate_id": "",
            "tls_passthrough": False,
        },
    ],
    "droplet_ids": [512340102],
    "tag": "",
}


def droplet() -> LiveResource:
    return LiveResource(
        resource_id=uuid4(),
        version=3,
        kind="droplet",
        provider_id="512340101",
        name="web-01",
        status="active",
        region="syd1",
        size_slug="s-2vcpu-4gb",
        attrs=WEB_01_ATTRS,
    )


def firewall() -> LiveResource:
    return LiveResource(uuid4(), 1, "firewall", "fw-1", name="web-fw", attrs=FIREWALL_ATTRS)


def load_balancer() -> LiveResource:
    return LiveResource(
        uuid4(), 1, "load_balancer", "lb-1", region="syd1", size_slug="lb-small", attrs=LB_ATTRS
    )


# -- the false-positive corpus: none of these is drift --------------------------------------------

NOT_DRIFT: list[tuple[str, LiveResource, str, Any]] = [
    ("tags in another order", droplet(), "tags", ["web", "env:prod"]),
    ("list with a repeat", droplet(), "tags", ["web", "env:prod", "web"]),
    ("ids as strings", droplet(), "backup_ids", ["201100002", "201100001"]),
    ("an int as a string", droplet(), "vcpus", "2"),
    ("a float for an int", droplet(), "memory", 4096.0),
    ("a decimal string for a float", droplet(), "price_monthly", 24),
    ("a bool as text", droplet(), "backups_enabled", "true"),
    ("region in capitals", droplet(), "region", "SYD1"),
    ("region as an object", droplet(), "region", {"slug": "syd1", "name": "Sydney 1"}),
    ("size slug with spaces and case", droplet(), "size_slug", " S-2VCPU-4GB "),
    ("DO's create-request name for size", droplet(), "size", "s-2vcpu-4gb"),
    ("DO's create-request name for backups", droplet(), "backups", True),
    ("monitoring is a feature", droplet(), "monitoring", True),
    ("null for an empty list", droplet(), "volume_ids", None),
    ("empty list for a missing field", droplet(), "snapshot_ids", []),
    ("null for a missing field", droplet(), "gpu_info", None),
    ("ssh keys are create-only", droplet(), "ssh_keys", [12345, "ab:cd"]),
    ("user data is create-only", droplet(), "user_data", "#cloud-config\n"),
    (
        "firewall rules in another order, addresses too, ports 0 for icmp as all",
        firewall(),
        "outbound_rules",
        [
            {"protocol": "icmp", "destinations": {"addresses": ["::/0", "0.0.0.0/0"]}},
            {
                "protocol": "UDP",
                "ports": "1-65535",
                "destinations": {"addresses": ["::/0", "0.0.0.0/0"]},
            },
            {
                "ports": "all",
                "protocol": "tcp",
                "destinations": {"addresses": ["0.0.0.0/0", "::/0"]},
            },
        ],
    ),
    (
        "inbound rules with int ports, reordered",
        firewall(),
        "inbound_rules",
        [
            {"protocol": "tcp", "ports": 22, "sources": {"addresses": ["198.51.100.0/24"]}},
            {"protocol": "tcp", "ports": 443, "sources": {"addresses": ["::/0", "0.0.0.0/0"]}},
            {"protocol": "tcp", "ports": 80, "sources": {"addresses": ["::/0", "0.0.0.0/0"]}},
        ],
    ),
    ("firewall droplet ids as strings", firewall(), "droplet_ids", ["512340102", "512340101"]),
    ("firewall tags null", firewall(), "tags", None),
    (
        "forwarding rules reordered, without the fields DO adds",
        load_balancer(),
        "forwarding_rules",
        [
            {
                "entry_protocol": "HTTP",
                "entry_port": "80",
                "target_protocol": "http",
                "target_port": 8080,
            },
            {
                "target_port": "8080",
                "target_protocol": "http",
                "entry_port": 443,
                "entry_protocol": "https",
                "certificate_id": "582a3c9a-9985-5f31-80c8-40ad89938e4a",
            },
        ],
    ),
    ("lb size by its create name", load_balancer(), "size", "lb-small"),
    ("lb health check is not mirrored", load_balancer(), "health_check", {"port": 8080}),
    ("lb tag empty string vs null", load_balancer(), "tag", None),
]


@pytest.mark.parametrize(
    ("live", "field", "desired"),
    [pytest.param(live, field, desired, id=name) for name, live, field, desired in NOT_DRIFT],
)
def test_false_positive_corpus(live: LiveResource, field: str, desired: Any) -> None:
    check = check_field(live, field, desired)
    assert check.outcome is not Outcome.DRIFT, check


def test_a_json_round_trip_of_the_live_state_is_never_drift() -> None:
    for live in (droplet(), firewall(), load_balancer()):
        spec = {
            "name": live.name,
            "region": live.region,
            "size_slug": live.size_slug,
            **json.loads(json.dumps(live.attrs, sort_keys=True)),
        }
        spec = {k: v for k, v in spec.items() if v is not None}
        assert [c.field for c in check_spec(live, spec) if c.outcome is Outcome.DRIFT] == []


def test_create_only_fields_are_reported_unverifiable() -> None:
    check = check_field(droplet(), "ssh_keys", [1])
    assert check.outcome is Outcome.UNVERIFIABLE
    assert check.note


# -- real drift is still drift ---------------------------------------------------------------------

DRIFT: list[tuple[str, LiveResource, str, Any]] = [
    ("another size", droplet(), "size_slug", "s-1vcpu-2gb"),
    ("another region", droplet(), "region", "sgp1"),
    ("a tag missing live", droplet(), "tags", ["env:prod", "web", "pci"]),
    ("a tag extra live", droplet(), "tags", ["web"]),
    ("another number", droplet(), "vcpus", 4),
    ("backups off", droplet(), "backups_enabled", False),
    ("an empty list for a non-empty one", droplet(), "tags", []),
    ("a field the resource does not have", droplet(), "nonexistent_field", "x"),
    ("a status", droplet(), "status", "off"),
    (
        "a firewall rule missing",
        firewall(),
        "inbound_rules",
        [
            {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
            {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
        ],
    ),
    (
        "a firewall rule's sources changed",
        firewall(),
        "inbound_rules",
        [
            {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
            {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
            {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["0.0.0.0/0"]}},
        ],
    ),
    (
        "a forwarding rule's target port",
        load_balancer(),
        "forwarding_rules",
        [
            {
                "entry_protocol": "http",
                "entry_port": 80,
                "target_protocol": "http",
                "target_port": 80,
            },
            {
                "entry_protocol": "https",
                "entry_port": 443,
                "target_protocol": "http",
                "target_port": 8080,
            },
        ],
    ),
]


@pytest.mark.parametrize(
    ("live", "field", "desired"),
    [pytest.param(live, field, desired, id=name) for name, live, field, desired in DRIFT],
)
def test_real_drift_is_found(live: LiveResource, field: str, desired: Any) -> None:
    assert check_field(live, field, desired).outcome is Outcome.DRIFT


def test_a_missing_field_drifts_with_no_actual_value() -> None:
    check = check_field(droplet(), "nonexistent_field", "x")
    assert (check.outcome, check.actual) == (Outcome.DRIFT, None)


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (2, "2", True),
        ("2.50", 2.5, True),
        (True, "True", True),
        (None, [], True),
        ("", None, True),
        ({}, None, True),
        ({"b": 1, "a": [2, 1]}, {"a": ["1", "2"], "b": "1"}, True),
        (0, None, False),
        (False, None, False),
        ("a", "A", False),
        ([1, 2], [1], False),
        ({"a": 1}, "a", False),
        ("x", ["x"], False),
    ],
)
def test_loose_equality(a: Any, b: Any, equal: bool) -> None:
    assert loose_equal(a, b) is equal
