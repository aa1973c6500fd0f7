"""A stand-in for the finance service's cloud-invoice import, for tests and the demo.

    app = create_finance_app("shared-secret")
    POST /api/v1/integrations/cloud/import-invoice   (Bearer: HS256 JWT signed with the secret)

The token must verify with the secret, carry `exp`, a `tenant_id` and `"admin"` in `roles`
(401 / 403 otherwise). Invoices are deduplicated on (tenant, source, external_id): the first
import answers `{"action": "created", "id": ...}`, every later one `{"action": "updated", "id":
<the same id>}` and replaces the stored body. `app.state.finance` holds the records; set its
`failures` to make the next N imports answer 503 (a finance outage).
`GET /api/v1/integrations/cloud/invoices` lists what was imported.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

IMPORT_PATH = "/api/v1/integrations/cloud/import-invoice"
REQUIRED = (
    "source",
    "external_id",
    "period",
    "currency",
    "amount_net_minor",
    "amount_tax_minor",
    "vendor",
    "lines",
)


@dataclass
class FinanceRecord:
    id: str
    tenant_id: str
    source: str
    external_id: str
    body: dict[str, Any]
    imports: int = 1


@dataclass
class FinanceState:
    secret: str
    records: dict[tuple[str, str, str], FinanceRecord] = field(default_factory=dict)
    failures: int = 0  # the next N imports answer 503
    requests: int = 0

    def find(self, external_id: str) -> FinanceRecord | None:
        return next((r for r in self.records.values() if r.external_id == external_id), None)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_finance_app(secret: str) -> FastAPI:
    app = FastAPI(title="Finance stand-in", docs_url=None, redoc_url=None, openapi_url=None)
    state = FinanceState(secret)
    app.state.finance = state

    @app.post(IMPORT_PATH)
    async def import_invoice(request: Request) -> JSONResponse:
        state.requests += 1
        if state.failures > 0:
            state.failures -= 1
            return _error(503, "finance is unavailable")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _error(401, "missing bearer token")
        try:
            claims = jwt.decode(
                token, state.secret, algorithms=["HS256"], options={"require": ["exp"]}
            )
        except jwt.PyJWTError as exc:
            return _error(401, f"invalid token: {exc}")
        tenant = claims.get("tenant_id")
        roles = claims.get("roles")
        if not isinstance(tenant, str) or not tenant:
            return _error(403, "the token carries no tenant_id")
        if not isinstance(roles, list) or "admin" not in roles:
            return _error(403, "importing invoices needs the admin role")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _error(422, "the body must be an object")
        missing = [name for name in REQUIRED if name not in body]
        if missing:
            return _error(422, f"missing: {', '.join(missing)}")
        key = (tenant, str(body["source"]), str(body["external_id"]))
        record = state.records.get(key)
        if record is None:
            record = FinanceRecord(str(uuid.uuid4()), tenant, key[1], key[2], body)
            state.records[key] = record
            return JSONResponse({"action": "created", "id": record.id}, status_code=201)
        record.body = body
        record.imports += 1
        return JSONResponse({"action": "updated", "id": record.id})

    @app.get("/api/v1/integrations/cloud/invoices")
    async def list_invoices() -> JSONResponse:
        return JSONResponse(
            {
                "invoices": [
                    {
                        "id": r.id,
                        "tenant_id": r.tenant_id,
                        "source": r.source,
                        "external_id": r.external_id,
                        "imports": r.imports,
                        "amount_net_minor": r.body.get("amount_net_minor"),
                        "amount_tax_minor": r.body.get("amount_tax_minor"),
                        "period": r.body.get("period"),
                    }
                    for r in state.records.values()
                ]
            }
        )

    return app
