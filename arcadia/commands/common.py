"""What every command shares: the consoles, the logging setup, running a command's coroutine
with one clear line for what an operator must fix, and the environment line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import socket
import sys
from collections.abc import Coroutine, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

T = TypeVar("T")


def console() -> Any:
    """Rich console; full width when not on a terminal so reasons are never cut in logs."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "200"))
    return Console(width=width, stderr=False)


def err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def setup_logging(verbose: bool) -> None:
    """One logging setup for the process (uvicorn's too); `ARCADIA_LOG_FORMAT=json` for JSON."""
    from arcadia_core.logging import configure
    from arcadia_core.settings import ArcadiaSettings

    configure(level="DEBUG" if verbose else ArcadiaSettings().log_level.upper(), verbose=verbose)


def run(coroutine: Coroutine[Any, Any, T], *, announce: bool = True) -> T:
    """Run a command's coroutine: one clear line and exit code 2 for what the operator must fix
    (configuration, an unreachable database, a refused token); Ctrl-C without a traceback.

    First, on stderr, the database and bus the command works against (unless the command said
    it already, or says it itself: `announce=False`).
    """
    from arcadia.runtime import ConfigurationError

    if announce and not _announced:
        print_environment()
    try:
        return asyncio.run(coroutine)
    except KeyboardInterrupt:
        err_console().print("interrupted")
        raise typer.Exit(130) from None
    except ConfigurationError as exc:
        err_console().print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:
        reason = operator_error(exc)
        if reason is None:
            raise
        err_console().print(f"[red]error:[/] {reason}", highlight=False)
        raise typer.Exit(2) from None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def operator_error(exc: BaseException) -> str | None:
    """A one-line reason for failures an operator fixes by configuration, else None."""
    from arcadia_core.errors import OperatorError

    for cause in _chain(exc):
        if isinstance(cause, OperatorError):
            return str(cause)
        name = type(cause).__name__
        text = str(cause).splitlines()[0] if str(cause) else name
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state[:2] in {"08", "28", "3D", "57"}:
            # connection, authorization, unknown database, server shutting down
            return f"the database refused the connection: {text} (check ARCADIA_DATABASE_URL)"
        if isinstance(cause, ConnectionError | socket.gaierror):
            return f"cannot reach a server: {text} (check ARCADIA_DATABASE_URL / ARCADIA_AMQP_URL)"
        if name in {"Unauthorized", "Forbidden"} and "do_api" in type(cause).__module__:
            return (
                f"DigitalOcean refused the token: {text} "
                "(check DO_API_TOKEN / DO_API_TOKEN_<PURPOSE>)"
            )
    return None


_announced = False


def print_environment(service: str | None = None) -> None:
    """The database and bus this command works against, on stderr (stdout stays the output)."""
    global _announced
    from arcadia.runtime import Environment, describe_bus, describe_database
    from arcadia_core.settings import ArcadiaSettings

    settings = ArcadiaSettings()
    line = Environment(describe_database(settings, service), describe_bus(settings)).line()
    err_console().print(line, soft_wrap=True, markup=False, highlight=False)
    _announced = True


class Output(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


OutputOption = Annotated[Output, typer.Option("--output", "-o", help="table, json or csv")]


def cell(value: Any) -> str:
    """A value as one table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dict | list | tuple | bool | int | float):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def emit_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], output: Output, title: str = ""
) -> None:
    """Print `rows` on stdout as a table (full width off a terminal), JSON or CSV."""
    if output is Output.json:
        typer.echo(json.dumps(list(rows), default=str, indent=2))
        return
    if output is Output.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in columns])
        typer.echo(buffer.getvalue(), nl=False)
        return
    from rich.table import Table

    table = Table(*columns, title=title or None)
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    console().print(table)


def service_schemas(only: list[str] | None) -> list[tuple[str, str]]:
    """(service, schema) of the registry's services, in registry order."""
    from arcadia import registry

    known = {d.name: d.schema for d in registry.definitions()}
    for name in only or []:
        if name not in known:
            raise typer.BadParameter(f"unknown service {name!r}; known: {', '.join(known)}")
    return [(name, schema) for name, schema in known.items() if not only or name in only]
