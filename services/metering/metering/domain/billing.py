"""The billing-kind mapping: which inventory kinds are metered, as what, and how they accrue.

This table is data. Adding a billing kind is one row here (and a test); nothing else branches
on a kind. A kind absent from the table (reserved IPs, firewalls, VPCs, ...) writes nothing.

| inventory kind   | billing kind              | accrual       | metered statuses | needs a size |
|------------------|---------------------------|---------------|------------------|--------------|
| droplet          | droplet_hours             | hours         | active           | no           |
| snapshot         | snapshot_gb_month         | gb_month      | any              | yes          |
| droplet_backup   | droplet_backup_gb_month   | gb_month      | any              | yes          |
| volume           | volume_gb_month           | gb_month      | any              | yes          |
| spaces_bucket    | spaces_gb_month           | gb_month      | any              | yes          |
| dns_zone         | dns_zones                 | count_month   | any              | no           |

Accruals (per day; an hourly row is the day's figure over 24):
- `hours`: one per started hour the resource existed in a metered status (24 for a full day).
- `gb_month`: size in GB / days in the month, so a month sums to GB-months.
- `count_month`: 1 / days in the month, so a month sums to the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Accrual(StrEnum):
    HOURS = "hours"
    GB_MONTH = "gb_month"
    COUNT_MONTH = "count_month"


class Granularity(StrEnum):
    DAILY = "daily"
    HOURLY = "hourly"


@dataclass(frozen=True, slots=True)
class BillingKind:
    kind: str  # the inventory's resource kind
    billing_kind: str
    accrual: Accrual
    # statuses in which the resource accrues; None: every status
    metered_statuses: frozenset[str] | None = None

    @property
    def needs_size(self) -> bool:
        return self.accrual is Accrual.GB_MONTH


BILLING_KINDS: tuple[BillingKind, ...] = (
    BillingKind("droplet", "droplet_hours", Accrual.HOURS, frozenset({"active"})),
    BillingKind("snapshot", "snapshot_gb_month", Accrual.GB_MONTH),
    BillingKind("droplet_backup", "droplet_backup_gb_month", Accrual.GB_MONTH),
    BillingKind("volume", "volume_gb_month", Accrual.GB_MONTH),
    BillingKind("spaces_bucket", "spaces_gb_month", Accrual.GB_MONTH),
    BillingKind("dns_zone", "dns_zones", Accrual.COUNT_MONTH),
)

BY_KIND: dict[str, BillingKind] = {row.kind: row for row in BILLING_KINDS}
BY_BILLING_KIND: dict[str, BillingKind] = {row.billing_kind: row for row in BILLING_KINDS}

DEFAULT_GRANULARITY = Granularity.DAILY
DEFAULT_RETENTION_DAYS = 730


def billing_kind_of(kind: str) -> BillingKind | None:
    return BY_KIND.get(kind)


@dataclass(frozen=True, slots=True)
class KindConfig:
    """How one billing kind is metered: its granularity and how long its rows are kept."""

    billing_kind: str
    granularity: Granularity = DEFAULT_GRANULARITY
    retention_days: int = DEFAULT_RETENTION_DAYS


def full_config(stored: dict[str, KindConfig]) -> dict[str, KindConfig]:
    """Every billing kind's configuration: the stored one, else the defaults."""
    return {
        row.billing_kind: stored.get(row.billing_kind, KindConfig(row.billing_kind))
        for row in BILLING_KINDS
    }


def unmetered_reason(kind: str, status: str | None, size_gb: object | None) -> str | None:
    """Why an attributed resource produces no usage now; None when it is metered."""
    rule = BY_KIND.get(kind)
    if rule is None:
        return f"kind {kind!r} has no billing kind"
    if rule.needs_size and size_gb is None:
        return f"size unknown: {rule.billing_kind} needs a size in GB, never guessed"
    if rule.metered_statuses is not None and status not in rule.metered_statuses:
        return f"status {status!r} accrues 0 {rule.billing_kind}"
    return None
