"""The admin overview: a month's margin by deployment and kind (the margin report), and the
provider's month-to-date bill against the revenue metered so far."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Response

from gateway.ui import periods
from gateway.ui.backend import ApiResult, Backend
from gateway.ui.formatting import cents
from gateway.ui.framework import AdminViewer, page_router

router = page_router()

# a month-to-date estimate prices each active subscription; past this many it is not attempted
ESTIMATE_LIMIT = 100
ESTIMATE_CONCURRENCY = 8
PICKER_MONTHS = 24


@dataclass
class Figure:
    """A member of a JSON object shown as a labelled value: money when it is `*_cents`."""

    key: str
    label: str
    value: Any


def label_of(key: str) -> str:
    name = key[: -len("_cents")] if key.endswith("_cents") else key
    return name.replace("_", " ")


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _shown(value: Any) -> Any:
    """A (non-empty) list of scalars reads as one comma-separated value."""
    if isinstance(value, list) and value and all(_scalar(v) for v in value):
        return ", ".join(str(v) for v in value)
    return value


@dataclass
class Table:
    """A list of JSON objects shown as a table: one column per scalar member. An `x_id` column
    is left out where an `x_name` column says the same thing readably, and so is `link` (the
    page links resources itself)."""

    columns: list[str]
    rows: list[dict[str, Any]]


def table(items: Any) -> Table:
    rows = [
        {k: _shown(v) for k, v in item.items()}
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    columns: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in columns and _scalar(value) and key != "link":
                columns.append(key)
    named = {c[: -len("_name")] for c in columns if c.endswith("_name")}
    columns = [
        c for c in columns if not (c.endswith("_id") and c[: -len("_id")] in named)
    ] or columns
    return Table(columns, rows)


@dataclass
class Section:
    """A member of the report beyond its rows: its figures and its tables."""

    key: str
    title: str
    figures: list[Figure]
    tables: list[tuple[str, Table]]


TITLES = {
    "deployments": "By deployment",
    "unallocated": "Cost no deployment carries",
    "totals": "Totals",
    "reconciliation": "Reconciliation with DigitalOcean's invoices",
    "revenue_check": "Revenue against the tenant invoices",
    "leakage": "Leakage",
    "provider_invoices": "DigitalOcean invoices counted",
    "tenant_invoices": "Tenant invoices counted",
}
SKIPPED = frozenset({"rows", "period", "currencies", "currency"})


def section(key: str, value: Any) -> Section | None:
    title = TITLES.get(key, label_of(key).capitalize())
    if isinstance(value, dict):
        figures = [
            Figure(k, label_of(k), _shown(v)) for k, v in value.items() if _scalar(_shown(v))
        ]
        tables = [
            (label_of(k).capitalize(), table(v))
            for k, v in value.items()
            if isinstance(v, list) and not _scalar(_shown(v))
        ]
        return Section(key, title, figures, tables)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return Section(key, title, [], [("", table(value))])
    if isinstance(value, list) and value:
        return Section(key, title, [Figure(key, "items", _shown(value))], [])
    if isinstance(value, list):
        return Section(key, title, [], [("", Table([], []))])
    return None


def reconciled(data: dict[str, Any]) -> bool | None:
    """Whether the report says its cost ties to the provider's bill."""
    check = data.get("reconciliation")
    if isinstance(check, dict):
        for key in ("ok", "reconciled", "matches"):
            if isinstance(check.get(key), bool):
                return bool(check[key])
        difference = cents(check.get("difference_cents"))
        if difference is not None:
            return difference == 0
    if isinstance(data.get("reconciled"), bool):
        return bool(data["reconciled"])
    return None


@dataclass(frozen=True)
class KindTotal:
    kind: str
    revenue_cents: int
    cost_cents: int


def by_kind(rows: list[dict[str, Any]], unallocated: Any) -> list[KindTotal]:
    """Revenue and cost per kind over every deployment, the cost no deployment carries
    included, so the cost column adds up to the provider's bill excluding tax."""
    revenue: dict[str, int] = {}
    cost: dict[str, int] = {}
    for row in rows:
        kind = str(row.get("kind"))
        revenue[kind] = revenue.get(kind, 0) + (cents(row.get("revenue_cents")) or 0)
        cost[kind] = cost.get(kind, 0) + (cents(row.get("cost_cents")) or 0)
    for row in unallocated if isinstance(unallocated, list) else []:
        if isinstance(row, dict):
            kind = str(row.get("kind"))
            cost[kind] = cost.get(kind, 0) + (cents(row.get("cost_cents")) or 0)
    kinds = sorted(set(revenue) | set(cost), key=lambda k: -max(revenue.get(k, 0), cost.get(k, 0)))
    return [KindTotal(k, revenue.get(k, 0), cost.get(k, 0)) for k in kinds]


@dataclass
class MarginView:
    status: int
    notice: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    loose: list[Figure] = field(default_factory=list)
    reconciled: bool | None = None
    revenue_total: int = 0
    cost_total: int = 0
    currency: str = "USD"
    kinds: list[KindTotal] = field(default_factory=list)

    @property
    def kind_scale(self) -> int:
        """The largest figure of the by-kind view: every bar is drawn against it."""
        return max([1] + [max(k.revenue_cents, k.cost_cents) for k in self.kinds])


