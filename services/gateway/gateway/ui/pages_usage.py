"""Usage: one deployment's metered quantities per billing kind per day over a month, drawn as a
chart (uPlot, from the page's JSON data block) with the month's totals beside it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Response

from gateway.ui import periods
from gateway.ui.framework import AnyViewer, BadInput, Viewer, page_router

router = page_router()


def chart_data(usage: dict[str, Any], start: date, end: date) -> dict[str, Any]:
    """Every day of [start, end) with each kind's quantity (the API's exact decimal strings;
    "0" on a day nothing was metered), for app.js to draw."""
    by_day = {
        str(d.get("day")): d.get("totals") or {}
        for d in usage.get("days") or []
        if isinstance(d, dict)
    }
    kinds = sorted(
        {str(k) for k in (usage.get("totals") or {})}
        | {str(k) for totals in by_day.values() for k in totals}
    )
    days = [(start + timedelta(days=n)).isoformat() for n in range((end - start).days)]
    series = {kind: [str(by_day.get(day, {}).get(kind, "0")) for day in days] for kind in kinds}
    return {"days": days, "kinds": kinds, "series": series}


async def _latest_invoiced_month(viewer: Viewer) -> date | None:
    invoices = await viewer.api.all_items("/api/v1/invoices", pages=4)
    months = [periods.month_of(i.get("period_start")) for i in invoices.items]
    known = [m for m in months if m is not None]
    return max(known) if known else None


@router.get("/ui/usage")
async def usage(viewer: AnyViewer, deployment_id: str = "", period: str = "") -> Response:
    deployments = viewer.require(
        await viewer.api.all_items("/api/v1/deployments", {"include_removed": True})
    ).items
    if period:
        month = periods.parse_period(period)
    else:
        month = await _latest_invoiced_month(viewer) or periods.month_before(periods.this_month())
    known_ids = {str(d.get("id")) for d in deployments}
    if deployment_id and deployment_id not in known_ids:
        raise BadInput("Pick one of the deployments listed.")
    chosen = deployment_id or next(
        (str(d["id"]) for d in deployments if d.get("active")),
        str(deployments[0]["id"]) if deployments else "",
    )
    end = periods.month_after(month)
    result = None
    chart: dict[str, Any] = {"days": [], "kinds": [], "series": {}}
    if chosen:
        result = viewer.require(
            await viewer.api.get(
                "/api/v1/usage",
                {
                    "deployment_id": chosen,
                    "from": month.isoformat(),
                    "to": end.isoformat(),
                    "granularity": "day",
                },
            ),
            "That deployment",
        ).data
        chart = chart_data(result, month, end)
    names = {str(d.get("id")): str(d.get("name")) for d in deployments}
    return viewer.render(
        "usage.html",
        deployments=deployments,
        deployment_id=chosen,
        deployment_name=names.get(chosen),
        period=periods.label(month),
        usage=result,
        chart=chart,
    )
