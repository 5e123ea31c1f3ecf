"""RAX wire contracts: the pydantic models of every record, the one codec, and the topic catalogue.

Everything a producer or consumer needs is importable from here; the modules behind it are:

* ``base``, ``fields``, ``vocab``: shared base model, field types (UTC times, ids, region codes,
  plates) and vocabularies (category, action, priority, plate colour);
* ``hits``, ``watchlist``, ``alerts`` (+ ``cap``, ``cap_info``): what regions publish;
* ``matching``, ``delivery``, ``audit``, ``acks``: what processors and command centres produce;
* ``sharing``, ``zone``: agreements, subscriptions and the zone; ``disclosure``: the one agreement
  rule (``may_disclose``) every processor asks before handing data to another region;
* ``codec``: bytes <-> models (``encode``, ``decode``, ``DecodeError``); ``dlq``: dead-letter headers;
* ``topics``: topic names and keys; ``regions``, ``plates``: the region registry and plate normaliser.

Exceptions (all ``ValueError``): ``DecodeError`` (codec), ``DlqHeaderError`` (dlq), ``PlateError``
(plates), ``UnknownRegion`` (regions), ``ZoneError`` (zone, raised inside validation).
"""

from schemas import topics
from schemas.acks import FINAL_OUTCOMES, Acknowledgement, BreachStage, DeadlineBreach, Outcome, breach_id
from schemas.alerts import REFERENCING_TYPES, Alert, HandlingCode
from schemas.audit import AuditReason, AuditRecord, Decision, audit_id
from schemas.base import (
    DigestId,
    EventId,
    UtcDatetime,
    WireModel,
    WirePart,
    digest_id,
    new_event_id,
    stable_event_id,
)
from schemas.cap import (
    CapCategory,
    Certainty,
    MsgType,
    Reference,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
    ValuePair,
)
from schemas.cap_info import Area, Circle, Info, Resource
from schemas.codec import DecodeError, FieldError, decode, decode_any, decode_command, encode
from schemas.delivery import Delivery, DeliveryKind, MatchNotice, delivery_id, kind_for_alert
from schemas.disclosure import Disclosure, may_disclose
from schemas.dlq import DeadLetter, DlqHeaderError, DlqReason, DlqStage, dlq_headers, parse_dlq_headers
from schemas.fields import CheckpointTime, PlateText, PlateTypeCode, ReadPlateText, RegionCode
from schemas.hits import CHINESE_FIELD_NAMES, CheckpointHit
from schemas.matching import Match, MatchKind, match_id
from schemas.plate_pattern import is_partial, normalise_pattern, pattern_regex
from schemas.plates import Plate, PlateError, PlateKind, PlateRule, Strictness, normalise_plate, read_plate
from schemas.regions import UnknownRegion, check_region, registry
from schemas.sharing import ALL_CATEGORIES, Agreement, RedactField, Subscription, selects
from schemas.vocab import Action, Category, PlateColour, Priority, parse_colour
from schemas.watchlist import (
    MAX_TOLERANCE,
    Approval,
    PlaceCommand,
    WatchlistCommand,
    WatchlistEntry,
    WithdrawCommand,
)
from schemas.zone import TopicSettings, Zone, ZoneError, ZoneObject, ZoneRegion

__all__ = [
    "ALL_CATEGORIES",
    "CHINESE_FIELD_NAMES",
    "FINAL_OUTCOMES",
    "MAX_TOLERANCE",
    "REFERENCING_TYPES",
    "Acknowledgement",
    "Action",
    "Agreement",
    "Alert",
    "Approval",
    "Area",
    "AuditReason",
    "AuditRecord",
    "BreachStage",
    "CapCategory",
    "Category",
    "Certainty",
    "CheckpointHit",
    "CheckpointTime",
    "Circle",
    "DeadLetter",
    "DeadlineBreach",
    "Decision",
    "DecodeError",
    "Delivery",
    "DeliveryKind",
    "DigestId",
    "Disclosure",
    "DlqHeaderError",
    "DlqReason",
    "DlqStage",
    "EventId",
    "FieldError",
    "HandlingCode",
    "Info",
    "Match",
    "MatchKind",
    "MatchNotice",
    "MsgType",
    "Outcome",
    "PlaceCommand",
    "Plate",
    "PlateColour",
    "PlateError",
    "PlateKind",
    "PlateRule",
    "PlateText",
    "PlateTypeCode",
    "Priority",
    "ReadPlateText",
    "RedactField",
    "Reference",
    "RegionCode",
    "Resource",
    "ResponseType",
    "Scope",
    "Severity",
    "Status",
    "Strictness",
    "Subscription",
    "TopicSettings",
    "UnknownRegion",
    "Urgency",
    "UtcDatetime",
    "ValuePair",
    "WatchlistCommand",
    "WatchlistEntry",
    "WireModel",
    "WirePart",
    "WithdrawCommand",
    "Zone",
    "ZoneError",
    "ZoneObject",
    "ZoneRegion",
    "audit_id",
    "breach_id",
    "check_region",
    "decode",
    "decode_any",
    "decode_command",
    "delivery_id",
    "digest_id",
    "dlq_headers",
    "encode",
    "is_partial",
    "kind_for_alert",
    "match_id",
    "may_disclose",
    "new_event_id",
    "normalise_pattern",
    "normalise_plate",
    "parse_colour",
    "parse_dlq_headers",
    "pattern_regex",
    "read_plate",
    "registry",
    "selects",
    "stable_event_id",
    "topics",
]
