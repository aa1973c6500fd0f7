import os
from pathlib import Path

import pytest

from arcadia_core.settings import ArcadiaSettings


@pytest.fixture
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("ARCADIA_", "DO_API_TOKEN")):
            monkeypatch.delenv(name)
    return tmp_path


def test_per_service_and_per_purpose_names_are_read_from_the_env_file(in_project: Path) -> None:
    (in_project / ".env").write_text(
        "ARCADIA_DATABASE_URL=postgresql://shared/db\n"
        "ARCADIA_INVENTORY_DATABASE_URL=postgresql://own/inventory\n"
        "ARCADIA_INVENTORY_URL=http://inventory:8000\n"
        "DO_API_TOKEN_BILLING=dop_v1_billing\n"
    )
    settings = ArcadiaSettings()
    assert settings.database_url_for("inventory") == "postgresql://own/inventory"
    assert settings.database_url_for("metering") == "postgresql://shared/db"
    assert settings.service_url("inventory") == "http://inventory:8000"
    assert settings.do_token_for("billing") == "dop_v1_billing"
    assert settings.do_token_for("sync_full") is None
    assert settings.has_do_token()


def test_the_environment_wins_over_the_env_file(
    in_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_project / ".env").write_text("DO_API_TOKEN_BILLING=from-file\n")
    monkeypatch.setenv("DO_API_TOKEN_BILLING", "from-environment")
    assert ArcadiaSettings().do_token_for("billing") == "from-environment"


def test_no_token_anywhere(in_project: Path) -> None:
    assert not ArcadiaSettings().has_do_token()
