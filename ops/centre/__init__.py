"""The command-centre client: a live view of a region's deliveries, each once, and acknowledgements."""

from ops.centre.ack import acknowledge
from ops.centre.seen import SeenStore
from ops.centre.tail import DeliveryTail, summarise

__all__ = ["DeliveryTail", "SeenStore", "acknowledge", "summarise"]
