"""The shapes of the control app's store values (plain JSON-able dicts) and the keys they are stored under."""

from __future__ import annotations

from typing import NotRequired, TypedDict

__all__ = [
    "DeliveryState",
    "EntryState",
    "MessageState",
    "ParkedState",
    "PartyState",
    "RequestState",
    "ThreadState",
    "message_key",
]


def message_key(sender: str, identifier: str, region: str | None = None) -> str:
    """The store key of a CAP message: the region that issued it, its sender and identifier (none can
    contain a space). Without ``region``: the key that names the first region to use that sender and
    identifier, kept so that another region's reference to it is refused as not its own."""
    return f"{sender} {identifier}" if region is None else f"{region} {sender} {identifier}"


class MessageState(TypedDict):
    """One alert message seen (store ``alerts``): the dedup record and the thread it belongs to."""

    thread: str  # message_key of the thread's first Alert
    sent: float  # epoch seconds of CAP sent
    region: str  # sender region
    msg_type: str


class ThreadState(TypedDict):
    """An alert and its Updates and Cancel (store ``threads``, keyed by the first Alert)."""

    region: str  # the sender region: the owner of every delivery in the thread
    category: str
    cancelled: bool
    expires: float | None  # epoch seconds; None = no expiry stated
    recipients: dict[str, list[str | None]]  # region -> [agreement_id, purpose] it first received under


class DeliveryState(TypedDict):
    """One delivery the app knows of (store ``deliveries``, keyed by delivery id) and its answers."""

    recipient: str
    owner: str
    kind: str  # DeliveryKind
    subject: str  # watchlist entry id or alert identifier
    action: str  # Action: what the owner asked for
    priority: str  # Priority
    category: str
    delivered_at: float  # epoch seconds (produced_at of the delivery)
    checkpoint: str | None  # checkpoint of the hit (matches; None when redacted)
    entry: str | None  # watchlist entry id (matches)
    received_at: float | None  # when the app received the first answer (any outcome), on its own clock
    outcome: str | None  # the latest final outcome
    #: when the app received the first final outcome, on its own clock; absent in states stored before
    outcome_at: NotRequired[float]
    acks: list[str]  # ack ids applied, so a re-sent ack changes nothing
    breached: list[str]  # BreachStage values already raised
    #: cooperation requests: when the final answer is due (epoch s); the outcome stage is due then
    respond_by: NotRequired[float]


class PartyState(TypedDict):
    """One recipient of a cooperation request and its answers so far."""

    delivery: str  # id of the request's delivery to it (what breaches and act records refer to)
    agreement: str | None  # the requester's agreement the request went under
    purpose: str | None
    answer_agreement: str | None  # the recipient's agreement its answers go back under
    status: str  # pending | accepted | answered | declined
    received_at: float | None  # first answer of any kind, on the app's clock
    answered_at: float | None  # final answer (answered / declined), on the app's clock
    answers: list[str]  # answer ids applied, so a re-sent answer changes nothing
    breached: list[str]  # BreachStage values already raised
    #: answer id → its content hashed (``request_digest``); absent for answers stored before it was kept
    digests: NotRequired[dict[str, str]]


class RequestState(TypedDict):
    """A cooperation request's thread (store ``requests``, keyed by request id)."""

    requester: str
    kind: str  # RequestKind
    category: str
    purpose: str
    priority: str
    plate: str | None
    sent_at: float  # the requester's sent_at, epoch s
    delivered_at: float  # when the app delivered it (its clock)
    respond_by: float
    parties: dict[str, PartyState]
    #: the request's whole content, hashed (``request_digest``); absent in threads stored before it was kept
    digest: NotRequired[str]


class EntryState(TypedDict):
    """A watchlist entry's lifecycle (store ``entries``, keyed by entry id)."""

    owner: str
    status: str  # active | withdrawn | expired
    expires_at: float
    review_at: float | None
    commands: list[str]  # ids of the commands applied (the last few), so a re-sent one changes nothing
    #: when it stopped being in force (withdrawal's issued_at, or expires_at), epoch s; absent while active
    ended_at: NotRequired[float | None]


class ParkedState(TypedDict):
    """An alert waiting for the message it refers to (store ``parked``, keyed by its inbox offset).

    Bytes are kept as base64 text: the store is JSON.
    """

    waits: str | None  # message_key of the missing reference
    until: float  # epoch seconds: dead-lettered (unknown_reference) if still unresolved then
    error: str  # why it waits, for the dead letter
    region: str  # the sender region (of the topic it came on)
    value: str  # the alert as received
    topic: str  # where it came from: source topic, partition, offset, key, headers
    partition: int
    offset: int
    key: str | None
    headers: list[list[str | None]]
    timestamp_ms: int
