"""The accrual rules, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from uuid import UUID, uuid4

import pytest

from metering.domain.accrual import PRECISION, accrue, days_in_month
from metering.domain.billing import BILLING_KINDS, BY_KIND, Granularity, KindConfig
from metering.domain.model import HistoryEntry, MeteredResource
from metering.domain.plan import announcements, day_start, day_totals, desired_lines, diff

DEP_A = UUID("00000000-0000-0000-0000-00000000000a")
DEP_B = UUID("00000000-0000-0000-0000-00000000000b")
TENANT = UUID("00000000-0000-0000-0000-0000000000f1")
DAILY = Granularity.DAILY


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def resource(
    kind: str,
    starts: str,
    *entries: tuple[str, str | None, UUID | None] | tuple[str, str | None, UUID | None, str],
    ends: str | None = None,
) -> MeteredResource:
    history = []
    for version, entry in enumerate(entries, start=1):
        size = Decimal(entry[3]) if len(entry) > 3 else None  # type: ignore[misc]
        history.append(
            HistoryEntry(
                version, at(entry[0]), entry[1], TENANT if entry[2] else None, entry[2], size
            )
        )
    return MeteredResource(uuid4(), kind, at(starts), at(ends) if ends else None, history)


def day(kind: str, item: MeteredResource, on: str) -> dict[UUID, Decimal]:
    lines = accrue(item, BY_KIND[kind], at(on), DAILY)
    return {line.deployment_id: line.qty for line in lines}


def test_a_full_active_day_is_24_droplet_hours() -> None:
    droplet = resource("droplet", "2026-11-01T00:00", ("2026-11-01T00:00", "active", DEP_A))
    assert day("droplet", droplet, "2026-12-05") == {DEP_A: Decimal(24)}


def test_a_day_off_is_zero_and_a_partial_day_counts_started_hours() -> None:
    droplet = resource(
        "droplet",
        "2026-11-01T00:00",
        ("2026-11-01T00:00", "active", DEP_A),
        ("2026-12-02T10:30", "off", DEP_A),  # switched off, seen at 10:30
        ("2026-12-05T06:15", "active", DEP_A),  # back on, seen at 06:15
    )
    assert day("droplet", droplet, "2026-12-02") == {DEP_A: Decimal(11)}  # 00..10 started
    assert day("droplet", droplet, "2026-12-03") == {DEP_A: Decimal(0)}
    assert day("droplet", droplet, "2026-12-04") == {DEP_A: Decimal(0)}
    assert day("droplet", droplet, "2026-12-05") == {DEP_A: Decimal(18)}  # 06..23


def test_existence_starts_at_creation_and_ends_at_the_last_sighting() -> None:
    droplet = resource(
        "droplet",
        "2026-12-03T10:30",  # the provider's creation time, before the first sighting
        ("2026-12-03T11:00", "active", DEP_A),
        ends="2026-12-07T05:10",
    )
    assert day("droplet", droplet, "2026-12-02") == {}
    assert day("droplet", droplet, "2026-12-03") == {DEP_A: Decimal(14)}
    assert day("droplet", droplet, "2026-12-07") == {DEP_A: Decimal(6)}
    assert day("droplet", droplet, "2026-12-08") == {}


def test_before_the_first_sighting_the_status_first_seen_holds() -> None:
    droplet = resource("droplet", "2026-11-01T00:00", ("2026-12-10T00:00", "off", DEP_A))
    assert day("droplet", droplet, "2026-12-01") == {DEP_A: Decimal(0)}


@pytest.mark.parametrize(
    ("month", "days"), [("2026-02", 28), ("2028-02", 29), ("2026-11", 30), ("2026-12", 31)]
)
def test_gb_month_and_zone_counts_sum_to_the_month(month: str, days: int) -> None:
    first = at(f"{month}-01T00:00")
    assert days_in_month(first) == days
    snapshot = resource(
        "snapshot", "2025-01-01T00:00", ("2025-01-01T00:00", "available", DEP_A, "48")
    )
    zone = resource("dns_zone", "2025-01-01T00:00", ("2025-01-01T00:00", "active", DEP_A))
    snap_total = Decimal(0)
    zone_total = Decimal(0)
    for n in range(days):
        on = first + timedelta(days=n)
        snap_total += accrue(snapshot, BY_KIND["snapshot"], on, DAILY)[0].qty
        zone_total += accrue(zone, BY_KIND["dns_zone"], on, DAILY)[0].qty
    assert abs(snap_total - 48) < Decimal("1e-20")
    assert abs(zone_total - 1) < Decimal("1e-20")
    one_day = accrue(snapshot, BY_KIND["snapshot"], first, DAILY)[0].qty
    with localcontext(prec=PRECISION):
        assert one_day == Decimal(48) / days


def test_a_partial_day_of_storage_accrues_its_started_hours_share() -> None:
    volume = resource("volume", "2026-12-10T18:20", ("2026-12-10T18:30", "attached", DEP_A, "100"))
    assert day("volume", volume, "2026-12-10") == {DEP_A: Decimal(100) * 6 / (31 * 24)}


def test_a_size_never_known_is_unmetered_never_guessed() -> None:
    bucket = resource("spaces_bucket", "2026-11-01T00:00", ("2026-11-01T00:00", "unknown", DEP_A))
    assert day("spaces_bucket", bucket, "2026-12-01") == {}


def test_a_move_splits_the_day_at_the_move() -> None:
    droplet = resource(
        "droplet",
        "2026-11-01T00:00",
        ("2026-11-01T00:00", "active", DEP_A),
        ("2026-12-04T09:00", "active", DEP_B),
    )
    assert day("droplet", droplet, "2026-12-04") == {DEP_A: Decimal(9), DEP_B: Decimal(15)}


def test_before_its_first_attribution_a_resource_counts_for_its_first_deployment() -> None:
    droplet = resource(
        "droplet",
        "2026-11-01T00:00",
        ("2026-11-01T00:00", "active", None),
        ("2026-12-20T00:00", "active", DEP_A),  # onboarded on the 20th
    )
    assert day("droplet", droplet, "2026-12-01") == {DEP_A: Decimal(24)}


def test_never_attributed_and_unattributed_later_write_nothing() -> None:
    never = resource("droplet", "2026-11-01T00:00", ("2026-11-01T00:00", "active", None))
    assert day("droplet", never, "2026-12-01") == {}
    released = resource(
        "droplet",
        "2026-11-01T00:00",
        ("2026-11-01T00:00", "active", DEP_A),
        ("2026-12-02T00:00", "active", None),
    )
    assert day("droplet", released, "2026-12-03") == {}


def test_kinds_without_a_billing_kind_write_nothing() -> None:
    firewall = resource("firewall", "2026-11-01T00:00", ("2026-11-01T00:00", "active", DEP_A))
    assert desired_lines([firewall], at("2026-12-01T00:00"), {}) == []


def test_every_billing_kind_row_is_unique_and_accrues() -> None:
    assert len({r.kind for r in BILLING_KINDS}) == len(BILLING_KINDS)
    assert len({r.billing_kind for r in BILLING_KINDS}) == len(BILLING_KINDS)
    for row in BILLING_KINDS:
        item = resource(row.kind, "2025-01-01T00:00", ("2025-01-01T00:00", "active", DEP_A, "10"))
        assert accrue(item, row, at("2026-12-01T00:00"), DAILY)[0].qty > 0


def test_hourly_granularity_writes_24_rows_summing_to_the_day() -> None:
    snapshot = resource(
        "snapshot", "2025-01-01T00:00", ("2025-01-01T00:00", "available", DEP_A, "31")
    )
    config = {"snapshot_gb_month": KindConfig("snapshot_gb_month", Granularity.HOURLY)}
    lines = desired_lines([snapshot], at("2026-12-01T00:00"), config)
    assert len(lines) == 24
    assert {line.granularity for line in lines} == {Granularity.HOURLY}
    assert abs(sum(line.qty for line in lines) - 1) < Decimal("1e-25")


def test_re_planning_an_unchanged_day_changes_nothing_and_a_change_corrects() -> None:
    droplet = resource("droplet", "2026-11-01T00:00", ("2026-11-01T00:00", "active", DEP_A))
    start = day_start(date(2026, 12, 1))
    first = diff(desired_lines([droplet], start, {}), {})
    assert len(first.insert) == 1
    held = {line.key: line for line in first.lines}
    assert not diff(desired_lines([droplet], start, {}), held).changed
    droplet.history.append(HistoryEntry(2, at("2026-12-01T12:00"), "off", TENANT, DEP_A, None))
    corrected = diff(desired_lines([droplet], start, {}), held)
    assert [line.qty for line in corrected.update] == [Decimal(12)]
    droplet.history[-1] = HistoryEntry(2, at("2026-12-01T00:00"), "active", TENANT, DEP_B, None)
    moved = diff(desired_lines([droplet], start, {}), held)
    assert len(moved.insert) == 1 and len(moved.delete) == 1


def test_announcements_bump_the_version_only_when_totals_change() -> None:
    droplet = resource("droplet", "2026-11-01T00:00", ("2026-11-01T00:00", "active", DEP_A))
    on = date(2026, 12, 1)
    totals = day_totals(on, desired_lines([droplet], day_start(on), {}))
    first = announcements(on, totals, {})
    assert [(a.version, a.totals.totals) for a in first] == [(1, {"droplet_hours": Decimal(24)})]
    assert announcements(on, totals, {DEP_A: (1, {"droplet_hours": Decimal(24)})}) == []
    changed = announcements(on, totals, {DEP_A: (1, {"droplet_hours": Decimal(12)})})
    assert [a.version for a in changed] == [2]
    gone = announcements(on, {}, {DEP_A: (2, {"droplet_hours": Decimal(12)})})
    assert [(a.version, a.totals.totals) for a in gone] == [(3, {})]
