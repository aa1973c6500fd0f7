"""Pytest fixtures shared by every service's tests (registered from the root pytest config).

- `database_url`: a fresh, empty database per test (cloned from a template per migration set).
- `migrated_database`: factory `await migrated_database(*migrators)` returning a URL whose schemas
  the migrators (async callables taking a URL) have built; the result is cached as a template so
  each test gets its own copy cheaply.
- `amqp_url`: the broker URL; skips, or fails under ARCADIA_REQUIRE_BROKER=1, when none answers.
- `amqp_namespace`: a unique exchange/queue prefix per test so tests never share topology.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from arcadia_core.testing.servers import (
    Servers,
    broker_required,
    check_database,
    create_database,
    drop_database,
)

Migrator = Callable[[str], Awaitable[None]]


@pytest.fixture(scope="session")
def test_servers() -> Iterator[Servers]:
    servers = Servers()
    yield servers
    servers.close()


@pytest.fixture(scope="session")
async def database_server_url(test_servers: Servers) -> str:
    url = test_servers.database_url()
    try:
        await check_database(url)
    except Exception as exc:
        pytest.fail(f"PostgreSQL is required for this test and did not answer at {url}: {exc}")
    return url


@pytest.fixture(scope="session")
async def _templates(database_server_url: str) -> AsyncIterator[dict[str, str]]:
    templates: dict[str, str] = {}
    yield templates
    for name in templates.values():
        await drop_database(database_server_url, name)


@pytest.fixture
async def migrated_database(
    database_server_url: str, _templates: dict[str, str]
) -> AsyncIterator[Callable[..., Awaitable[str]]]:
    created: list[str] = []

    async def make(*migrators: Migrator) -> str:
        key = hashlib.sha1(
            "|".join(f"{m.__module__}.{m.__qualname__}" for m in migrators).encode()
        ).hexdigest()[:10]
        if key not in _templates:
            template = f"arcadia_tpl_{key}_{uuid.uuid4().hex[:6]}"
            template_url = await create_database(database_server_url, template)
            for migrate in migrators:
                await migrate(template_url)
            _templates[key] = template
        name = f"arcadia_t_{uuid.uuid4().hex[:12]}"
        created.append(name)
        return await create_database(database_server_url, name, template=_templates[key])

    yield make
    for name in created:
        await drop_database(database_server_url, name)


@pytest.fixture
async def database_url(migrated_database: Callable[..., Awaitable[str]]) -> str:
    return await migrated_database()


@pytest.fixture(scope="session")
def amqp_url(test_servers: Servers) -> str:
    url, problem = test_servers.amqp_url()
    if url is None:
        message = f"RabbitMQ is required for this test: {problem}"
        if broker_required():
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def amqp_namespace() -> str:
    return f"t{uuid.uuid4().hex[:10]}."
