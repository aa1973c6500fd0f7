"""The seeds account's bills: 137 monthly invoices from December 2014 to April 2026.

The seeds report "137 historical invoices discovered going back to 2014" and an April 2026
invoice of 33 lines totalling $86.92, of which $7.90 is GST, pushed to finance with
gross $86.92 and tax $7.90. This file composes that April invoice so that it agrees with the
`seeds` scenario's inventory; its figures are asserted by `check_april()` (run on every build).

April 2026, 33 lines (net $79.02 + GST 10% $7.90 = $86.92):

=====  ==============================================================  ==========  =========
lines  what                                                            amount      matches
=====  ==============================================================  ==========  =========
2      ``monitor-01``, resized on 10 April from ``s-1vcpu-512mb-10gb``   $5.79       id
       to ``s-1vcpu-1gb`` (one line per size, as DigitalOcean bills it)
1      ``web-01 (s-2vcpu-4gb)``, the whole month                        $24.00      id
1      ``web-01 (Weekly Backup Services)``: backup of a live droplet    $4.80       name, the
                                                                                    parent droplet
8      ``Droplet Snapshots``: every droplet snapshot of the account,    $3.59       name
       ``repo-01``'s included (its droplet is gone, the snapshot is not)
1      ``Unused Floating IP - 203.0.113.24`` (the spare reserved IP)    $5.00       name
1      ``repo-01 (s-1vcpu-2gb)``, destroyed on 9 April                  $3.43       none:
                                                                                    destroyed
1      ``repo-01 (Weekly Backup Services)``: backup of a destroyed      $0.69       none:
       droplet                                                                     destroyed
16     droplets destroyed in April, before the mirror began             $26.72      none:
       (staging hosts, CI runners, load tests, ...)                                 destroyed
1      ``Spaces Subscription``: the account-level $5 plan               $5.00       none:
                                                                                    account
1      ``Taxes``: ``GST (10%)``                                         $7.90       none: tax
=====  ==============================================================  ==========  =========

So 13 lines name a resource the account holds (all matched: 3 by id, 10 by name) and 20 do not
(18 destroyed before the mirror began, 1 account-level, 1 tax).

Not every resource of the account is on the April invoice: the seeds fix its size, and the
sandbox's list prices would put the GPU droplet alone at $2,522 a month. What is on it names
the account's resources exactly as DigitalOcean writes them: droplet name and size name,
``<droplet> (Weekly Backup Services)``, ``<snapshot> (<region>) <size>GB Droplet Snapshot``
priced at $0.06 per GB-month, hours as billed.

The 136 earlier invoices carry the account's long-gone hosts (``blog-01``, ``mail-01``, ...)
and, from July 2017, Australian GST; those before July 2020 are served in the older 8-column
CSV format without ``category``. One January 2015 line is a credit (a negative amount).
The month-to-date preview is May 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from do_sandbox.billing import (
    TAXES,
    Billing,
    HistoryEntry,
    InvoiceItem,
    SandboxInvoice,
    utc,
)
from do_sandbox.scenarios import seeds

APRIL = "2026-04"
APRIL_UUID = seeds.seeded_uuid("invoice", APRIL)
PREVIEW_UUID = seeds.seeded_uuid("invoice", "2026-05")
FIRST_PERIOD = (2014, 12)
INVOICE_COUNT = 137
GST_FROM = (2017, 7)
CATEGORY_FROM = (2020, 7)


@dataclass(frozen=True)
class AprilFigures:
    lines: int = 33
    total_cents: int = 8692
    tax_cents: int = 790
    net_cents: int = 7902
    matched: int = 13
    matched_by_id: int = 3
    matched_by_name: int = 10
    destroyed_before_mirror: int = 18
    account_level: int = 1
    tax: int = 1


APRIL_FIGURES = AprilFigures()

# hourly and monthly list prices (USD) by size name, as the invoices write them
HOURLY = {
    "512mb": Decimal("0.00744"),
    "1gb": Decimal("0.01488"),
    "s-1vcpu-512mb-10gb": Decimal("0.00595"),
    "s-1vcpu-1gb": Decimal("0.00893"),
    "s-1vcpu-2gb": Decimal("0.01786"),
    "s-2vcpu-2gb": Decimal("0.02679"),
    "s-2vcpu-4gb": Decimal("0.03571"),
    "c-2": Decimal("0.0625"),
}
MONTHLY = {
    "512mb": 500,
    "1gb": 1000,
    "s-1vcpu-512mb-10gb": 400,
    "s-1vcpu-1gb": 600,
    "s-1vcpu-2gb": 1200,
    "s-2vcpu-2gb": 1800,
    "s-2vcpu-4gb": 2400,
    "c-2": 4200,
}
SNAPSHOT_PER_GB_MONTH = Decimal("0.06")
BACKUP_SHARE = Decimal("0.20")  # weekly backups cost 20% of the droplet
GST_RATE = Decimal("0.10")

APRIL_START = utc(2026, 4, 1)
MAY_START = utc(2026, 5, 1)
APRIL_LAST_SECOND = utc(2026, 4, 30, 23, 59, 59)
APRIL_HOURS = 720


def cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def droplet_cents(size: str, hours: int) -> int:
    """Hours at the hourly price, capped at the monthly price."""
    return min(cents(HOURLY[size] * hours), MONTHLY[size])


def _droplet(
    name: str,
    size: str,
    start: datetime,
    hours: int,
    *,
    droplet_id: int,
    project: str,
) -> InvoiceItem:
    return InvoiceItem(
        product="Droplets",
        description=f"{name} ({size})",
        amount_cents=droplet_cents(size, hours),
        start=start,
        end=start + timedelta(hours=hours),
        hours=str(hours),
        project_name=project,
        resource_id=str(droplet_id),
    )


def _backup(droplet: InvoiceItem) -> InvoiceItem:
    name = droplet.description.rsplit(" (", 1)[0]
    return InvoiceItem(
        product="Droplet Backups",
        description=f"{name} (Weekly Backup Services)",
        amount_cents=cents(Decimal(droplet.amount_cents) / 100 * BACKUP_SHARE),
        start=droplet.start,
        end=droplet.end,
        hours=droplet.hours,
        project_name=droplet.project_name,
    )


def _gst(items: list[InvoiceItem], start: datetime, end: datetime) -> InvoiceItem:
    net = sum(item.amount_cents for item in items)
    return InvoiceItem(
        product=TAXES,
        description="GST (10%)",
        amount_cents=cents(Decimal(net) / 100 * GST_RATE),
        start=start,
        end=end,
        hours="",
    )


# droplets destroyed during April, before the mirror began: (name, size, first day, hours, id)
APRIL_DESTROYED = (
    ("staging-web-01", "s-1vcpu-2gb", 1, 312, 512200011),
    ("staging-db-01", "s-2vcpu-4gb", 1, 204, 512200012),
    ("mail-01", "s-1vcpu-1gb", 1, 168, 512200013),
    ("vpn-01", "s-1vcpu-1gb", 1, 96, 512200014),
    ("ci-runner-01", "c-2", 2, 6, 512200021),
    ("ci-runner-02", "c-2", 3, 9, 512200022),
    ("ci-runner-03", "c-2", 6, 4, 512200023),
    ("ci-runner-04", "c-2", 8, 12, 512200024),
    ("ci-runner-05", "c-2", 13, 7, 512200025),
    ("ci-runner-06", "c-2", 15, 5, 512200026),
    ("load-test-01", "s-2vcpu-4gb", 16, 30, 512200031),
    ("load-test-02", "s-2vcpu-4gb", 16, 30, 512200032),
    ("demo-01", "s-1vcpu-1gb", 1, 200, 512200041),
    ("wiki-01", "s-1vcpu-2gb", 1, 150, 512200042),
    ("old-api-01", "s-2vcpu-2gb", 1, 60, 512200043),
    ("scratch-01", "s-1vcpu-512mb-10gb", 3, 100, 512200044),
)

# (snapshot name, region, GB): every droplet snapshot of the seeds account
APRIL_SNAPSHOTS = (
    ("web-01-1770000000000", "syd1", "4.61"),
    ("web-01-1773500000000", "syd1", "4.8"),
    ("app-01-1771200000000", "syd1", "9.35"),
    ("app-01-1774600000000", "syd1", "9.82"),
    ("git-01-1769300000000", "syd1", "10.15"),
    ("git-01-1775000000000", "syd1", "11.02"),
    ("ci-01-1772000000000", "sgp1", "3.3"),
    ("repo-01-1767500000000", "syd1", "6.74"),
)


def april_items() -> list[InvoiceItem]:
    resized = utc(2026, 4, 10)
    monitor_before = _droplet(
        "monitor-01",
        "s-1vcpu-512mb-10gb",
        APRIL_START,
        216,
        droplet_id=seeds.MONITOR_01,
        project="Default",
    )
    monitor_after = _droplet(
        "monitor-01", "s-1vcpu-1gb", resized, 504, droplet_id=seeds.MONITOR_01, project="Default"
    )
    web = _droplet(
        "web-01",
        "s-2vcpu-4gb",
        APRIL_START,
        APRIL_HOURS,
        droplet_id=seeds.WEB_01,
        project="pilot-tenant",
    )
    items = [monitor_before, monitor_after, web, _backup(web)]
    items += [
        InvoiceItem(
            product="Droplet Snapshots",
            description=f"{name} ({region}) {size}GB Droplet Snapshot",
            amount_cents=cents(Decimal(size) * SNAPSHOT_PER_GB_MONTH),
            start=APRIL_START,
            end=APRIL_LAST_SECOND,
            hours=str(APRIL_HOURS),
        )
        for name, region, size in APRIL_SNAPSHOTS
    ]
    items.append(
        InvoiceItem(
            product="Floating IPs",
            description=f"Unused Floating IP - {seeds.RESERVED_IP_SPARE}",
            amount_cents=500,
            start=APRIL_START,
            end=APRIL_LAST_SECOND,
            hours=str(APRIL_HOURS),
            project_name="Default",
        )
    )
    repo = _droplet(
        "repo-01",
        "s-1vcpu-2gb",
        APRIL_START,
        192,
        droplet_id=seeds.REPO_01_DESTROYED,
        project="skyai-internal",
    )
    items += [repo, _backup(repo)]
    items += [
        _droplet(
            name,
            size,
            utc(2026, 4, day),
            hours,
            droplet_id=droplet_id,
            project="skyai-internal" if name.startswith(("ci-", "mail", "vpn")) else "Default",
        )
        for name, size, day, hours, droplet_id in APRIL_DESTROYED
    ]
    items.append(
        InvoiceItem(
            product="Spaces Subscription",
            description="Spaces ($5/mo 250GB storage & 1TB bandwidth)",
            amount_cents=500,
            start=APRIL_START,
            end=APRIL_LAST_SECOND,
            hours=str(APRIL_HOURS),
            category="paas",
        )
    )
    items.append(_gst(items, APRIL_START, APRIL_LAST_SECOND))
    return items


def check_april(items: list[InvoiceItem]) -> None:
    """The April invoice has the seeds' figures; raises AssertionError otherwise."""
    figures = APRIL_FIGURES
    tax = sum(i.amount_cents for i in items if i.product == TAXES)
    total = sum(i.amount_cents for i in items)
    live = [
        i
        for i in items
        if i.product != TAXES
        and not i.description.startswith(("repo-01 (", "Spaces "))
        and i.description.split(" (")[0] not in {name for name, *_ in APRIL_DESTROYED}
    ]
    with_id = [i for i in live if i.resource_id is not None]
    assert len(items) == figures.lines, f"April has {len(items)} lines, not {figures.lines}"
    assert total == figures.total_cents, f"April totals {total} cents, not {figures.total_cents}"
    assert tax == figures.tax_cents, f"April's tax is {tax} cents, not {figures.tax_cents}"
    assert total - tax == figures.net_cents
    assert len(live) == figures.matched, f"{len(live)} lines of live resources"
    assert len(with_id) == figures.matched_by_id
    assert len(live) - len(with_id) == figures.matched_by_name
    destroyed = len(items) - len(live) - figures.account_level - figures.tax
    assert destroyed == figures.destroyed_before_mirror


