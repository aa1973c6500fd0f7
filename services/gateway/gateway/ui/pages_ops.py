"""Operations pages: the mirrored inventory (both roles; a tenant sees its own), one resource
with its history, project and resource classification, the drift inbox and the run log (admin).

Every figure comes from the API as the signed-in user sees it; every change is a CSRF-checked
POST that calls the API and redirects back with what it answered as the flash message, so a
refusal (409, 422) reads as a message, never as an error page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Response
from starlette.datastructures import FormData

from gateway.ui.backend import ApiResult
from gateway.ui.framework import (
    AdminViewer,
    AnyViewer,
    BadInput,
    PageNotFound,
    Viewer,
    page_router,
    url_with,
)

router = page_router()

# Suggestions for the kind and status filters; the inventory API validates what is sent and
# names every value it knows when it refuses one.
KIND_HINTS = (
    "app",
    "dns_zone",
    "droplet",
    "droplet_backup",
    "firewall",
    "floating_ip",
    "k8s_cluster",
    "load_balancer",
    "managed_db",
    "snapshot",
    "spaces_bucket",
    "volume",
    "vpc",
)
STATUS_HINTS = ("active", "off", "new", "attached", "detached", "assigned", "unassigned")
ATTRIBUTION = ("", "attributed", "unattributed")
PURPOSES = ("tenant", "internal", "shared")
DRIFT_STATUSES = ("open", "accepted", "reverted", "stale", "all")
# where an accept may send the admin back to: the inbox, filtered or not
DRIFT_PAGES = frozenset(("/ui/drift", *(f"/ui/drift?status={s}" for s in DRIFT_STATUSES)))
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_REASON = 2000


# --- shared helpers ----------------------------------------------------------------------------


def _uuid_or_404(value: str, what: str) -> str:
    try:
        return str(UUID(value))
    except ValueError as exc:
        raise PageNotFound(f"{what} was not found.") from exc


def _page_size(limit: int | None) -> int:
    if limit is None:
        return PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise BadInput(f"Show between 1 and {MAX_PAGE_SIZE} rows per page.")
    return limit


def _refusal(result: ApiResult) -> str | None:
    """The API's reason for refusing a filter (bad input), shown above the form; None when the
    answer is something a page cannot show at all (left to `Viewer.require`)."""
    if result.status in (400, 422):
        return _problem_text(result)
    return None


def _problem_text(result: ApiResult) -> str:
    """The problem detail as one readable line, also for FastAPI's list of field errors."""
    data = result.data
    if isinstance(data, dict):
        errors = data.get("errors") or data.get("detail")
        if isinstance(errors, list):
            parts = []
            for error in errors:
                if isinstance(error, dict):
                    where = error.get("loc") or []
                    field = where[-1] if isinstance(where, list) and where else ""
                    parts.append(f"{field}: {error.get('msg', '')}".strip(": "))
            if parts:
                return "; ".join(parts)
    return result.detail


def _uuid_field(form: FormData, name: str) -> UUID | None:
    """A picker's value: empty clears, anything else must be an id."""
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return UUID(value.strip())
    except ValueError as exc:
        raise BadInput(f"The {name.replace('_', ' ')} is not an id.") from exc


