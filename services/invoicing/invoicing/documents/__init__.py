"""The invoice document's files: Jinja2 templates and the fonts the PDF embeds.

Everything a rendering may load lives under this directory (see
`invoicing.adapters.document_fetcher`).
"""

from __future__ import annotations

from pathlib import Path

DOCUMENTS_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = DOCUMENTS_DIR / "templates"
FONTS_DIR = DOCUMENTS_DIR / "fonts"