# -- the account's past -------------------------------------------------------------------------


def periods() -> Iterator[tuple[int, int]]:
    year, month = FIRST_PERIOD
    for _ in range(INVOICE_COUNT):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _next(year: int, month: int) -> datetime:
    return utc(year + 1, 1) if month == 12 else utc(year, month + 1)


# (name, first period, last period, size before mid-2018, size after, id)
_PAST_HOSTS = (
    ("blog-01", (2014, 12), (2024, 12), "512mb", "s-1vcpu-1gb", 410000001),
    ("mail-01", (2016, 3), (2026, 3), "1gb", "s-1vcpu-1gb", 512200013),
    ("wiki-01", (2021, 5), (2026, 3), "1gb", "s-1vcpu-2gb", 512200042),
    ("vpn-01", (2023, 1), (2026, 3), "1gb", "s-1vcpu-1gb", 512200014),
    ("staging-web-01", (2025, 6), (2026, 3), "1gb", "s-1vcpu-2gb", 512200011),
    ("staging-db-01", (2025, 6), (2026, 3), "1gb", "s-2vcpu-4gb", 512200012),
)


def past_items(year: int, month: int) -> list[InvoiceItem]:
    start, end = utc(year, month), _next(year, month)
    hours = int((end - start).total_seconds() // 3600)
    items: list[InvoiceItem] = []
    for name, first, last, old_size, new_size, droplet_id in _PAST_HOSTS:
        if not first <= (year, month) <= last:
            continue
        size = old_size if (year, month) < (2018, 6) else new_size
        droplet = _droplet(name, size, start, hours, droplet_id=droplet_id, project="")
        items.append(droplet)
        if name == "blog-01" and (year, month) >= (2017, 9):
            items.append(_backup(droplet))
    if (year, month) >= (2019, 1):
        items.append(
            InvoiceItem(
                product="Volumes",
                description="mail-data (syd1) 10GB",
                amount_cents=100,
                start=start,
                end=end - timedelta(seconds=1),
                hours=str(hours),
            )
        )
    if (year, month) == (2015, 1):
        items.append(
            InvoiceItem(
                product="Credits",
                description="Promotional credit",
                amount_cents=-250,
                start=start,
                end=end - timedelta(seconds=1),
                hours="",
            )
        )
    if (year, month) >= GST_FROM:
        items.append(_gst(items, start, end - timedelta(seconds=1)))
    return items


def _invoice_id(index: int) -> str:
    return str(500_000_000 + 3_571 * index)


def build() -> Billing:
    billing = Billing(account_balance_cents=0)
    april = april_items()
    check_april(april)
    for index, (year, month) in enumerate(periods()):
        period = f"{year:04d}-{month:02d}"
        items = april if period == APRIL else past_items(year, month)
        issued = _next(year, month) + timedelta(hours=7, minutes=index % 50)
        invoice = billing.add_invoice(
            SandboxInvoice(
                invoice_uuid=seeds.seeded_uuid("invoice", period),
                invoice_id=_invoice_id(index),
                period=period,
                items=items,
                issued_at=issued,
                legacy_csv=(year, month) < CATEGORY_FROM,
            )
        )
        if invoice.amount_cents > 0:
            billing.entries.append(
                HistoryEntry(
                    "Payment",
                    "Payment (Visa 4242)",
                    -invoice.amount_cents,
                    issued + timedelta(hours=2, minutes=31),
                )
            )
    billing.entries += [
        HistoryEntry("Credit", "Promo code: WELCOME10", -1000, utc(2014, 12, 2, 3, 15, 0)),
        HistoryEntry("CreditExpiration", "Expired credit", 750, utc(2015, 12, 2, 0, 0, 0)),
        HistoryEntry("Refund", "Refund (Visa 4242)", 500, utc(2019, 3, 14, 1, 2, 3)),
    ]
    preview_items = [
        _droplet(
            "monitor-01",
            "s-1vcpu-1gb",
            MAY_START,
            420,
            droplet_id=seeds.MONITOR_01,
            project="Default",
        ),
        _droplet(
            "web-01", "s-2vcpu-4gb", MAY_START, 420, droplet_id=seeds.WEB_01, project="pilot-tenant"
        ),
    ]
    billing.preview = SandboxInvoice(
        invoice_uuid=PREVIEW_UUID,
        invoice_id=_invoice_id(INVOICE_COUNT),
        period="2026-05",
        items=preview_items,
        issued_at=utc(2026, 5, 18, 4, 12, 9),
        updated_at=utc(2026, 5, 18, 4, 12, 9),
    )
    billing.generated_at = utc(2026, 5, 18, 4, 12, 9)
    return billing
