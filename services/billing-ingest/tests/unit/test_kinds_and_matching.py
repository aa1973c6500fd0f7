"""Kind derivation, the names lines carry, and each matching route (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing_ingest.domain.kinds import derive_kind, target
from billing_ingest.domain.matching import ResourceIndex, cost_lines
from billing_ingest.domain.model import CsvLine, InvoiceSummary, ProviderItem, ResourceRef
from billing_ingest.domain.plan import attach_provider_ids, finance_payload, reconcile, stats_of


@pytest.mark.parametrize(
    ("product", "description", "kind"),
    [
        ("Droplets", "web-01 (s-1vcpu-2gb)", "droplet"),
        ("Droplet Snapshots", "web-01-1707755441748 (fra1) 10.15GB Droplet Snapshot", "snapshot"),
        ("Droplet Backups", "web-01 (Weekly Backup Services)", "droplet_backup"),
        ("Volumes", "volume-sfo2-01 (sfo2) 100GB", "volume"),
        ("Volume Snapshots", "data-2024 (fra1) 12GB", "snapshot"),
        ("Floating IPs", "Unused Floating IP - 1.1.1.1", "floating_ip"),
        ("Reserved IPs", "Unused Reserved IP - 1.1.1.1", "floating_ip"),
        ("Load Balancers", "shop-lb (lb-small)", "load_balancer"),
        ("Spaces Subscription", "Spaces ($5/mo 250GB storage & 1TB bandwidth)", "spaces_bucket"),
        ("Database Clusters", "acme-pg (db-s-2vcpu-4gb)", "managed_db"),
        ("Managed Databases", "acme-pg", "managed_db"),
        ("Kubernetes Clusters", "3 nodes - 4 GB / 2 vCPU / 80 GB SSD", "k8s_cluster"),
        ("App Platform", "pilot-portal (apps-s-1vcpu-1gb)", "app"),
        ("Taxes", "STATE SALES TAX (6.25%)", "tax"),
        ("Taxes", "anything", "tax"),
        ("Adjustments", "GST (10%)", "tax"),
        ("Adjustments", "Sales tax correction", "tax"),
        ("Droplets", "syntax-01 (s-1vcpu-1gb)", "droplet"),
        ("Misc", "syntax-01 (s-1vcpu-1gb)", "unknown"),
        ("Misc", "taxonomy service", "unknown"),
        ("Container Registry", "Basic plan", "unknown"),
    ],
)
def test_kind_derivation(product: str, description: str, kind: str) -> None:
    assert derive_kind(product, description) == kind


@pytest.mark.parametrize(
    ("kind", "description", "group", "expected"),
    [
        ("droplet", "Web-01 (s-1vcpu-2gb)", "", ("droplet", "web-01")),
        ("droplet", "odd (name) (c-2-4GiB)", "", ("droplet", "odd (name)")),
        ("droplet_backup", "git-01 (Weekly Backup Services)", "", ("droplet", "git-01")),
        (
            "snapshot",
            "web-01-1770000000000 (syd1) 4.61GB Droplet Snapshot",
            "",
            ("snapshot", "web-01-1770000000000"),
        ),
        ("volume", "git-data (syd1) 100GB", "", ("volume", "git-data")),
        ("floating_ip", "Unused Floating IP - 203.0.113.24", "", ("floating_ip", "203.0.113.24")),
        ("k8s_cluster", "3 nodes - 4 GB", "acme-k8s", ("k8s_cluster", "acme-k8s")),
        ("spaces_bucket", "Spaces ($5/mo 250GB storage & 1TB bandwidth)", "", None),
        ("tax", "GST (10%)", "", None),
        ("unknown", "whatever", "", None),
    ],
)
def test_names_from_descriptions(
    kind: str, description: str, group: str, expected: tuple[str, str] | None
) -> None:
    assert target(kind, description, group) == expected


START = datetime(2026, 4, 1, tzinfo=UTC)
END = datetime(2026, 5, 1, tzinfo=UTC)


def line(product: str, description: str, cents: int, n: int = 2, **extra: object) -> CsvLine:
    fields: dict[str, object] = {
        "line_no": n,
        "product": product,
        "group_description": "",
        "description": description,
        "hours": Decimal(720),
        "start_at": START,
        "end_at": END,
        "amount_cents": cents,
        "project_name": None,
        "category": "iaas",
    }
    return CsvLine(**(fields | extra))  # type: ignore[arg-type]


def ref(kind: str, provider_id: str, name: str, *, deleted: bool = False) -> ResourceRef:
    return ResourceRef(uuid.uuid4(), kind, provider_id, name, uuid.uuid4(), uuid.uuid4(), deleted)


def test_each_matching_route_and_each_reason() -> None:
    web = ref("droplet", "101", "Web-01")
    renamed = ref("droplet", "102", "now-called-this")
    snap = ref("snapshot", "9", "web-01-1770000000000")
    gone = ref("droplet", "103", "old-01", deleted=True)
    index = ResourceIndex.of(
        [web, renamed, snap, gone], mirror_began=datetime(2026, 4, 20, tzinfo=UTC)
    )
    lines = [
        line("Droplets", "web-01 (s-2vcpu-4gb)", 2400),  # by name, case-insensitive
        line("Droplets", "before-rename (s-1vcpu-1gb)", 600, resource_id="102"),  # by id
        line("Droplet Backups", "web-01 (Weekly Backup Services)", 480),  # the parent droplet
        line("Droplet Snapshots", "web-01-1770000000000 (syd1) 4.61GB Droplet Snapshot", 28),
        line("Droplets", "old-01 (s-1vcpu-1gb)", 100),  # a deleted resource still matches
        line("Droplets", "ci-runner-01 (c-2)", 38, end_at=datetime(2026, 4, 2, tzinfo=UTC)),
        line("Droplets", "ghost-01 (s-1vcpu-1gb)", 600),  # ran past the mirror's start: missing
        line("Spaces Subscription", "Spaces ($5/mo 250GB storage & 1TB bandwidth)", 500),
        line("Taxes", "GST (10%)", 475, hours=None),
    ]
    matched = cost_lines(lines, index)
    summary = [(c.match_method, c.resource_id, c.unmatched_reason) for c in matched]
    assert summary == [
        ("name", web.id, None),
        ("id", renamed.id, None),
        ("name", web.id, None),
        ("name", snap.id, None),
        ("name", gone.id, None),
        ("none", None, "destroyed_before_mirror"),
        ("none", None, "no_such_resource"),
        ("none", None, "account_level"),
        ("none", None, "tax"),
    ]
    assert matched[0].tenant_id == web.tenant_id
    assert matched[0].deployment_id == web.deployment_id
    stats = stats_of(matched)
    assert (stats.line_count, stats.matched_count, stats.tax_cents) == (9, 5, 475)
    assert stats.match_rate == Decimal("0.5556")
    assert stats.cost_by_kind["droplet_backup"] == 480
    assert stats.cost_by_deployment[str(web.deployment_id)] == 2400 + 480


def test_without_a_mirror_nothing_is_called_destroyed() -> None:
    [only] = cost_lines([line("Droplets", "web-01 (s-1vcpu-1gb)", 600)], ResourceIndex())
    assert only.unmatched_reason == "no_such_resource"
    assert (only.match_kind, only.match_name) == ("droplet", "web-01")


def test_provider_ids_join_on_product_description_amount_and_start() -> None:
    lines = [line("Droplets", "a (s-1vcpu-1gb)", 600), line("Droplets", "a (s-1vcpu-1gb)", 600)]
    items = [
        ProviderItem("Droplets", "a (s-1vcpu-1gb)", 600, START, "1", None),
        ProviderItem("Droplets", "a (s-1vcpu-1gb)", 600, START, "2", None),
        ProviderItem("Droplets", "a (s-1vcpu-1gb)", 601, START, "3", None),
    ]
    assert attach_provider_ids(lines, items) == 2
    assert [x.resource_id for x in lines] == ["1", "2"]


def test_reconciliation_to_the_cent_and_the_taxes() -> None:
    lines = [line("Droplets", "a (x)", 7902), line("Taxes", "GST (10%)", 790)]
    kinds = ["droplet", "tax"]
    good = reconcile(lines, kinds, 8692, InvoiceSummary(8692, 790))
    assert good.ok
    off = reconcile(lines, kinds, 8692, InvoiceSummary(8693, 791))
    assert not off.ok
    assert off.difference_cents == -1 and off.tax_difference_cents == -1
    assert "difference -$0.01" in off.describe()


def test_finance_payload_splits_net_and_tax() -> None:
    matched = cost_lines(
        [line("Droplets", "a (x)", 7902), line("Taxes", "GST (10%)", 790, hours=None)],
        ResourceIndex(),
    )
    payload = finance_payload(invoice_uuid="u", invoice_id="5", period=START.date(), lines=matched)
    assert payload["amount_net_minor"] == 7902
    assert payload["amount_tax_minor"] == 790
    assert payload["amount_gross_minor"] == 8692
    assert payload["period"] == "2026-04" and payload["currency"] == "USD"
    assert payload["vendor"] == {"name": "DigitalOcean", "category": "cloud"}
    assert [x["is_tax"] for x in payload["lines"]] == [False, True]
