"""The invoice renderer: one Jinja2 template for the web fragment and the PDF (WeasyPrint)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from invoicing.adapters import document_format
from invoicing.documents import DOCUMENTS_DIR
from invoicing.domain.model import Deployment, Invoice, Tenant
from invoicing.domain.quote import TAX

ISSUER = "ArcadiaCloud"
FONTS = {"regular": "fonts/DejaVuSans.ttf", "bold": "fonts/DejaVuSans-Bold.ttf"}
NO_DEPLOYMENT = "\N{EM DASH}"
# WeasyPrint (Pango and fontconfig through cffi) promises no thread safety; PDFs are rendered
# once per issued invoice, so one at a time per process costs nothing that matters
_PDF_LOCK = threading.Lock()


class RenderError(RuntimeError):
    """The PDF could not be rendered as designed (a resource was refused or missing)."""


@dataclass(frozen=True, slots=True)
class LineView:
    description: str
    deployment: str
    quantity: Decimal
    unit_price: Decimal
    amount_cents: int


def _version(root: Path) -> str:
    """A digest of every file a rendering uses: it changes whenever the document would."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".py"):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class DocumentRenderer:
    """`render_html` gives the fragment a web page embeds; `render_pdf` wraps the same
    fragment in an A4 page. The PDF may load only files under `root` (`DocumentFilesOnly`)."""

    def __init__(self, root: Path = DOCUMENTS_DIR) -> None:
        self.root = root.resolve()
        self.environment = Environment(
            loader=FileSystemLoader(self.root / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters.update(
            money=document_format.money,
            unit_price=document_format.unit_price,
            quantity=document_format.quantity,
            percent=document_format.percent,
            day=document_format.day,
            period=document_format.period,
        )
        self._template_version = _version(self.root)

    @property
    def template_version(self) -> str:
        return self._template_version

    def _context(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> dict[str, Any]:
        def deployment(deployment_id: UUID | None) -> str:
            found = deployments.get(deployment_id) if deployment_id is not None else None
            return found.name if found is not None else NO_DEPLOYMENT

        lines = [
            LineView(
                description=line.description,
                deployment=deployment(line.deployment_id),
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount_cents=line.amount_cents,
            )
            for line in invoice.lines
            if line.kind != TAX  # tax is shown once, under the subtotal
        ]
        return {"issuer": ISSUER, "invoice": invoice, "tenant": tenant, "lines": lines}

    def render_html(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> str:
        template = self.environment.get_template("invoice.html")
        return template.render(self._context(invoice, tenant, deployments))

    def page_html(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> str:
        """The whole page the PDF is made of, with the fonts' file URLs of this installation."""
        fonts = {name: (self.root / path).as_uri() for name, path in FONTS.items()}
        template = self.environment.get_template("invoice_pdf.html")
        return template.render(self._context(invoice, tenant, deployments), fonts=fonts)

    def render_pdf(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> bytes:
        from weasyprint import HTML
        from weasyprint.urls import FatalURLFetchingError

        from invoicing.adapters.document_fetcher import DocumentFilesOnly

        page = self.page_html(invoice, tenant, deployments)
        document = HTML(
            string=page, base_url=self.root.as_uri() + "/", url_fetcher=DocumentFilesOnly(self.root)
        )
        try:
            with _PDF_LOCK:
                pdf = document.write_pdf()
        except FatalURLFetchingError as error:  # a BaseException: never let it escape as one
            raise RenderError(f"invoice {invoice.id}: {error} ({error.__cause__})") from error
        assert isinstance(pdf, bytes)
        return pdf