def margin_view(result: ApiResult) -> MarginView:
    """The margin report's JSON as a page shows it: its rows as the main table, every other
    member as a section of figures and tables (so a member added later is still shown)."""
    if result.status in (404, 503):
        return MarginView(
            result.status,
            notice=(
                "The margin report is not available from this gateway yet."
                if result.status == 404
                else "The margin report cannot be produced right now: a service it reads is "
                "unavailable. Try again shortly."
            ),
        )
    if not result.ok or not isinstance(result.data, dict):
        return MarginView(result.status, notice=f"The margin report failed: {result.detail}")
    data: dict[str, Any] = result.data
    rows = [r for r in data.get("rows", []) if isinstance(r, dict)]
    for row in rows:
        revenue, cost = cents(row.get("revenue_cents")), cents(row.get("cost_cents"))
        if cents(row.get("margin_cents")) is None and revenue is not None and cost is not None:
            row["margin_cents"] = revenue - cost
    currencies = data.get("currencies")
    currency = (
        str(currencies[0])
        if isinstance(currencies, list) and len(currencies) == 1
        else str(data.get("currency") or "USD")
    )
    ordered = [k for k in TITLES if k in data] + [k for k in data if k not in TITLES]
    sections = [
        s for s in (section(k, data[k]) for k in ordered if k not in SKIPPED) if s is not None
    ]
    loose = [Figure(k, label_of(k), v) for k, v in data.items() if k not in SKIPPED and _scalar(v)]
    return MarginView(
        result.status,
        rows=rows,
        sections=sections,
        loose=loose,
        reconciled=reconciled(data),
        revenue_total=sum(cents(r.get("revenue_cents")) or 0 for r in rows),
        cost_total=sum(cents(r.get("cost_cents")) or 0 for r in rows),
        currency=currency,
        kinds=by_kind(rows, data.get("unallocated")),
    )


@dataclass
class BalanceView:
    status: int
    notice: str | None = None
    balance: dict[str, Any] | None = None
    preview: dict[str, Any] | None = None
    month: date | None = None
    revenue_cents: int | None = None
    revenue_note: str | None = None
    subscriptions: int = 0


async def _estimate(api: Backend, month: date, today: date) -> tuple[int | None, str | None, int]:
    """Revenue of `month` so far: each active subscription priced by the quote engine on the
    usage metered so far in it (the base fee and add-ons for the whole month)."""
    end = min(periods.month_after(month), today + timedelta(days=1))
    if end <= month:
        return None, "The month has not started.", 0
    subscriptions = await api.all_items("/api/v1/subscriptions")
    if not subscriptions.ok:
        return None, f"Subscriptions could not be read: {subscriptions.detail}", 0
    active = [
        s
        for s in subscriptions.items
        if s.get("status") == "active"
        and str(s.get("starts_on", "")) < periods.month_after(month).isoformat()
        and (not s.get("ends_on") or str(s["ends_on"]) >= month.isoformat())
    ]
    if len(active) > ESTIMATE_LIMIT:
        return None, f"{len(active)} active subscriptions: too many to price here.", len(active)
    gate = asyncio.Semaphore(ESTIMATE_CONCURRENCY)

    async def price(subscription: dict[str, Any]) -> int | None:
        async with gate:
            usage = await api.get(
                "/api/v1/usage",
                {
                    "deployment_id": subscription["deployment_id"],
                    "from": month.isoformat(),
                    "to": end.isoformat(),
                },
            )
            totals = usage.data.get("totals", {}) if usage.ok and usage.data else {}
            quote = await api.post(
                "/api/v1/quotes",
                json={
                    "plan": subscription["plan_code"],
                    "addons": subscription.get("addon_codes") or [],
                    "usage": totals,
                    "period": periods.label(month),
                    "tenant_id": subscription.get("tenant_id"),
                },
            )
        return cents(quote.data.get("subtotal_cents")) if quote.ok and quote.data else None

    priced = await asyncio.gather(*(price(s) for s in active))
    failed = sum(1 for p in priced if p is None)
    note = f"{failed} subscription(s) could not be priced." if failed else None
    return sum(p for p in priced if p is not None), note, len(active)


async def balance_view(api: Backend) -> BalanceView:
    result = await api.get("/api/v1/billing/balance")
    if not result.ok or not isinstance(result.data, dict):
        return BalanceView(result.status, notice=f"The balance could not be read: {result.detail}")
    balance = result.data.get("balance")
    preview = result.data.get("month_to_date")
    if balance is None and preview is None:
        return BalanceView(
            result.status, notice="No balance has been fetched from DigitalOcean yet."
        )
    today = datetime.now(UTC).date()
    month = periods.month_of(preview.get("invoice_period") if preview else None)
    month = month or today.replace(day=1)
    revenue, note, count = await _estimate(api, month, today)
    return BalanceView(
        result.status,
        balance=balance,
        preview=preview,
        month=month,
        revenue_cents=revenue,
        revenue_note=note,
        subscriptions=count,
    )


async def _known_periods(api: Backend) -> list[date]:
    invoices = await api.all_items("/api/v1/billing/invoices")
    months = {periods.month_of(i.get("invoice_period")) for i in invoices.items}
    return sorted((m for m in months if m is not None), reverse=True)


@router.get("/ui/overview")
async def overview(viewer: AdminViewer, period: str = "") -> Response:
    known = await _known_periods(viewer.api)
    if period:
        month = periods.parse_period(period)
    else:
        month = known[0] if known else periods.month_before(periods.this_month())
    margin, balance = await asyncio.gather(
        viewer.api.get("/api/v1/reports/margin", {"period": periods.label(month)}),
        balance_view(viewer.api),
    )
    choices = sorted(set(known[:PICKER_MONTHS]) | {month}, reverse=True)
    return viewer.render(
        "overview.html",
        period=periods.label(month),
        periods=[periods.label(m) for m in choices],
        margin=margin_view(margin),
        balance=balance,
    )
