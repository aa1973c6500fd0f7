"""Topology declarations and the generated AsyncAPI document (no broker needed)."""

from __future__ import annotations

from faststream.rabbit import ExchangeType

from arcadia_core.bus import Subscription
from arcadia_core.bus.rabbit import RabbitBus, asyncapi_schema
from arcadia_core.bus.topology import (
    DELIVERY_LIMIT,
    DLQ_ARGUMENTS,
    consumer_queue,
    dead_letter_exchange,
    dead_letter_queue,
    events_exchange,
    retry_queue_arguments,
    work_queue_arguments,
)
from arcadia_core.events import Envelope, ResourceDeleted, ResourceSynced


async def ignore(envelope: Envelope) -> None:
    """Test handler."""


SUBSCRIPTION = Subscription("drift", "resource.synced", ignore)


def test_exchanges_are_durable_topics_under_the_namespace() -> None:
    for exchange, name in (
        (events_exchange("ns."), "ns.arcadia.events"),
        (dead_letter_exchange("ns."), "ns.arcadia.dlx"),
    ):
        assert (exchange.name, exchange.type, exchange.durable) == (name, ExchangeType.TOPIC, True)
    assert events_exchange("").name == "arcadia.events"


def test_consumer_queue_binds_the_event_type_and_dead_letters_under_its_name() -> None:
    queue = consumer_queue("ns.", SUBSCRIPTION)
    assert queue.name == "ns.drift.on-resource.synced"
    assert queue.durable is True
    assert queue.routing_key == "resource.synced"
    assert queue.arguments == {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "ns.arcadia.dlx",
        "x-dead-letter-routing-key": "ns.drift.on-resource.synced",
        "x-delivery-limit": DELIVERY_LIMIT,
    }

    dlq = dead_letter_queue("ns.", SUBSCRIPTION)
    assert (dlq.name, dlq.durable, dlq.routing_key) == (
        "ns.drift.on-resource.synced.dlq",
        True,
        "ns.drift.on-resource.synced",
    )
    assert dlq.arguments == {"x-queue-type": "quorum"} == DLQ_ARGUMENTS


def test_the_helper_declarations_and_the_subscriber_agree_on_every_argument() -> None:
    """A queue redeclared with other arguments is refused by RabbitMQ (PRECONDITION_FAILED)."""
    name = "ns.drift.on-resource.synced"
    assert consumer_queue("ns.", SUBSCRIPTION).arguments == work_queue_arguments("ns.", name)
    assert retry_queue_arguments(name) == {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": name,
    }


def test_asyncapi_documents_subscriptions_and_declared_publications() -> None:
    bus = RabbitBus("amqp://guest:secret@broker.invalid:5672/", namespace="ns.", service="drift")
    bus.subscribe(SUBSCRIPTION)
    bus.declare_publications(
        {
            ResourceSynced.EVENT_TYPE: ResourceSynced,
            ResourceDeleted.EVENT_TYPE: ResourceDeleted,
        }
    )

    document = asyncapi_schema(bus, version="2.0.0")

    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "drift"
    assert document["info"]["version"] == "2.0.0"
    assert "secret" not in str(document["servers"])
    channels = document["channels"]
    assert set(channels) == {"ns.drift.on-resource.synced", "resource.synced", "resource.deleted"}
    consumer = channels["ns.drift.on-resource.synced"]
    assert consumer["address"] == "resource.synced"
    assert consumer["bindings"]["amqp"]["queue"]["name"] == "ns.drift.on-resource.synced"
    publication = channels["resource.synced"]
    assert publication["bindings"]["amqp"]["exchange"]["name"] == "ns.arcadia.events"
    assert publication["description"] == ResourceSynced.__doc__

    schemas = document["components"]["schemas"]
    envelope = schemas["ResourceSyncedEnvelope"]
    assert set(envelope["properties"]) == set(Envelope.model_fields)
    assert envelope["properties"]["payload"] == {"$ref": "#/components/schemas/ResourceSynced"}
    assert set(schemas["ResourceSynced"]["properties"]) == set(ResourceSynced.model_fields)
    operations = document["operations"]
    assert {op["action"] for op in operations.values()} == {"send", "receive"}
    received = schemas["ns.drift.on-resource.synced:Message:Payload"]
    assert set(received["properties"]) == set(Envelope.model_fields)


async def test_a_test_namespace_is_deleted_whole(amqp_url: str) -> None:
    import aio_pika

    from arcadia_core.bus.topology import declare_topology
    from arcadia_core.testing.plugin import delete_namespace

    namespace = f"t{__import__('uuid').uuid4().hex[:10]}."
    queues = {"svc.on-thing.happened": "thing.happened"}
    await declare_topology(amqp_url, namespace, queues)
    await delete_namespace(amqp_url, namespace, list(queues))
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for suffix in ("", ".retry", ".dlq"):
            channel = await connection.channel()
            try:
                await channel.declare_queue(
                    f"{namespace}svc.on-thing.happened{suffix}", passive=True
                )
            except aio_pika.exceptions.ChannelClosed:
                continue
            raise AssertionError(f"queue {suffix or 'work'} survived the namespace's deletion")
