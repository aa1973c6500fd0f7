"""The `generated` account's bill: one April 2026 invoice naming its resources, of any size.

One line per billable resource (droplets, weekly backups, droplet snapshots, volumes, unused
reserved IPs), the $5 Spaces subscription and GST at 10%. With `lines`, droplets are billed in
as many segments as it takes (one line per size and period, as a resized droplet shows) so
that the invoice has exactly that many lines, GST included. A few lines (one in fifty) name
droplets destroyed before the account was generated.
"""

from __future__ import annotations

import random
from datetime import timedelta

from do_sandbox.account import Account
from do_sandbox.billing import TAXES, Billing, InvoiceItem, SandboxInvoice, utc

PERIOD = "2026-04"
START = utc(2026, 4, 1)
LAST_SECOND = utc(2026, 4, 30, 23, 59, 59)
HOURS = 720


def _cents(dollars: float) -> int:
    return round(dollars * 100)


def build(account: Account, *, lines: int | None = None, seed: int = 0) -> Billing:
    rng = random.Random(seed * 7919 + 17)
    droplets = account.items("droplets")
    base: list[InvoiceItem] = []
    for droplet in droplets:
        monthly = _cents(droplet["size"]["price_monthly"])
        base.append(
            InvoiceItem(
                product="Droplets",
                description=f"{droplet['name']} ({droplet['size_slug']})",
                amount_cents=monthly,
                start=START,
                end=START + timedelta(hours=HOURS),
                hours=str(HOURS),
                resource_id=str(droplet["id"]),
            )
        )
        if "backups" in droplet["features"]:
            base.append(
                InvoiceItem(
                    product="Droplet Backups",
                    description=f"{droplet['name']} (Weekly Backup Services)",
                    amount_cents=monthly // 5,
                    start=START,
                    end=START + timedelta(hours=HOURS),
                    hours=str(HOURS),
                )
            )
    for snapshot in account.items("snapshots"):
        if snapshot["resource_type"] != "droplet":
            continue
        size = snapshot["size_gigabytes"]
        region = snapshot["regions"][0]
        base.append(
            InvoiceItem(
                product="Droplet Snapshots",
                description=f"{snapshot['name']} ({region}) {size}GB Droplet Snapshot",
                amount_cents=max(1, _cents(size * 0.06)),
                start=START,
                end=LAST_SECOND,
                hours=str(HOURS),
            )
        )
    for volume in account.items("volumes"):
        base.append(
            InvoiceItem(
                product="Volumes",
                description=(
                    f"{volume['name']} ({volume['region']['slug']}) {volume['size_gigabytes']}GB"
                ),
                amount_cents=volume["size_gigabytes"] * 10,
                start=START,
                end=LAST_SECOND,
                hours=str(HOURS),
                resource_uuid=volume["id"],
            )
        )
    for reserved in account.items("reserved_ips"):
        if reserved["droplet"] is None:
            base.append(
                InvoiceItem(
                    product="Floating IPs",
                    description=f"Unused Floating IP - {reserved['ip']}",
                    amount_cents=500,
                    start=START,
                    end=LAST_SECOND,
                    hours=str(HOURS),
                )
            )
    spaces = InvoiceItem(
        product="Spaces Subscription",
        description="Spaces ($5/mo 250GB storage & 1TB bandwidth)",
        amount_cents=500,
        start=START,
        end=LAST_SECOND,
        hours=str(HOURS),
        category="paas",
    )
    items = [*base, spaces]
    if lines is not None:
        wanted = max(1, lines) - 1  # the GST line closes the invoice
        items = items[:wanted]
        segment = 0
        while len(items) < wanted and droplets:
            segment += 1
            droplet = droplets[segment % len(droplets)]
            hours = 1 + rng.randrange(48)
            start = START + timedelta(hours=rng.randrange(HOURS - hours))
            destroyed = segment % 50 == 0
            name = f"gone-{segment:06d}" if destroyed else droplet["name"]
            items.append(
                InvoiceItem(
                    product="Droplets",
                    description=f"{name} ({droplet['size_slug']})",
                    amount_cents=max(1, _cents(droplet["size"]["price_hourly"] * hours)),
                    start=start,
                    end=start + timedelta(hours=hours),
                    hours=str(hours),
                    resource_id=None if destroyed else str(droplet["id"]),
                )
            )
    net = sum(item.amount_cents for item in items)
    items.append(
        InvoiceItem(
            product=TAXES,
            description="GST (10%)",
            amount_cents=(net + 5) // 10,
            start=START,
            end=LAST_SECOND,
        )
    )
    billing = Billing()
    billing.add_invoice(
        SandboxInvoice(
            invoice_uuid=f"{seed:08x}-0000-4000-8000-{len(items):012x}",
            invoice_id=str(600_000_000 + seed),
            period=PERIOD,
            items=items,
            issued_at=utc(2026, 5, 1, 7, 0, 0),
        )
    )
    billing.generated_at = utc(2026, 5, 1, 7, 0, 0)
    return billing
