"""Settings every service reads from the environment (names fixed by the design brief)."""

from __future__ import annotations

import os

from dotenv import dotenv_values
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ArcadiaSettings(BaseSettings):
    """Process-wide settings; a service reads its own database URL through `database_url_for`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, alias="ARCADIA_DATABASE_URL")
    amqp_url: str | None = Field(default=None, alias="ARCADIA_AMQP_URL")
    amqp_namespace: str = Field(
        default="",
        alias="ARCADIA_AMQP_NAMESPACE",
        description="Prefix for exchange and queue names, to share one broker between environments",
    )
    jwt_secret: str = Field(
        default="arcadia-development-secret-change-me-in-production", alias="ARCADIA_JWT_SECRET"
    )
    jwt_audience: str = Field(default="arcadia", alias="ARCADIA_JWT_AUDIENCE")
    do_api_url: str = Field(default="https://api.digitalocean.com", alias="DO_API_URL")
    do_api_token: str | None = Field(default=None, alias="DO_API_TOKEN")
    do_rate_per_minute: int = Field(default=250, alias="DO_API_RATE_PER_MINUTE")
    do_rate_per_hour: int = Field(default=5000, alias="DO_API_RATE_PER_HOUR")
    finance_url: str | None = Field(default=None, alias="SKYAI_FINANCE_URL")
    finance_jwt_secret: str | None = Field(default=None, alias="SKYAI_FINANCE_JWT_SECRET")
    data_dir: str = Field(default=".arcadia", alias="ARCADIA_DATA_DIR")
    log_level: str = Field(default="INFO", alias="ARCADIA_LOG_LEVEL")

    def database_url_for(self, service: str) -> str | None:
        """`ARCADIA_<SERVICE>_DATABASE_URL` if set, else the shared `ARCADIA_DATABASE_URL`."""
        return self.variable(f"ARCADIA_{_name(service)}_DATABASE_URL") or self.database_url

    def service_url(self, service: str) -> str | None:
        """`ARCADIA_<SERVICE>_URL`: where the gateway reaches a service's HTTP API."""
        return self.variable(f"ARCADIA_{_name(service)}_URL")

    def do_token_for(self, purpose: str) -> str | None:
        """`DO_API_TOKEN_<PURPOSE>` if set, else `DO_API_TOKEN`."""
        return self.variable(f"DO_API_TOKEN_{_name(purpose)}") or self.do_api_token

    def has_do_token(self) -> bool:
        """True if any DigitalOcean token is configured (`DO_API_TOKEN` or a per-purpose one)."""
        names = self._variables().keys()
        return bool(self.do_api_token) or any(
            n.startswith("DO_API_TOKEN_") and self.variable(n) for n in names
        )

    def variable(self, name: str) -> str | None:
        """A variable whose name is built at run time: the environment, else the env file."""
        return self._variables().get(name) or None

    def _variables(self) -> dict[str, str]:
        env_file = self.model_config.get("env_file")
        from_file = dotenv_values(env_file) if isinstance(env_file, str) else {}
        return {k: v for k, v in from_file.items() if v is not None} | dict(os.environ)


def _name(part: str) -> str:
    return part.upper().replace("-", "_")
