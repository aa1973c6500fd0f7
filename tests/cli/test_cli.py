"""The command line: every command explains itself, mints valid tokens, refuses bad input."""

from __future__ import annotations

import re
import uuid

import pytest
from typer.testing import CliRunner

from arcadia.cli import app
from arcadia_core.auth import decode_token

runner = CliRunner()
SECRET = "cli-tests-secret-that-is-at-least-32-bytes"


@pytest.mark.parametrize(
    "command",
    [[], ["up"], ["serve"], ["migrate"], ["sync"], ["token"], ["sandbox"], ["sandbox", "serve"]],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_token_for_a_tenant_decodes_to_that_tenant() -> None:
    tenant = uuid.uuid4()
    result = runner.invoke(
        app, ["token", "--tenant", str(tenant)], env={"ARCADIA_JWT_SECRET": SECRET}
    )
    assert result.exit_code == 0, result.output
    principal = decode_token(result.output.strip(), secret=SECRET, audience="arcadia")
    assert principal.tenant_id == tenant and not principal.is_platform_admin


def test_token_needs_exactly_one_identity() -> None:
    assert runner.invoke(app, ["token"]).exit_code != 0
    both = runner.invoke(app, ["token", "--platform-admin", "--tenant", str(uuid.uuid4())])
    assert both.exit_code != 0


def test_unknown_service_and_kind_are_refused() -> None:
    assert runner.invoke(app, ["serve", "billing"]).exit_code != 0
    result = runner.invoke(app, ["sync", "--kind", "teapot"])
    assert result.exit_code == 1
    assert "unknown kind" in result.output


STRICT_ENV = {
    "ARCADIA_DATABASE_URL": "",
    "ARCADIA_INVENTORY_DATABASE_URL": "",
    "ARCADIA_AMQP_URL": "",
    "DO_API_TOKEN": "",
    "DO_API_TOKEN_SYNC_FULL": "",
    "ARCADIA_JWT_SECRET": "",
}


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({}, ["ARCADIA_DATABASE_URL", "ARCADIA_AMQP_URL", "DO_API_TOKEN", "ARCADIA_JWT_SECRET"]),
        (
            {"ARCADIA_DATABASE_URL": "postgresql://db/x", "ARCADIA_AMQP_URL": "amqp://mq/"},
            ["DO_API_TOKEN", "ARCADIA_JWT_SECRET"],
        ),
        (
            {
                "ARCADIA_DATABASE_URL": "postgresql://db/x",
                "DO_API_TOKEN": "t",
                "ARCADIA_JWT_SECRET": SECRET,
            },
            ["ARCADIA_AMQP_URL"],
        ),
        (
            {
                "ARCADIA_DATABASE_URL": "postgresql://db/x",
                "ARCADIA_AMQP_URL": "amqp://mq/",
                "DO_API_TOKEN": "t",
                "ARCADIA_JWT_SECRET": "short",
            },
            ["ARCADIA_JWT_SECRET"],
        ),
        (
            {
                "ARCADIA_DATABASE_URL": "postgresql://db/x",
                "ARCADIA_AMQP_URL": "amqp://mq/",
                "DO_API_TOKEN": "t",
                "ARCADIA_JWT_SECRET": "arcadia-development-secret-change-me-in-production",
            },
            ["ARCADIA_JWT_SECRET"],
        ),
    ],
)
def test_serve_refuses_without_production_settings(
    present: dict[str, str],
    missing: list[str],
    tmp_path: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env file is read
    for name in STRICT_ENV:
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["serve", "inventory"], env=present)
    assert result.exit_code == 2, result.output
    for name in missing:
        assert name in result.output
    every = {"ARCADIA_DATABASE_URL", "ARCADIA_AMQP_URL", "DO_API_TOKEN", "ARCADIA_JWT_SECRET"}
    for name in every - set(missing):
        assert f"  - {name}" not in result.output


def test_gateway_serve_names_every_service_url(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arcadia import registry

    monkeypatch.chdir(tmp_path)
    for name in registry.names():
        monkeypatch.delenv(f"ARCADIA_{name.upper().replace('-', '_')}_URL", raising=False)
    result = runner.invoke(app, ["serve", "gateway"], env={"ARCADIA_JWT_SECRET": SECRET})
    assert result.exit_code == 2, result.output
    for name in registry.names():
        assert f"ARCADIA_{name.upper().replace('-', '_')}_URL" in result.output


def test_one_shot_sync_needs_a_token_or_sandbox(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DO_API_TOKEN", "DO_API_TOKEN_SYNC_FULL", "DO_API_URL"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["sync"], env={"ARCADIA_DATABASE_URL": "postgresql://nowhere/x"})
    assert result.exit_code == 2, result.output
    assert "--sandbox" in result.output and "DO_API_TOKEN" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["tenants", "ls"],
        ["meter", "--from", "2026-04-01", "--to", "2026-04-01"],
        ["drift", "ls"],
        ["sync", "--sandbox"],
    ],
)
def test_an_unknown_database_is_one_line_and_exit_2(
    command: list[str], tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app,
        command,
        env={"ARCADIA_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/arcadia_no_such_db"},
    )
    assert result.exit_code == 2, result.output
    assert "ARCADIA_DATABASE_URL" in result.output
    assert "Traceback" not in result.output


def test_sync_help_names_every_kind_in_the_order_a_full_sync_takes() -> None:
    from inventory.domain import kinds

    result = runner.invoke(app, ["sync", "--help"], env={"COLUMNS": "400"})
    named = re.search(
        r"Kind to sync \(repeatable\): ([a-z0-9_, ]+)\.", " ".join(result.output.split())
    )
    assert named is not None, result.output
    assert named.group(1).split(", ") == list(kinds.FULL_SYNC_ORDER)
