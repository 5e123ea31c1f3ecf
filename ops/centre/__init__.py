"""The command-centre client: a live view of deliveries, each once; acknowledgements; special operations."""

from ops.centre.ack import acknowledge
from ops.centre.operations import KnownOperation, close_operation, read_operations
from ops.centre.seen import SeenStore
from ops.centre.tail import DeliveryTail, summarise

__all__ = [
    "DeliveryTail",
    "KnownOperation",
    "SeenStore",
    "acknowledge",
    "close_operation",
    "read_operations",
    "summarise",
]
