"""WeasyPrint's only way to load a resource while rendering an invoice: files of our own
document directory. No network, no other file of the machine.

Imported only when a PDF is rendered (importing WeasyPrint takes about a second).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedUrl(ValueError):
    """A URL outside the document directory (any scheme but file:, or a file elsewhere)."""


def local_path(url: str, root: Path) -> Path:
    """The file `url` names, if it is a file: URL of a file inside `root`; else `RefusedUrl`."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedUrl(f"refused to fetch {url!r}: only the invoice document files are allowed")
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise RefusedUrl(f"refused to fetch {url!r}: not a file of {root}")
    return path


class DocumentFilesOnly(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """A refused URL stops the rendering (`fail_on_errors`): a document is kept forever, so
    it is rendered exactly as designed or not at all (never with a fallback font)."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.root = root.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = local_path(url, self.root)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )
