"""``/v2/projects`` and their resources; ``default`` stands for the default project.

Create needs ``name`` and ``purpose``, answers 201, never makes a default project, keeps
names unique (409) and stores undocumented purposes as ``"Other: <value>"``. Deleting a
project that still has resources answers 412, as does moving a reserved IP that is
attached to a droplet.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from do_sandbox import timestamps
from do_sandbox.account import Account, Json
from do_sandbox.deps import CurrentAccount
from do_sandbox.errors import ApiError, not_found
from do_sandbox.paging import Paging, envelope
from do_sandbox.urns import URN_COLLECTIONS, self_path, split_urn

router = APIRouter(prefix="/v2/projects")

PURPOSES = frozenset(
    {
        "Just trying out DigitalOcean",
        "Class project / Educational purposes",
        "Website or blog",
        "Web Application",
        "Service or API",
        "Mobile Application",
        "Machine learning / AI / Data processing",
        "IoT",
        "Operational / Developer tooling",
    }
)
ENVIRONMENTS = frozenset({"Development", "Staging", "Production"})
_EDITABLE = ("name", "description", "purpose", "environment")
_MAX_LENGTHS = {"name": 175, "description": 255, "purpose": 255}


def _project_or_404(account: Account, project_id: str) -> Json:
    project = account.project(project_id)
    if project is None:
        raise not_found()
    return project


@router.get("")
async def list_projects(request: Request, account: CurrentAccount, paging: Paging) -> JSONResponse:
    projects = account.items("projects")
    return JSONResponse(envelope(request, "projects", projects, paging, single_page_links=True))


@router.post("")
async def create_project(
    account: CurrentAccount, body: dict[str, Any] = Body(default_factory=dict)
) -> JSONResponse:
    fields = _validated(body)
    if any(p["name"] == fields["name"] for p in account.items("projects")):
        raise ApiError(409, "conflict", f"a project named {fields['name']!r} already exists")
    default = account.project("default") or {}
    created_at = timestamps.now()
    project = {
        "id": str(uuid4()),
        "owner_uuid": default.get("owner_uuid", ""),
        "owner_id": default.get("owner_id", 0),
        "name": fields["name"],
        "description": fields.get("description", ""),
        "purpose": _stored_purpose(fields["purpose"]),
        "environment": fields.get("environment", ""),
        "created_at": created_at,
        "updated_at": created_at,
        "is_default": False,
    }
    account.put("projects", project)
    return JSONResponse({"project": project}, status_code=201)


@router.get("/{project_id}")
async def get_project(project_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"project": _project_or_404(account, project_id)})


@router.delete("/{project_id}")
async def delete_project(project_id: str, account: CurrentAccount) -> Response:
    project = _project_or_404(account, project_id)
    if project["is_default"]:
        raise ApiError(400, "bad_request", "cannot delete the default project")
    if account.resources_of(project["id"]):
        raise ApiError(
            412,
            "precondition_failed",
            "cannot delete a project with resources. move or remove the resources first",
        )
    account.remove("projects", project["id"])
    return Response(status_code=204)


@router.get("/{project_id}/resources")
async def list_resources(
    request: Request, project_id: str, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    project = _project_or_404(account, project_id)
    base = str(request.base_url).rstrip("/")
    resources = [
        _resource(base, urn, assigned_at, "ok")
        for urn, assigned_at in account.resources_of(project["id"]).items()
    ]
    return JSONResponse(envelope(request, "resources", resources, paging, single_page_links=True))


@router.post("/{project_id}/resources")
async def assign_resources(
    request: Request,
    project_id: str,
    account: CurrentAccount,
    body: dict[str, Any] = Body(default_factory=dict),
) -> JSONResponse:
    project = _project_or_404(account, project_id)
    urns = body.get("resources")
    if not isinstance(urns, list) or not urns or not all(isinstance(u, str) for u in urns):
        raise ApiError(400, "bad_request", "resources must be a non-empty list of URNs")
    for urn in urns:
        _check_assignable(account, urn)
    base = str(request.base_url).rstrip("/")
    assigned = []
    for urn in urns:
        if _exists(account, urn):
            account.assign(project["id"], urn)
            status = "assigned"
        else:
            status = "not_found"
        assigned.append(_resource(base, urn, account.resources_of(project["id"]).get(urn), status))
    return JSONResponse({"resources": assigned})


def _validated(body: dict[str, Any]) -> dict[str, str]:
    for required in ("name", "purpose"):
        if not isinstance(body.get(required), str) or not body[required].strip():
            raise ApiError(422, "unprocessable_entity", f"{required} is required")
    fields = {k: v for k, v in body.items() if k in _EDITABLE}
    for name, value in fields.items():
        if not isinstance(value, str):
            raise ApiError(400, "bad_request", f"{name} must be a string")
        if len(value) > _MAX_LENGTHS.get(name, len(value)):
            raise ApiError(422, "unprocessable_entity", f"{name} is too long")
    if "environment" in fields and fields["environment"] not in ENVIRONMENTS:
        raise ApiError(
            422, "unprocessable_entity", f"environment must be one of {sorted(ENVIRONMENTS)}"
        )
    return fields


def _stored_purpose(purpose: str) -> str:
    return purpose if purpose in PURPOSES else f"Other: {purpose}"


def _check_assignable(account: Account, urn: str) -> None:
    try:
        kind, ident = split_urn(urn)
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc
    if kind == "floatingip":
        reserved_ip = account.get("reserved_ips", ident)
        if reserved_ip is not None and reserved_ip.get("droplet"):
            raise ApiError(
                412,
                "precondition_failed",
                "Cannot move a Reserved IP with an associated Droplet.",
            )


def _exists(account: Account, urn: str) -> bool:
    """Kinds the sandbox lists must exist; URN-only kinds (spaces, databases...) always do."""
    kind, ident = split_urn(urn)
    collection = URN_COLLECTIONS.get(kind)
    return collection is None or account.get(collection, ident) is not None


def _resource(base: str, urn: str, assigned_at: str | None, status: str) -> Json:
    return {
        "urn": urn,
        "assigned_at": assigned_at,
        "links": {"self": f"{base}{self_path(urn)}"},
        "status": status,
    }
