"""The command line: every command explains itself, mints valid tokens, refuses bad input."""

from __future__ import annotations

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
