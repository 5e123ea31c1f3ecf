"""The alert (预警): a CAP 1.2 message plus what police practice adds, on ``rax.in.<region>.alerts``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator

from schemas.base import MULTI_LINE, ShortText, Text, UtcDatetime, WireModel, WirePart
from schemas.cap import (
    CAP_ID_PATTERN,
    CapList,
    Distribution,
    MsgType,
    Reference,
    Scope,
    Status,
    UtcOffset,
    keep_offsets,
    split_cap_list,
)
from schemas.cap_info import Info
from schemas.fields import PlateText, RegionCode
from schemas.vocab import Action, Category

__all__ = ["DSIG_NS", "REFERENCING_TYPES", "Alert", "AlertSignature", "HandlingCode", "SignatureXml"]

#: The XML-DSig namespace: the only foreign elements the CAP 1.2 XSD allows in an ``<alert>``.
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

#: One XML-DSig element of a CAP message (normally its ``<Signature>``) as canonical XML text.
SignatureXml = Annotated[str, Field(min_length=1, max_length=65_536, pattern=MULTI_LINE)]

#: Message types that are about earlier messages and so must name them in ``references``.
REFERENCING_TYPES = frozenset({MsgType.UPDATE, MsgType.CANCEL, MsgType.ACK, MsgType.ERROR})


class HandlingCode(StrEnum):
    """Handling restriction of the content, after Europol's H0–H3."""

    H0 = "H0"  # law-enforcement use, no further restriction
    H1 = "H1"  # not to be used as evidence in court without the sender's permission
    H2 = "H2"  # not to be passed on without the sender's permission
    H3 = "H3"  # other restrictions, stated in `restriction`


class AlertSignature(WirePart):
    """The issuing region's Ed25519 signature over the alert's canonical content
    (``schemas.alert_signatures``): who issued it, checkable by any recipient with the zone's keys."""

    region: RegionCode = Field(description="The region whose sign key made the signature.")
    key_id: str = Field(
        pattern=r"^[0-9a-f]{16}$", description="Id of the region's sign key (see the zone's keys)."
    )
    signed_at: UtcDatetime = Field(
        description="When it was signed, UTC (signed too): the key must have been valid then."
    )
    value: str = Field(
        pattern=r"^[A-Za-z0-9_-]{86}$", description="The 64-byte Ed25519 signature, base64url unpadded."
    )


