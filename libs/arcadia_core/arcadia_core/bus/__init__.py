"""The event bus: the port services use, its RabbitMQ and in-process adapters, the topology."""

from arcadia_core.bus.inprocess import DeadLetter, InProcessBus
from arcadia_core.bus.ports import Bus, EventPublisher, Handler, Subscription
from arcadia_core.bus.retry import RetryPolicy

__all__ = [
    "Bus",
    "DeadLetter",
    "EventPublisher",
    "Handler",
    "InProcessBus",
    "RetryPolicy",
    "Subscription",
]
