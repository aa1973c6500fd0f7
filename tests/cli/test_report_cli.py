"""`arcadia report margin`: it explains itself and refuses a period that is not a month before
touching any database (the report itself is tested on the demo's April in tests/e2e)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from arcadia.cli import app

runner = CliRunner()


@pytest.mark.parametrize("command", [["report"], ["report", "margin"]])
def test_report_commands_have_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_margin_help_names_the_period_and_the_output_formats() -> None:
    result = runner.invoke(app, ["report", "margin", "--help"], env={"COLUMNS": "200"})
    assert "--period" in result.output
    assert "table, json or csv" in result.output


@pytest.mark.parametrize("period", ["2026-13", "2026-4", "April", "2026-04-01", "0000-01"])
def test_a_period_that_is_not_a_month_is_refused_before_any_database(period: str) -> None:
    env = {"ARCADIA_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = runner.invoke(app, ["report", "margin", "--period", period], env=env)
    assert result.exit_code == 2
    assert "not a month" in result.output or "out of range" in result.output
    assert "database" not in result.output.lower()


def test_an_unknown_output_format_is_refused() -> None:
    result = runner.invoke(app, ["report", "margin", "--period", "2026-04", "-o", "xml"])
    assert result.exit_code == 2