class Alert(WireModel):
    """A CAP 1.2 alert with the RAX police fields.

    The rules the CAP XSD cannot express are enforced here: an Update, Cancel, Ack or Error names the
    messages it is about in ``references`` (and not itself, and none sent after it); a Restricted alert
    says its ``restriction``; a Private alert lists its ``addresses``; handling code H3 states the
    restriction. The alert is identified by ``(sender, identifier)``; an Update or Cancel is a new
    message with its own identifier that references the earlier ones.
    """

    identifier: str = Field(
        min_length=1,
        max_length=256,
        pattern=CAP_ID_PATTERN,
        description="CAP identifier, unique per sender; no spaces, commas, < or &.",
    )
    sender: str = Field(
        min_length=1,
        max_length=256,
        pattern=CAP_ID_PATTERN,
        description="CAP sender: globally unique id of the originator (e.g. its domain or mailbox).",
    )
    sent: UtcDatetime = Field(description="CAP sent: when the message was issued, UTC.")
    sent_offset: UtcOffset | None = Field(
        default=None,
        description="The UTC offset `sent` was written with at its source (e.g. -07:00), so the message "
        "can be written back as it came; None: UTC. Filled from `sent` when not given.",
    )
    status: Status = Field(description="CAP status: Actual, Exercise, System, Test or Draft.")
    msg_type: MsgType = Field(
        validation_alias=AliasChoices("msg_type", "msgType"),
        description="CAP msgType: Alert, Update, Cancel, Ack or Error.",
    )
    source: ShortText | None = Field(
        default=None, description="CAP source: the particular source of the message."
    )
    scope: Scope = Field(description="CAP scope: Public, Restricted or Private.")
    restriction: Text | None = Field(
        default=None,
        max_length=1000,
        validate_default=True,
        description="CAP restriction: the rule limiting distribution; required for Restricted scope and "
        "for handling code H3.",
    )
    addresses: CapList = Field(
        default=(),
        validate_default=True,
        description="CAP addresses: the intended recipients; required for Private scope.",
    )
    codes: tuple[ShortText, ...] = Field(
        default=(),
        validation_alias=AliasChoices("codes", "code"),
        description="CAP code: special handling codes.",
    )
    note: Text | None = Field(
        default=None, max_length=2000, description="CAP note: explanation, e.g. for Error."
    )
    references: tuple[Reference, ...] = Field(
        default=(),
        validate_default=True,
        description="CAP references: the earlier messages (sender, identifier, sent) this one is about; "
        "required for Update, Cancel, Ack and Error.",
    )
    incidents: CapList = Field(default=(), description="CAP incidents: names of related incidents.")
    info: tuple[Info, ...] = Field(default=(), description="CAP info blocks, one per language.")
    signatures: tuple[SignatureXml, ...] = Field(
        default=(),
        max_length=8,
        description=f"The message's XML-DSig elements ({DSIG_NS}), normally one enveloped <Signature>, "
        "each kept as received: its bytes made standalone (inherited namespace declarations written on "
        "it) and canonicalised (C14N 2.0). Not verified by RAX; see docs/decisions.md.",
    )
    distribution: Distribution | None = Field(
        default=None, description="The EDXL-DE distribution the message arrived wrapped in, if any."
    )

    sender_region: RegionCode = Field(
        description="GB/T 2260 code of the region that sent the alert; must equal its topic's region."
    )
    region_signature: AlertSignature | None = Field(
        default=None,
        description="The issuing region's Ed25519 signature over the rest of the alert (its canonical "
        "JSON without this field), kept end to end; absent: unsigned. See docs/threat-model.md.",
    )
    category: Category = Field(
        description="RAX category of the case (the vocabulary of agreements and subscriptions)."
    )
    action_code: Action | None = Field(
        default=None,
        description="What the sender asks recipients to do about the vehicles or persons concerned.",
    )
    handling_code: HandlingCode = Field(
        default=HandlingCode.H0,
        validate_default=True,
        description="Handling restriction (Europol H0–H3): H0 law-enforcement use; H1 not as evidence "
        "without permission; H2 not passed on without permission; H3 see `restriction`.",
    )
    plates: tuple[PlateText, ...] = Field(
        default=(),
        description="Plates concerned, normalised (exact plates; partial plates go on the watchlist).",
    )
    target_regions: tuple[RegionCode, ...] = Field(
        default=(),
        description="Regions the sender wants to reach; empty = whoever the zone's agreements and "
        "subscriptions allow. Never widens what agreements allow.",
    )

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the alert: (sender, identifier)."""
        return (self.sender, self.identifier)

    def as_reference(self) -> Reference:
        """This alert as a CAP reference, for the Update or Cancel that follows it."""
        return Reference(sender=self.sender, identifier=self.identifier, sent=self.sent)

    @model_validator(mode="before")
    @classmethod
    def _offsets(cls, data: Any) -> Any:
        return keep_offsets(data, "sent")

    @field_validator("restriction")
    @classmethod
    def _restriction_when_restricted(cls, restriction: str | None, info: ValidationInfo) -> str | None:
        if restriction is None and info.data.get("scope") == Scope.RESTRICTED:
            raise ValueError("required when scope is Restricted")
        return restriction

    @field_validator("addresses")
    @classmethod
    def _addresses_when_private(cls, addresses: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not addresses and info.data.get("scope") == Scope.PRIVATE:
            raise ValueError("required when scope is Private")
        return addresses

    @field_validator("references", mode="before")
    @classmethod
    def _split_references(cls, references: object) -> object:
        return split_cap_list(references)

    @field_validator("references")
    @classmethod
    def _references_when_referencing(
        cls, references: tuple[Reference, ...], info: ValidationInfo
    ) -> tuple[Reference, ...]:
        msg_type, sent = info.data.get("msg_type"), info.data.get("sent")
        if not references and msg_type in REFERENCING_TYPES:
            raise ValueError(f"required for msgType {msg_type}: name the messages it is about")
        own = (info.data.get("sender"), info.data.get("identifier"))
        for ref in references:
            if ref.key == own:
                raise ValueError(f"the message refers to itself ({ref.sender},{ref.identifier})")
            if sent is not None and ref.sent > sent:
                raise ValueError(f"refers to {ref.identifier}, sent after this message")
        return references

    @field_validator("handling_code")
    @classmethod
    def _h3_states_restriction(cls, code: HandlingCode, info: ValidationInfo) -> HandlingCode:
        if code == HandlingCode.H3 and not info.data.get("restriction"):
            raise ValueError("H3 needs the restriction stated in `restriction`")
        return code
