"""Invoice documents over HTTP on PostgreSQL: the PDF kept at issue and served unchanged, the
web fragment, and scoping (a tenant gets its own; another tenant's is 404, never 403)."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
from pypdf import PdfReader
from sqlalchemy import select

from arcadia_core.auth import Principal
from invoicing.adapters.tables import tenant_invoice_documents
from invoicing.bootstrap import Invoicing
from invoicing.usecases.invoices import transition

ADMIN = Principal.platform_admin()
APRIL_DAYS = [date(2026, 4, 1) + timedelta(days=n) for n in range(30)]


async def april_invoices(api: httpx.AsyncClient, auth: Any) -> dict[str, str]:
    rolled = await api.post(
        "/api/v1/invoices/rollup", json={"period": "2026-04"}, headers=auth(ADMIN)
    )
    assert rolled.status_code == 200, rolled.text
    listed = (await api.get("/api/v1/invoices", headers=auth(ADMIN))).json()["items"]
    return {i["tenant_id"]: i["id"] for i in listed}


async def stored(service: Invoicing, invoice_id: str) -> list[Any]:
    async with service.sessions() as session:
        rows = await session.execute(
            select(tenant_invoice_documents).where(
                tenant_invoice_documents.c.invoice_id == UUID(invoice_id)
            )
        )
        return list(rows.mappings())


async def test_a_tenant_gets_its_own_pdf_kept_from_issue(
    service: Invoicing, api: httpx.AsyncClient, feed: Any, pilot: Any, auth: Any
) -> None:
    mine_t, mine_d = await pilot("mine", "p-mine")
    other_t, _ = await pilot("other", "p-other")
    for day in APRIL_DAYS:  # the seeds' April: 72 droplet hours a day
        await feed(mine_d, mine_t, day, {"droplet_hours": Decimal(72)})
    invoices = await april_invoices(api, auth)
    mine, other = invoices[str(mine_t)], invoices[str(other_t)]
    me, them = auth(Principal.tenant(mine_t)), auth(Principal.tenant(other_t))

    # a draft has no PDF yet
    draft = await api.get(f"/api/v1/invoices/{mine}/pdf", headers=me)
    assert draft.status_code == 409
    assert draft.headers["content-type"] == "application/problem+json"
    assert "not issued" in draft.json()["detail"]

    issued = await api.post(f"/api/v1/invoices/{mine}/issue", headers=auth(ADMIN))
    assert issued.status_code == 200 and issued.json()["number"] == "INV-2026-000001"
    [row] = await stored(service, mine)  # written with the issue

    got = await api.get(f"/api/v1/invoices/{mine}/pdf", headers=me)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == 'attachment; filename="INV-2026-000001.pdf"'
    digest = hashlib.sha256(got.content).hexdigest()
    assert got.headers["x-content-sha256"] == digest == row["sha256"]
    assert got.headers["etag"] == f'"{digest}"'
    assert "private" in got.headers["cache-control"]
    assert got.content == row["pdf"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(got.content)).pages)
    for figure in ("INV-2026-000001", "mine", "Subtotal $64.22", "GST 10% $6.42", "$70.64"):
        assert figure in text, (figure, text)

    # served unchanged: again, by the admin, after payment; a matching ETag answers 304
    assert (await api.post(f"/api/v1/invoices/{mine}/pay", headers=auth(ADMIN))).status_code == 200
    again = await api.get(f"/api/v1/invoices/{mine}/pdf", headers=auth(ADMIN))
    assert again.content == got.content and again.headers["etag"] == got.headers["etag"]
    cached = await api.get(
        f"/api/v1/invoices/{mine}/pdf", headers={**me, "If-None-Match": got.headers["etag"]}
    )
    assert cached.status_code == 304 and cached.content == b""
    assert await stored(service, mine) == [row]

    # another tenant's invoice, draft or issued, and an unknown id: 404, never 403
    for path in (f"{other}/pdf", f"{other}/document", f"{uuid4()}/pdf", f"{uuid4()}/document"):
        response = await api.get(f"/api/v1/invoices/{path}", headers=me)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await api.post(f"/api/v1/invoices/{other}/issue", headers=auth(ADMIN))).is_success
    for path in (f"{other}/pdf", f"{other}/document"):
        assert (await api.get(f"/api/v1/invoices/{path}", headers=me)).status_code == 404
        assert (await api.get(f"/api/v1/invoices/{path}", headers=them)).status_code == 200
    assert (await api.get(f"/api/v1/invoices/{mine}/pdf", headers=them)).status_code == 404
    assert (await api.get(f"/api/v1/invoices/{mine}/pdf")).status_code == 401
    assert (await api.get(f"/api/v1/invoices/{mine}/document")).status_code == 401
    assert (await api.get("/api/v1/invoices/not-a-uuid/pdf", headers=me)).status_code == 422


async def test_the_web_document_renders_any_status(
    api: httpx.AsyncClient, pilot: Any, auth: Any
) -> None:
    tenant_id, _ = await pilot("pilot", "pilot-tenant")
    invoice_id = (await april_invoices(api, auth))[str(tenant_id)]
    me = auth(Principal.tenant(tenant_id))

    draft = await api.get(f"/api/v1/invoices/{invoice_id}/document", headers=me)
    assert draft.status_code == 200
    assert draft.headers["content-type"] == "text/html; charset=utf-8"
    assert draft.text.startswith('<article class="arcadia-invoice arcadia-invoice--draft"')
    assert ">DRAFT<" in draft.text and "$57.50" in draft.text  # no usage metered: base + add-on

    await api.post(f"/api/v1/invoices/{invoice_id}/issue", headers=auth(ADMIN))
    issued = await api.get(f"/api/v1/invoices/{invoice_id}/document", headers=me)
    assert "DRAFT" not in issued.text and "INV-2026-000001" in issued.text

    # voided before issue: a web document, but no PDF
    other_id, _ = await pilot("later", "later-tenant")
    later = (await april_invoices(api, auth))[str(other_id)]
    await api.post(f"/api/v1/invoices/{later}/void", headers=auth(ADMIN))
    voided = await api.get(f"/api/v1/invoices/{later}/document", headers=auth(ADMIN))
    assert voided.status_code == 200 and ">VOID<" in voided.text
    refused = await api.get(f"/api/v1/invoices/{later}/pdf", headers=auth(ADMIN))
    assert refused.status_code == 409 and "not issued" in refused.json()["detail"]


async def test_an_invoice_issued_before_documents_gets_its_pdf_on_first_request(
    service: Invoicing, api: httpx.AsyncClient, pilot: Any, auth: Any
) -> None:
    tenant_id, _ = await pilot()
    invoice_id = (await april_invoices(api, auth))[str(tenant_id)]
    # issued the way it was before documents existed: no renderer, so nothing stored
    await transition(UUID(invoice_id), "issue", uow=service.uow, clock=service.clock)
    assert await stored(service, invoice_id) == []

    me = auth(Principal.tenant(tenant_id))
    first = await api.get(f"/api/v1/invoices/{invoice_id}/pdf", headers=me)
    assert first.status_code == 200 and first.content.startswith(b"%PDF-")
    [row] = await stored(service, invoice_id)
    assert row["pdf"] == first.content and row["rendered_at"] == service.clock()
    assert row["template_version"] == service.renderer.template_version
    second = await api.get(f"/api/v1/invoices/{invoice_id}/pdf", headers=me)
    assert second.content == first.content
    assert second.headers["x-content-sha256"] == first.headers["x-content-sha256"]
