"""Watchlist entries (布控) and the place / withdraw (撤控) commands of ``rax.in.<region>.watchlist``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from schemas.base import EventId, ShortText, Text, UtcDatetime, WireModel, WirePart
from schemas.blind import BlindPlate
from schemas.fields import RegionCode
from schemas.plate_pattern import is_partial, normalise_pattern, pattern_warnings
from schemas.plates import PlateIssuer
from schemas.plates.lookalikes import summary as lookalike_summary
from schemas.sealed import SealedEnvelope
from schemas.vocab import Action, Category, ColourField, Priority

__all__ = [
    "MAX_TOLERANCE",
    "Approval",
    "PlaceCommand",
    "PlatePattern",
    "WatchlistCommand",
    "WatchlistEntry",
    "WithdrawCommand",
]

#: The largest misread tolerance an entry may ask for (see ``WatchlistEntry.tolerance``).
MAX_TOLERANCE = 2

#: A watchlist plate: an exact plate, or a partial plate with ``?`` (one character) and ``*`` (any run).
PlatePattern = Annotated[
    str,
    Field(min_length=1, max_length=24, examples=["川A12345", "川A?23*", "渝*88"]),
    AfterValidator(normalise_pattern),
]


def _any_issuer(raw: str) -> str:
    # the field on its own: a pattern of any issuer; the entry then checks the issuer it states
    try:
        return normalise_pattern(raw)
    except ValueError as exc:
        try:
            return normalise_pattern(raw, PlateIssuer.HONG_KONG)
        except ValueError:
            raise exc from None


#: The plate of an entry: a ``PlatePattern`` whose issuer the entry checks (``plate_issuer``).
_EntryPlate = Annotated[
    str,
    Field(min_length=1, max_length=24, examples=["川A12345", "川A?23*", "渝*88"]),
    AfterValidator(_any_issuer),
]


class Approval(WirePart):
    """Who approved a placement or a withdrawal (审批), as recorded in the owner's system."""

    unit: ShortText = Field(description="Approving unit (审批单位).")
    approver: ShortText = Field(description="Name or police number of the approving officer (审批人).")
    approved_at: UtcDatetime = Field(description="When it was approved, UTC.")
    reference: ShortText = Field(description="Reference of the approval document (审批文号).")