@dataclass(frozen=True, slots=True)
class Registry:
    """The customer registry as the viewer sees it: names for ids, and the pickers' options."""

    tenants: dict[str, str]
    deployments: dict[str, dict[str, Any]]

    def tenant_name(self, tenant_id: Any) -> str | None:
        return self.tenants.get(str(tenant_id)) if tenant_id else None

    def deployment_name(self, deployment_id: Any) -> str | None:
        found = self.deployments.get(str(deployment_id)) if deployment_id else None
        return str(found.get("name")) if found else None

    def deployments_by_tenant(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Deployment options grouped under their tenant's name, both sorted by name."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for deployment in self.deployments.values():
            tenant = self.tenant_name(deployment.get("tenant_id")) or str(
                deployment.get("tenant_id")
            )
            groups.setdefault(tenant, []).append(deployment)
        return [
            (tenant, sorted(items, key=lambda d: str(d.get("name"))))
            for tenant, items in sorted(groups.items())
        ]


async def _registry(viewer: Viewer) -> Registry:
    tenants = await viewer.api.all_items("/api/v1/tenants")
    deployments = await viewer.api.all_items("/api/v1/deployments", {"include_removed": True})
    return Registry(
        tenants={str(t.get("id")): str(t.get("name")) for t in tenants.items},
        deployments={str(d.get("id")): d for d in deployments.items if isinstance(d, dict)},
    )


async def _project_names(viewer: Viewer) -> dict[str, dict[str, Any]]:
    projects = await viewer.api.all_items("/api/v1/projects")
    return {str(p.get("id")): p for p in projects.items if isinstance(p, dict)}


def shown_value(value: Any) -> str:
    """A JSON value from the API as text: strings as they are, everything else as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def event_details(
    data: Any, registry: Registry, projects: dict[str, dict[str, Any]]
) -> list[tuple[str, str]]:
    """An event's data as (key, text) pairs: a change `{"old", "new"}` as `old → new`, and the
    ids of tenants, deployments and projects by their names where the viewer may see them."""
    if not isinstance(data, dict):
        return []

    def named(key: str, value: Any) -> str:
        if value is not None and key == "tenant_id":
            return registry.tenant_name(value) or shown_value(value)
        if value is not None and key == "deployment_id":
            return registry.deployment_name(value) or shown_value(value)
        if value is not None and key == "project_id" and str(value) in projects:
            return str(projects[str(value)].get("name"))
        return shown_value(value)

    details = []
    for key, value in sorted(data.items()):
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            text = f"{named(key, value['old'])} → {named(key, value['new'])}"
        else:
            text = named(key, value)
        details.append((str(key), text))
    return details


# --- inventory ---------------------------------------------------------------------------------


@router.get("/ui/inventory")
async def inventory(
    viewer: AnyViewer,
    kind: str = "",
    status: str = "",
    tenant: str = "",
    deployment: str = "",
    project: str = "",
    attribution: str = "",
    include_deleted: str = "",
    q: str = "",
    cursor: str = "",
    limit: int | None = None,
) -> Response:
    if attribution not in ATTRIBUTION:
        raise BadInput("Filter by attributed or unattributed.")
    size = _page_size(limit)
    deleted = include_deleted in ("true", "on", "1")
    filters: dict[str, str] = {
        "kind": kind.strip(),
        "status": status.strip(),
        # a tenant sees only its own: the API scopes it, and the page does not offer the filter
        "tenant": tenant.strip() if viewer.is_admin else "",
        "deployment": deployment.strip(),
        "project": project.strip(),
        "attribution": attribution if viewer.is_admin else "",
        "include_deleted": "true" if deleted else "",
        "q": q.strip(),
    }
    result = await viewer.api.get(
        "/api/v1/inventory",
        {
            "kind": filters["kind"],
            "status": filters["status"],
            "tenant": filters["tenant"],
            "deployment": filters["deployment"],
            "project": filters["project"],
            "unattributed": {"attributed": False, "unattributed": True}.get(filters["attribution"]),
            "include_deleted": deleted or None,
            "q": filters["q"],
            "cursor": cursor,
            "limit": size,
        },
    )
    error = _refusal(result)
    if error is None:
        viewer.require(result)
    registry = await _registry(viewer)
    projects = await _project_names(viewer)
    keep = {k: v for k, v in filters.items() if v}
    if limit is not None:
        keep["limit"] = str(size)
    next_url = (
        url_with("/ui/inventory", **keep, cursor=result.next_cursor)
        if result.next_cursor and error is None
        else None
    )
    return viewer.render(
        "ops_inventory.html",
        status_code=400 if error else 200,
        error=error,
        resources=result.items if error is None else [],
        filters=filters,
        registry=registry,
        projects=projects,
        kinds=KIND_HINTS,
        statuses=STATUS_HINTS,
        attributions=ATTRIBUTION,
        next_url=next_url,
        first_url=url_with("/ui/inventory", **keep) if cursor else None,
    )


@router.get("/ui/inventory/{resource_id}")
async def inventory_item(viewer: AnyViewer, resource_id: str) -> Response:
    rid = _uuid_or_404(resource_id, "That resource")
    detail: dict[str, Any] = viewer.require(
        await viewer.api.get(f"/api/v1/inventory/{rid}"), "That resource"
    ).data
    registry = await _registry(viewer)
    projects = await _project_names(viewer)
    project = projects.get(str(detail.get("project_id"))) if detail.get("project_id") else None
    events = [
        {
            "id": event.get("id"),
            "type": event.get("type"),
            "occurred_at": event.get("occurred_at"),
            "data": event_details(event.get("data"), registry, projects),
        }
        for event in reversed(detail.get("events", []))
        if isinstance(event, dict)
    ]
    attrs = detail.get("attrs") or {}
    return viewer.render(
        "ops_resource.html",
        resource=detail,
        events=events,
        attrs=[(str(k), shown_value(v)) for k, v in sorted(attrs.items())],
        project=project,
        # a resource in a classified project takes its project's classification
        inherited=bool(project and (project.get("tenant_id") or project.get("deployment_id"))),
        registry=registry,
    )


@router.post("/ui/inventory/{resource_id}/classify")
async def classify_resource(viewer: AdminViewer, resource_id: str) -> Response:
    rid = _uuid_or_404(resource_id, "That resource")
    form = await viewer.form()
    back = f"/ui/inventory/{rid}"
    try:
        body = {
            "tenant_id": _str_or_none(_uuid_field(form, "tenant_id")),
            "deployment_id": _str_or_none(_uuid_field(form, "deployment_id")),
        }
    except BadInput as exc:
        return viewer.redirect(back, flash=exc.message)
    result = await viewer.api.request("PATCH", f"/api/v1/inventory/{rid}", json=body)
    if result.ok:
        return viewer.redirect(back, flash="Resource classification saved.")
    return viewer.redirect(back, flash=f"Not saved: {_problem_text(result)}")


def _str_or_none(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


# --- projects ----------------------------------------------------------------------------------


@router.get("/ui/projects")
async def projects(viewer: AdminViewer, cursor: str = "", limit: int | None = None) -> Response:
    size = _page_size(limit)
    result = viewer.require(
        await viewer.api.get("/api/v1/projects", {"cursor": cursor, "limit": size})
    )
    registry = await _registry(viewer)
    keep = {"limit": str(size)} if limit is not None else {}
    return viewer.render(
        "ops_projects.html",
        projects=result.items,
        registry=registry,
        purposes=PURPOSES,
        next_url=url_with("/ui/projects", **keep, cursor=result.next_cursor)
        if result.next_cursor
        else None,
        first_url=url_with("/ui/projects", **keep) if cursor else None,
    )


@router.post("/ui/projects/{project_id}/classify")
async def classify_project(viewer: AdminViewer, project_id: str) -> Response:
    pid = _uuid_or_404(project_id, "That project")
    form = await viewer.form()
    back = f"/ui/projects#project-{pid}"
    purpose = form.get("purpose")
    purpose = purpose.strip() if isinstance(purpose, str) else ""
    if purpose and purpose not in PURPOSES:
        return viewer.redirect(
            back, flash=f"Not saved: the purpose is one of {', '.join(PURPOSES)}."
        )
    try:
        body = {
            "tenant_id": _str_or_none(_uuid_field(form, "tenant_id")),
            "deployment_id": _str_or_none(_uuid_field(form, "deployment_id")),
            "purpose": purpose or None,
        }
    except BadInput as exc:
        return viewer.redirect(back, flash=exc.message)
    result = await viewer.api.request("PATCH", f"/api/v1/projects/{pid}", json=body)
    if result.ok:
        name = result.data.get("name") if isinstance(result.data, dict) else None
        return viewer.redirect(back, flash=f"Project {name or pid} classified.")
    return viewer.redirect(back, flash=f"Not saved: {_problem_text(result)}")


# --- drift -------------------------------------------------------------------------------------


@router.get("/ui/drift")
async def drift(
    viewer: AdminViewer, status: str = "open", cursor: str = "", limit: int | None = None
) -> Response:
    if status not in DRIFT_STATUSES:
        raise BadInput(f"Show drift that is {', '.join(DRIFT_STATUSES)}.")
    size = _page_size(limit)
    result = viewer.require(
        await viewer.api.get("/api/v1/drift", {"status": status, "cursor": cursor, "limit": size})
    )
    rows = [
        item
        | {
            "expected_text": shown_value(item.get("expected")),
            "actual_text": shown_value(item.get("actual")),
        }
        for item in result.items
        if isinstance(item, dict)
    ]
    keep = {"status": status}
    if limit is not None:
        keep["limit"] = str(size)
    return viewer.render(
        "ops_drift.html",
        drifts=rows,
        status=status,
        statuses=DRIFT_STATUSES,
        next_url=url_with("/ui/drift", **keep, cursor=result.next_cursor)
        if result.next_cursor
        else None,
        first_url=url_with("/ui/drift", **keep) if cursor else None,
    )


@router.post("/ui/drift/{drift_id}/accept")
async def accept_drift(viewer: AdminViewer, drift_id: str) -> Response:
    did = _uuid_or_404(drift_id, "That drift")
    form = await viewer.form()
    sent_back = form.get("back")
    back = sent_back if isinstance(sent_back, str) and sent_back in DRIFT_PAGES else "/ui/drift"
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        return viewer.redirect(back, flash="Not accepted: say why the live value is right.")
    if len(reason) > MAX_REASON:
        return viewer.redirect(
            back, flash=f"Not accepted: keep the reason under {MAX_REASON} characters."
        )
    result = await viewer.api.post(f"/api/v1/drift/{did}/accept", json={"reason": reason})
    if result.ok:
        data = result.data if isinstance(result.data, dict) else {}
        what = " ".join(str(data[k]) for k in ("name", "field") if data.get(k))
        return viewer.redirect(
            back, flash=f"Accepted the live value{' of ' + what if what else ''}."
        )
    return viewer.redirect(back, flash=f"Not accepted: {_problem_text(result)}")


# --- runs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceRuns:
    service: str
    runs: list[dict[str, Any]]
    recorded: bool  # False: the service answered that it keeps no run log
    error: str | None = None


def latest_runs(items: list[Any]) -> list[dict[str, Any]]:
    """The latest run of each name, in the API's order (it lists those first)."""
    seen: set[str] = set()
    latest: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name"))
        if name in seen or item.get("latest") is False:
            continue
        seen.add(name)
        latest.append(
            item | {"duration": duration(item.get("started_at"), item.get("finished_at"))}
        )
    return latest


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def duration(started_at: Any, finished_at: Any) -> str:
    """How long a run took, for reading: `850 ms`, `12.4 s`, `3 min 05 s`, `1 h 02 min`."""
    start, end = _instant(started_at), _instant(finished_at)
    if start is None or end is None:
        return "—"
    seconds = (end - start).total_seconds()
    if seconds < 0:
        return "—"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@router.get("/ui/runs")
async def runs(viewer: AdminViewer) -> Response:
    services: list[ServiceRuns] = []
    # the services the gateway routes a run log for; one that has none yet shows "no run recorded"
    for service in viewer.request.app.state.ui_run_logs:
        result = await viewer.api.get(f"/api/v1/runs/{quote(service)}", {"limit": 200})
        if result.status == 404:
            services.append(ServiceRuns(service, [], recorded=False))
        elif not result.ok:
            services.append(ServiceRuns(service, [], recorded=False, error=result.detail))
        else:
            services.append(ServiceRuns(service, latest_runs(result.items), recorded=True))
    return viewer.render("ops_runs.html", services=services)
