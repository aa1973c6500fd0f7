"""The document renderer on the seeds' April invoice: the PDF's text read back with pypdf, the
web fragment, autoescaping, the fonts shipped in the package, and no network."""

from __future__ import annotations

import io
import shutil
import socket
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfReader

from invoicing.adapters import document_format as fmt
from invoicing.adapters.document_fetcher import DocumentFilesOnly, RefusedUrl
from invoicing.adapters.documents import DocumentRenderer, RenderError
from invoicing.documents import DOCUMENTS_DIR, FONTS_DIR
from invoicing.domain.model import Deployment, Invoice, Tenant
from invoicing.usecases.invoices import transition

if TYPE_CHECKING:
    from conftest import April


async def issued_april(april: April) -> tuple[Invoice, Tenant, dict[Any, Deployment]]:
    april.clock.tick()
    invoice = await transition(april.invoice_id, "issue", uow=april.store.uow, clock=april.clock)
    state = april.store.state
    deployment = state.deployments[april.deployment_id]
    return invoice, state.tenants[april.tenant_id], {deployment.id: deployment}


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_the_april_pdf_shows_the_seeds_figures(
    april: April, renderer: DocumentRenderer
) -> None:
    invoice, tenant, deployments = await issued_april(april)
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (6422, 642, 7064)

    pdf = renderer.render_pdf(invoice, tenant, deployments)
    text = pdf_text(pdf)
    for expected in (
        "ArcadiaCloud",
        "INV-2026-000001",
        "Issued",
        "pilot",
        "April 2026 (1\N{EN DASH}30 April 2026)",
        "1 May 2026",  # issue date
        "Plan: Studio pilot-app 1 $50.00 $50.00",
        "Addon: storage_50gb pilot-app 1 $7.50 $7.50",
        "pilot-app 672 $0.01 $6.72",  # Overage: droplet_hours (672 over 1488 included)
        "Subtotal $64.22",
        "GST 10% $6.42",
        "Total USD $70.64",
    ):
        assert expected in text, (expected, text)
    assert "DRAFT" not in text
    # the tax line is shown once, as GST under the subtotal, not among the charges
    assert text.count("$6.42") == 1

    reader = PdfReader(io.BytesIO(pdf))
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts == {"DejaVu-Sans", "DejaVu-Sans-Bold"}
    assert reader.metadata is not None and reader.metadata.title == "INV-2026-000001"


async def test_the_web_fragment_is_the_same_template(
    april: April, renderer: DocumentRenderer
) -> None:
    state = april.store.state
    draft = state.invoices[april.invoice_id]
    tenant = replace(state.tenants[april.tenant_id], name="<script>alert('x')</script> & Co")
    deployment = state.deployments[april.deployment_id]

    html = renderer.render_html(draft, tenant, {deployment.id: deployment})
    assert html.startswith('<article class="arcadia-invoice arcadia-invoice--draft"')
    assert html.rstrip().endswith("</article>") and "<html" not in html
    assert 'class="arcadia-invoice__mark">DRAFT<' in html
    assert "Not issued yet" in html
    for figure in ("$50.00", "$7.50", "$6.72", "$64.22", "$6.42", "$70.64", "pilot-app"):
        assert figure in html
    # autoescaped: a name can never become markup
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    # the PDF's page wraps this very fragment
    assert html in renderer.page_html(draft, tenant, {deployment.id: deployment})

    issued, _, deployments = await issued_april(april)
    shown = renderer.render_html(issued, tenant, deployments)
    assert "DRAFT" not in shown and "INV-2026-000001" in shown and "1 May 2026" in shown


async def test_the_fonts_come_from_the_package_and_nothing_else_is_fetched(
    april: April, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice, tenant, deployments = await issued_april(april)
    copy = tmp_path / "documents"
    shutil.copytree(DOCUMENTS_DIR, copy)
    page = DocumentRenderer(copy).page_html(invoice, tenant, deployments)
    assert (copy / "fonts" / "DejaVuSans.ttf").as_uri() in page
    assert FONTS_DIR.as_uri() not in page  # resolved at render time, for the root in use
    assert (FONTS_DIR / "LICENSE").is_file()

    connections: list[Any] = []
    monkeypatch.setattr(socket.socket, "connect", lambda *a: connections.append(a))
    template = copy / "templates" / "invoice.html"
    template.write_text(
        template.read_text().replace(
            "</article>", '<img src="https://example.com/tracker.png" alt=""></article>'
        )
    )
    with pytest.raises(RenderError, match=r"https://example\.com/tracker\.png"):
        DocumentRenderer(copy).render_pdf(invoice, tenant, deployments)
    assert connections == []

    (copy / "fonts" / "DejaVuSans.ttf").unlink()  # no fallback to the machine's fonts
    template.write_text(template.read_text().replace('<img src="https://', '<img data-x="'))
    with pytest.raises(RenderError, match=r"DejaVuSans\.ttf"):
        DocumentRenderer(copy).render_pdf(invoice, tenant, deployments)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/font.ttf",
        "https://example.com/font.ttf",
        "HTTPS://example.com/font.ttf",
        "ftp://example.com/font.ttf",
        "data:font/ttf;base64,AAAA",
        "//example.com/font.ttf",
        "file:///etc/passwd",
        "file://example.com" + str(FONTS_DIR / "DejaVuSans.ttf"),
        (FONTS_DIR / ".." / ".." / "__init__.py").as_uri(),
        (FONTS_DIR / "missing.ttf").as_uri(),
    ],
)
def test_the_fetcher_refuses_anything_but_a_file_of_the_documents(url: str) -> None:
    with pytest.raises(RefusedUrl):
        DocumentFilesOnly(DOCUMENTS_DIR).fetch(url)


def test_the_fetcher_serves_the_documents_files() -> None:
    fetcher = DocumentFilesOnly(DOCUMENTS_DIR)
    font = FONTS_DIR / "DejaVuSans.ttf"
    response = fetcher.fetch(font.as_uri())
    assert response.read() == font.read_bytes()
    assert response.content_type == "font/ttf"
    response.close()


def test_the_template_version_follows_the_files(tmp_path: Path) -> None:
    copy = tmp_path / "documents"
    shutil.copytree(DOCUMENTS_DIR, copy)
    assert DocumentRenderer(copy).template_version == DocumentRenderer().template_version
    (copy / "templates" / "invoice.html").write_text("<article></article>\n")
    assert DocumentRenderer(copy).template_version != DocumentRenderer().template_version


def test_figures_read_as_money_from_cents() -> None:
    assert fmt.money(7064, "USD") == "$70.64"
    assert fmt.money(-100, "USD") == "-$1.00"
    assert fmt.money(123456789, "AUD") == "A$1,234,567.89"
    assert fmt.money(5, "CHF") == "CHF 0.05"
    assert fmt.unit_price(Decimal(5000), "USD") == "$50.00"
    assert fmt.unit_price(Decimal(1), "USD") == "$0.01"
    assert fmt.unit_price(Decimal("0.5"), "USD") == "$0.005"
    assert fmt.quantity(Decimal(672)) == "672"
    assert fmt.quantity(Decimal("1488.000")) == "1,488"
    assert fmt.quantity(Decimal(10) / Decimal(31)) == "0.3226"
    assert fmt.percent(Decimal("0.10")) == "10%"
    assert fmt.percent(Decimal("0.125")) == "12.5%"
    assert fmt.day(date(2026, 5, 1)) == "1 May 2026"
    assert fmt.period(date(2026, 2, 1)) == "February 2026 (1\N{EN DASH}28 February 2026)"
