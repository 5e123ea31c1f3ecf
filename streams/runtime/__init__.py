"""The stream runtime: one transactional consume → process → produce loop, the client factory, stores, DLQ.

Every processor (hot path, control app) is a ``Processor`` run by a ``StreamLoop``; every Kafka client of
the project is built by ``ClientFactory``; every dead letter by ``DeadLetterBuilder``.
"""

from streams.runtime.clients import ClientFactory
from streams.runtime.context import Context
from streams.runtime.deadletter import DeadLetterBuilder
from streams.runtime.loop import StreamLoop
from streams.runtime.processor import Processor
from streams.runtime.records import Headers, InRecord, Outgoing, Record
from streams.runtime.settings import RuntimeSettings
from streams.runtime.stores import Scope, Store, Stores, StoreSpec, raw_codec
from streams.runtime.tables import GlobalTables
from streams.runtime.web import WebServer

__all__ = [
    "ClientFactory",
    "Context",
    "DeadLetterBuilder",
    "GlobalTables",
    "Headers",
    "InRecord",
    "Outgoing",
    "Processor",
    "Record",
    "RuntimeSettings",
    "Scope",
    "Store",
    "StoreSpec",
    "Stores",
    "StreamLoop",
    "WebServer",
    "raw_codec",
]
