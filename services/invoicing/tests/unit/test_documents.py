"""Invoice documents as use cases on the in-memory adapters, with the real renderer: the PDF is
rendered once (at issue, or on first request for an invoice issued without one) and served
unchanged; a draft has none; a failed render issues nothing."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from arcadia_core.events import TenantInvoiceIssued
from invoicing.adapters.documents import DocumentRenderer, RenderError
from invoicing.documents import DOCUMENTS_DIR
from invoicing.domain.documents import NotIssued
from invoicing.domain.lifecycle import IllegalTransition
from invoicing.domain.model import Deployment, Invoice, Tenant
from invoicing.usecases.documents import invoice_html, invoice_pdf
from invoicing.usecases.invoices import transition

if TYPE_CHECKING:  # the fixture's type only: conftest modules are not imported by name
    from conftest import April


class Counting:
    """The real renderer, counting PDF renders and keeping what each was asked to show."""

    def __init__(self, renderer: DocumentRenderer) -> None:
        self.renderer = renderer
        self.rendered: list[Invoice] = []

    @property
    def template_version(self) -> str:
        return self.renderer.template_version

    def render_html(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> str:
        return self.renderer.render_html(invoice, tenant, deployments)

    def render_pdf(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> bytes:
        self.rendered.append(invoice)
        return self.renderer.render_pdf(invoice, tenant, deployments)


@pytest.fixture
def counting(renderer: DocumentRenderer) -> Counting:
    return Counting(renderer)


async def test_issue_keeps_the_pdf_and_every_request_gets_the_same_bytes(
    april: April, counting: Counting
) -> None:
    store, clock = april.store, april.clock
    clock.tick()
    issued = await transition(
        april.invoice_id, "issue", uow=store.uow, clock=clock, renderer=counting
    )
    assert issued.number == "INV-2026-000001"
    stored = store.state.documents[april.invoice_id]
    assert stored.pdf.startswith(b"%PDF-")
    assert stored.sha256 == hashlib.sha256(stored.pdf).hexdigest()
    assert stored.template_version == counting.template_version
    assert stored.rendered_at == issued.issued_at == clock()
    [shown] = counting.rendered
    assert (shown.status, shown.number) == ("issued", "INV-2026-000001")

    clock.tick()
    first_invoice, first = await invoice_pdf(
        april.invoice_id, uow=store.uow, renderer=counting, clock=clock
    )
    _, second = await invoice_pdf(april.invoice_id, uow=store.uow, renderer=counting, clock=clock)
    assert first_invoice.number == "INV-2026-000001"
    assert first == second == stored  # same bytes, same digest, same rendering time
    assert len(counting.rendered) == 1

    # issued once: a second issue is refused and changes neither the invoice nor its document
    with pytest.raises(IllegalTransition):
        await transition(april.invoice_id, "issue", uow=store.uow, clock=clock, renderer=counting)
    paid = await transition(april.invoice_id, "pay", uow=store.uow, clock=clock, renderer=counting)
    assert paid.status == "paid"
    _, after_payment = await invoice_pdf(
        april.invoice_id, uow=store.uow, renderer=counting, clock=clock
    )
    assert after_payment == stored
    assert len(counting.rendered) == 1
    assert len(store.events_of(TenantInvoiceIssued.EVENT_TYPE)) == 1
    assert store.state.sequences == {2026: 1}


async def test_a_draft_or_an_invoice_voided_before_issue_has_no_pdf(
    april: April, counting: Counting
) -> None:
    store, clock = april.store, april.clock
    with pytest.raises(NotIssued, match="not issued"):
        await invoice_pdf(april.invoice_id, uow=store.uow, renderer=counting, clock=clock)
    await transition(april.invoice_id, "void", uow=store.uow, clock=clock, renderer=counting)
    with pytest.raises(NotIssued):
        await invoice_pdf(april.invoice_id, uow=store.uow, renderer=counting, clock=clock)
    assert counting.rendered == [] and store.state.documents == {}

    # ...but its web document renders, whatever the status, from the current data
    invoice, html = await invoice_html(april.invoice_id, uow=store.uow, renderer=counting)
    assert invoice.status == "void" and ">VOID<" in html and "Not issued yet" in html


async def test_a_voided_issued_invoice_keeps_its_pdf(april: April, counting: Counting) -> None:
    store, clock = april.store, april.clock
    await transition(april.invoice_id, "issue", uow=store.uow, clock=clock, renderer=counting)
    kept = store.state.documents[april.invoice_id]
    clock.tick()
    await transition(april.invoice_id, "void", uow=store.uow, clock=clock, renderer=counting)
    invoice, served = await invoice_pdf(
        april.invoice_id, uow=store.uow, renderer=counting, clock=clock
    )
    assert invoice.status == "void" and served == kept


async def test_an_invoice_issued_without_a_document_gets_it_on_first_request(
    april: April, counting: Counting
) -> None:
    store, clock = april.store, april.clock
    # issued before documents existed (or by a caller that passes no renderer), then paid
    await transition(april.invoice_id, "issue", uow=store.uow, clock=clock)
    issued_at = clock()
    clock.tick()
    await transition(april.invoice_id, "pay", uow=store.uow, clock=clock)
    assert store.state.documents == {}

    clock.tick()
    _, first = await invoice_pdf(april.invoice_id, uow=store.uow, renderer=counting, clock=clock)
    assert store.state.documents[april.invoice_id] == first
    assert first.rendered_at == clock() and first.sha256 == hashlib.sha256(first.pdf).hexdigest()
    # the document shows the invoice as it was issued, not its later payment
    [shown] = counting.rendered
    assert (shown.status, shown.issued_at, shown.paid_at) == ("issued", issued_at, None)

    clock.tick()
    _, again = await invoice_pdf(april.invoice_id, uow=store.uow, renderer=counting, clock=clock)
    assert again == first and len(counting.rendered) == 1


async def test_two_first_requests_racing_both_serve_the_first_stored(
    april: April, renderer: DocumentRenderer
) -> None:
    store, clock = april.store, april.clock
    await transition(april.invoice_id, "issue", uow=store.uow, clock=clock)
    _, winner = await invoice_pdf(april.invoice_id, uow=store.uow, renderer=renderer, clock=clock)
    del store.state.documents[april.invoice_id]

    class CommittedMeanwhile(Counting):
        """Another request stores its rendering while this one renders."""

        def render_pdf(
            self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
        ) -> bytes:
            store.state.documents[invoice.id] = winner
            return super().render_pdf(invoice, tenant, deployments) + b"%% the later one\n"

    loser = CommittedMeanwhile(renderer)
    clock.tick()
    _, served = await invoice_pdf(april.invoice_id, uow=store.uow, renderer=loser, clock=clock)
    assert len(loser.rendered) == 1
    assert served == winner and store.state.documents[april.invoice_id] == winner


async def test_a_failed_render_issues_nothing(
    april: April, counting: Counting, tmp_path: Path
) -> None:
    broken = tmp_path / "documents"
    shutil.copytree(DOCUMENTS_DIR, broken)
    (broken / "fonts" / "DejaVuSans-Bold.ttf").unlink()
    store, clock = april.store, april.clock
    with pytest.raises(RenderError, match=r"DejaVuSans-Bold\.ttf"):
        await transition(
            april.invoice_id,
            "issue",
            uow=store.uow,
            clock=clock,
            renderer=DocumentRenderer(broken),
        )
    invoice = store.state.invoices[april.invoice_id]
    assert (invoice.status, invoice.number) == ("draft", None)
    assert store.state.documents == {} and store.state.sequences == {}
    assert store.events_of(TenantInvoiceIssued.EVENT_TYPE) == []

    # the number it did not take goes to the next issue
    issued = await transition(
        april.invoice_id, "issue", uow=store.uow, clock=clock, renderer=counting
    )
    assert issued.number == "INV-2026-000001"
