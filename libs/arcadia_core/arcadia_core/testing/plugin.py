"""Pytest fixtures shared by every service's tests (registered from the root pytest config).

- `database_url`: a fresh, empty database per test (cloned from a template per migration set).
- `migrated_database`: factory `await migrated_database(*migrators)` returning a URL whose schemas
  the migrators (async callables taking a URL) have built; the result is cached as a template so
  each test gets its own copy cheaply.
- `amqp_url`: the broker URL; skips, or fails under ARCADIA_REQUIRE_BROKER=1, when none answers.
- `amqp_namespace`: a unique exchange/queue prefix per test so tests never share topology.
"""

from __future__ import annotations

import contextlib
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
async def amqp_namespace(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A unique exchange/queue prefix; the namespace's queues are deleted after the test.

    Every known consumer queue is a set of quorum queues (work, retry, DLQ); left behind by
    hundreds of tests they would weigh the broker down, so they are removed at teardown.
    """
    namespace = f"t{uuid.uuid4().hex[:10]}."
    yield namespace
    if "amqp_url" in request.fixturenames:
        known = [q for queues in request.config.hook.pytest_arcadia_known_queues() for q in queues]
        await delete_namespace(request.getfixturevalue("amqp_url"), namespace, known)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from arcadia_core.testing import hooks

    pluginmanager.add_hookspecs(hooks)


async def delete_namespace(url: str, namespace: str, queues: list[str]) -> None:
    """Delete the namespace's known queues (work, retry, DLQ) and exchanges, best effort."""
    import aio_pika

    from arcadia_core.bus.topology import DEAD_LETTER_SUFFIX, RETRY_SUFFIX

    names = [
        f"{namespace}{queue}{suffix}"
        for queue in queues
        for suffix in ("", RETRY_SUFFIX, DEAD_LETTER_SUFFIX)
    ]
    try:
        connection = await aio_pika.connect(url, timeout=10)
    except Exception:  # the broker is gone: nothing to clean
        return
    async with connection:
        for name in names:
            # a missing queue closes the channel it was asked on: one channel per delete
            channel = await connection.channel()
            with contextlib.suppress(Exception):
                await channel.queue_delete(name)
            with contextlib.suppress(Exception):
                await channel.close()
        for exchange in ("arcadia.events", "arcadia.dlx"):
            channel = await connection.channel()
            with contextlib.suppress(Exception):
                await channel.exchange_delete(f"{namespace}{exchange}")
            with contextlib.suppress(Exception):
                await channel.close()
