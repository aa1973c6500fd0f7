"""The outbox's hand-built envelope and payload texts say exactly what the models would."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from asyncpg.pgproto import pgproto
from pydantic import ValidationError, model_validator

from arcadia_core.events import Envelope, ResourceDeleted, ResourceSynced
from inventory.adapters.unit_of_work import envelope_json
from inventory.domain.model import Resource
from inventory.usecases.events import (
    SYNCED_FIELDS,
    _row_schema,
    _synced_fields,
    resource_synced,
    resource_synced_json,
)

NOW = datetime(2026, 4, 1, 1, 2, 3, 456789, tzinfo=UTC)


def test_a_synced_event_reads_back_as_the_model_would_write_it() -> None:
    payload = ResourceSynced(
        resource_id=uuid4(),
        version=3,
        provider="digitalocean",
        kind="droplet",
        provider_id="512340101",
        name='web "01" \\ ünïcode',
        status="active",
        region="syd1",
        size_slug="s-1vcpu-1gb",
        attrs={"tags": ["a", "b"], "price_monthly": str(Decimal("6.00")), "nested": {"x": None}},
        project_id=uuid4(),
        tenant_id=None,
        deployment_id=None,
        change="discovered",
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    event_id, correlation = uuid4(), uuid4()
    text = envelope_json(payload, event_id, NOW.isoformat().replace("+00:00", "Z"), correlation)
    expected = payload.envelope(producer="inventory", occurred_at=NOW, correlation_id=correlation)
    parsed = Envelope.model_validate_json(text)
    assert parsed == expected.model_copy(update={"id": event_id})
    assert ResourceSynced.model_validate(parsed.payload) == payload


def test_a_deleted_event_without_correlation() -> None:
    payload = ResourceDeleted(
        resource_id=uuid4(),
        version=2,
        provider="digitalocean",
        kind="volume",
        provider_id="v-1",
        name=None,
        tenant_id=uuid4(),
        deployment_id=None,
        deleted_at=NOW,
    )
    event_id = uuid4()
    parsed = Envelope.model_validate_json(
        envelope_json(payload, event_id, "2026-04-01T01:02:03Z", None)
    )
    assert (parsed.id, parsed.type, parsed.correlation_id) == (event_id, "resource.deleted", None)
    assert ResourceDeleted.model_validate(parsed.payload) == payload


def _resource(**changes: object) -> Resource:
    resource = Resource(
        id=uuid4(),
        kind="droplet",
        provider_id="512340101",
        name='web "01" \\ ünïcode',
        status="active",
        region="syd1",
        size_slug=None,
        attrs={"tags": ["a"], "price_monthly": "6.00", "nested": {"x": None}},
        first_seen_at=datetime(2026, 3, 1, tzinfo=UTC),
        last_seen_at=NOW,
        project_id=uuid4(),
        version=4,
    )
    return replace(resource, **changes)  # type: ignore[arg-type]


def test_synced_payloads_as_text_read_back_as_the_models_would_write_them() -> None:
    listed = _resource()
    listed.attrs_json = '{"nested":{"x":null},"price_monthly":"6.00","tags":["a"]}'
    read_back = _resource(tenant_id=uuid4(), name=None)  # attrs without their text
    texts = list(resource_synced_json([listed, read_back], ["discovered", "attributed"]))
    for resource, change, text in zip(
        (listed, read_back), ("discovered", "attributed"), texts, strict=True
    ):
        assert ResourceSynced.model_validate_json(text) == resource_synced(resource, change)


def test_ids_the_driver_reads_back_are_written_as_ids() -> None:
    driver_id = pgproto.UUID(str(uuid4()))  # asyncpg's own UUID type, a uuid.UUID subclass
    resource = _resource(id=driver_id, project_id=pgproto.UUID(str(uuid4())))
    (text,) = resource_synced_json([resource], ["attributed"])
    assert f'"resource_id":"{driver_id}"' in text  # written directly, not through the model
    assert ResourceSynced.model_validate_json(text) == resource_synced(resource, "attributed")


def test_text_that_is_not_unicode_is_refused_not_written() -> None:
    resource = _resource(name="web-\ud800")  # a lone surrogate: a str, but not Unicode
    with pytest.raises(TypeError, match="surrogates"):  # as the model refuses to write it
        list(resource_synced_json([resource], ["updated"]))


def test_synced_payloads_as_text_are_validated_against_the_schema() -> None:
    with pytest.raises(ValidationError):
        list(resource_synced_json([_resource(), _resource(name=42)], ["updated", "updated"]))
    with pytest.raises(ValidationError):  # strictly: no text passed off as an id
        list(resource_synced_json([_resource(tenant_id=str(uuid4()))], ["updated"]))


def test_a_chunk_is_validated_whole_before_any_of_its_text_is_given_out() -> None:
    payloads = resource_synced_json(
        [_resource(), _resource(), _resource(), _resource(name=42)], ["updated"] * 4, chunk=2
    )
    assert len([next(payloads), next(payloads)]) == 2  # the first chunk is valid
    with pytest.raises(ValidationError):
        next(payloads)


WRONG_TYPES = {
    "id": "not-a-uuid-object",
    "version": "4",
    "provider": None,
    "kind": 7,
    "provider_id": 512340101,
    "name": 42,
    "status": b"active",
    "region": 1.5,
    "size_slug": ["s-1vcpu-1gb"],
    "attrs": [("tags", "a")],
    "project_id": str(uuid4()),
    "tenant_id": 5,
    "deployment_id": "",
    "first_seen_at": "2026-03-01T00:00:00Z",
    "last_seen_at": 1_700_000_000,
}


@pytest.mark.parametrize("field", sorted(WRONG_TYPES))
def test_each_field_is_checked_as_the_model_checks_it(field: str) -> None:
    resource = _resource(**{field: WRONG_TYPES[field]})
    with pytest.raises(ValidationError):  # the model refuses it, strictly
        ResourceSynced.model_validate(_synced_fields(resource, "updated"), strict=True)
    with pytest.raises(ValidationError):
        list(resource_synced_json([resource], ["updated"]))


def test_a_change_that_is_not_text_is_refused() -> None:
    with pytest.raises(ValidationError):
        list(resource_synced_json([_resource()], [3]))  # type: ignore[list-item]


def test_the_tuple_schema_follows_the_model() -> None:
    assert tuple(ResourceSynced.model_fields) == SYNCED_FIELDS

    class Reordered(ResourceSynced):
        extra: int = 0

    with pytest.raises(TypeError):
        _row_schema(Reordered)

    class CrossChecked(ResourceSynced):
        @model_validator(mode="after")
        def seen_in_order(self) -> CrossChecked:
            return self

    with pytest.raises(TypeError):
        _row_schema(CrossChecked)