class WatchlistEntry(WireModel):
    """A plate an owner region wants found, with what to do when it is.

    Placed by a ``PlaceCommand`` (a later place with the same ``entry_id`` replaces the entry), kept on
    the compacted ``rax.watchlist`` topic while active, removed (tombstone) by a ``WithdrawCommand`` or
    when ``expires_at`` passes.
    """

    entry_id: EventId = Field(
        description="Id of the entry (UUID), chosen by the owner and stable over its life: the key of "
        "rax.watchlist. Derive it from the owner's own reference with schemas.base.stable_event_id."
    )
    owner: RegionCode = Field(description="GB/T 2260 code of the region that placed the entry.")
    operator: ShortText = Field(description="Police number or id of the officer who placed it.")
    approval: Approval = Field(description="The approval of the placement.")
    category: Category = Field(description="What the entry is about; agreements are written in these.")
    action: Action = Field(description="What the owner asks a region to do when the vehicle is found.")
    priority: Priority = Field(description="How urgently the owner needs an answer.")
    plate_issuer: PlateIssuer | None = Field(
        default=None,
        description="Who issued the plate sought: mainland, hong_kong or macau; absent = whatever its form "
        "says. Required (hong_kong) for a Hong Kong personalised mark such as 1L0VEU: almost any short "
        "Latin text (THE, TBD, xxx) has that form, so without it such a plate is refused as a likely "
        "placeholder or typo. When given, the plate must be one of that issuer.",
    )
    plate: _EntryPlate | None = Field(
        default=None,
        description="The plate sought: an exact plate (normalised on input; any real plate, see "
        "plate_warnings and plate_issuer), or a partial plate from a witness with '?' for one unknown "
        "character and '*' for any run (at least 3 known characters). Absent exactly when `blind`.",
    )
    blind: BlindPlate | None = Field(
        default=None,
        description="A blind entry: the plate as tokens under the zone's matching key instead of `plate` "
        "(docs/threat-model.md). Its description and plate travel only in `sealed_details`.",
    )
    sealed_details: tuple[SealedEnvelope, ...] = Field(
        default=(),
        max_length=64,
        description="A blind entry's details (plate, description) sealed by the owner to each partner its "
        "agreements entitle, with that agreement's redactions; the matcher forwards them unopened.",
    )
    plate_warnings: tuple[ShortText, ...] = Field(
        default=(),
        validate_default=True,
        json_schema_extra={"readOnly": True},
        description="What the owner should check about the plate, each '<code>: <sentence>': an issuing "
        "rule real plates break (serial_letters: 3 letters in the serial), a Hong Kong personalised mark "
        "(hong_kong_personalised). Derived from `plate`; a value sent is replaced.",
    )
    plate_colour: ColourField | None = Field(
        default=None, description="Colour of the plate sought; absent when unknown (then any colour matches)."
    )
    tolerance: int = Field(
        default=0,
        ge=0,
        le=MAX_TOLERANCE,
        description="How many characters of a read may differ from the plate and still match, each only "
        f"within an OCR look-alike class ({lookalike_summary()}). 0 = exact only. Such a match is "
        "reported as a misread with its number of edits, for a person to verify. For a partial plate it "
        "applies to the known characters.",
    )
    legal_basis: Text = Field(max_length=1000, description="The legal basis of the placement.")
    description: Text | None = Field(
        default=None,
        max_length=1000,
        description="What the vehicle looks like (brand, colour, marks), to verify.",
    )
    scope: tuple[RegionCode, ...] = Field(
        default=(),
        description="Regions where the entry applies (布控范围); empty = the whole zone. A province "
        "includes its cities and counties.",
    )
    placed_at: UtcDatetime = Field(description="When the entry was placed, UTC.")
    expires_at: UtcDatetime = Field(description="When the entry expires (布控到期时间), UTC; required.")
    review_at: UtcDatetime | None = Field(
        default=None, description="When the owner must review whether the entry is still needed, UTC."
    )

    @property
    def is_partial(self) -> bool:
        """True for a partial (wildcard) plate."""
        return self.plate is not None and is_partial(self.plate)

    def details_for(self, recipient: str) -> SealedEnvelope | None:
        """A blind entry's details sealed to ``recipient``, if the owner sealed them any."""
        return next((d for d in self.sealed_details if d.recipient == recipient), None)

    @model_validator(mode="after")
    def _plate_or_blind(self) -> WatchlistEntry:
        if (self.plate is None) == (self.blind is None):
            raise ValueError("plate: an entry has either a plate or blind tokens, exactly one")
        if self.blind is not None:
            if self.description is not None:
                raise ValueError("description: a blind entry's description travels in sealed_details only")
            tokens = (bool(self.blind.misread_1), bool(self.blind.misread_2))
            if tokens != (self.tolerance >= 1, self.tolerance >= 2):
                raise ValueError("blind: an entry carries misread tokens up to its tolerance, no more")
        elif self.sealed_details:
            raise ValueError("sealed_details: only a blind entry carries sealed details")
        recipients = [d.recipient for d in self.sealed_details]
        if len(set(recipients)) != len(recipients):
            raise ValueError("sealed_details: one envelope per recipient")
        return self

    def is_active(self, at: datetime) -> bool:
        """True if the entry applies at ``at`` (placed and not yet expired)."""
        return self.placed_at <= at < self.expires_at

    @field_validator("plate")
    @classmethod
    def _normalise_plate(cls, plate: str | None, info: ValidationInfo) -> str | None:
        return None if plate is None else normalise_pattern(plate, info.data.get("plate_issuer"))

    @field_validator("plate_warnings")
    @classmethod
    def _derive_warnings(cls, _sent: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        plate = info.data.get("plate")
        return pattern_warnings(plate, info.data.get("plate_issuer")) if isinstance(plate, str) else ()

    @field_validator("scope")
    @classmethod
    def _scope_unique(cls, scope: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(scope)) != len(scope):
            raise ValueError("lists a region more than once")
        return scope

    @field_validator("expires_at")
    @classmethod
    def _expires_after_placed(cls, expires_at: datetime, info: ValidationInfo) -> datetime:
        placed_at = info.data.get("placed_at")
        if placed_at is not None and expires_at <= placed_at:
            raise ValueError("must be after placed_at")
        return expires_at

    @field_validator("review_at")
    @classmethod
    def _review_within_life(cls, review_at: datetime | None, info: ValidationInfo) -> datetime | None:
        placed_at, expires_at = info.data.get("placed_at"), info.data.get("expires_at")
        if review_at is None or placed_at is None or expires_at is None:
            return review_at
        if not placed_at <= review_at <= expires_at:
            raise ValueError("must lie between placed_at and expires_at")
        return review_at


class PlaceCommand(WireModel):
    """Place (or replace) a watchlist entry; published by the owner on its watchlist input topic."""

    op: Literal["place"] = Field(default="place", description="The command: place.")
    command_id: EventId = Field(description="Id of this command (UUID), identical on every re-send.")
    issued_at: UtcDatetime = Field(description="When the owner issued the command, UTC.")
    entry: WatchlistEntry = Field(description="The entry to place.")

    @property
    def region(self) -> str:
        """The region that issued the command (must equal the region of its topic)."""
        return self.entry.owner


class WithdrawCommand(WireModel):
    """Withdraw a watchlist entry everywhere (撤控); has its own approval."""

    op: Literal["withdraw"] = Field(default="withdraw", description="The command: withdraw.")
    command_id: EventId = Field(description="Id of this command (UUID), identical on every re-send.")
    issued_at: UtcDatetime = Field(description="When the owner issued the command, UTC.")
    entry_id: EventId = Field(description="The entry to withdraw.")
    owner: RegionCode = Field(description="The owner of the entry; only the owner may withdraw it.")
    operator: ShortText = Field(description="Police number or id of the officer who withdrew it.")
    approval: Approval = Field(description="The approval of the withdrawal.")
    reason: Text = Field(max_length=1000, description="Why the entry is withdrawn (found, error, closed).")

    @property
    def region(self) -> str:
        """The region that issued the command (must equal the region of its topic)."""
        return self.owner


#: A watchlist command, told apart by ``op``; decode with ``schemas.codec.decode_command``.
WatchlistCommand = Annotated[PlaceCommand | WithdrawCommand, Field(discriminator="op")]
