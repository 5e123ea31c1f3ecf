"""Blind watchlist entries: the zone's matching keys, an entry's plate tokens, and the tokens of a read.

A blind entry carries ``BlindPlate`` instead of a plate: keyed tokens (``schemas.crypto.plate_token``)
under one of the zone's **matching keys**, 32-byte secrets held only by the owners' connectors and the
matcher's secret store (files 0600, never in Kafka, never in the zone). The matcher computes the same
tokens of every read and compares: an equal exact token is an exact match, an equal folded token (the
look-alike classes folded) a misread. A matching-key file is the JSON list of the zone's keys,
``dump_matching_keys`` / ``load_matching_keys``; rotation as for the other keys: a new key valid from
now, entries re-placed under it, the old one kept until they are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import random
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Final

from pydantic import (
    Field,
    FieldSerializationInfo,
    SecretStr,
    TypeAdapter,
    field_serializer,
    model_validator,
)

from schemas.base import UtcDatetime, WirePart
from schemas.crypto.tokens import plate_token
from schemas.keys import KeyId
from schemas.plates.lookalikes import lookalikes_of

__all__ = [
    "MATCHING_KEY_BYTES",
    "MISREAD_TOKENS",
    "BlindPlate",
    "MatchingKey",
    "PlateToken",
    "blind_plate",
    "dump_matching_keys",
    "load_matching_keys",
    "lookalike_variants",
    "new_matching_key",
]

#: a matching key is 32 random bytes
MATCHING_KEY_BYTES: Final = 32

_ID_LABEL: Final = b"rax.matching-key-id.v1\x00"
_REVEAL: Final = "reveal_secrets"

#: a plate token: 128 bits of HMAC-SHA256, lowercase hex
PlateToken = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="A blind plate token (hex).")]


def matching_key_id(secret: bytes) -> str:
    """The id of a matching key: 16 hex characters of SHA-256 over a label and the secret."""
    return hashlib.sha256(_ID_LABEL + secret).hexdigest()[:16]


class MatchingKey(WirePart):
    """One of the zone's matching keys (blind tokens), with its validity; an entry of a key file."""

    key_id: KeyId = Field(description="First 16 hex characters of SHA-256 over a label and the secret.")
    secret: SecretStr = Field(description="The 32-byte key, standard base64; never logged, never in Kafka.")
    valid_from: UtcDatetime = Field(description="From when owners may place entries under it, UTC.")

    @property
    def raw(self) -> bytes:
        """The secret's 32 bytes."""
        return base64.b64decode(self.secret.get_secret_value(), validate=True)

    @field_serializer("secret")
    def _secret(self, secret: SecretStr, info: FieldSerializationInfo) -> SecretStr | str:
        return secret.get_secret_value() if (info.context or {}).get(_REVEAL) else secret

    @model_validator(mode="after")
    def _consistent(self) -> MatchingKey:
        try:
            raw = self.raw
        except (binascii.Error, ValueError):
            raise ValueError("secret is not standard base64") from None
        if len(raw) != MATCHING_KEY_BYTES:
            raise ValueError(f"secret must be {MATCHING_KEY_BYTES} bytes, got {len(raw)}")
        if matching_key_id(raw) != self.key_id:
            raise ValueError(f"key_id {self.key_id} does not match the secret")
        return self


def new_matching_key(valid_from: datetime) -> MatchingKey:
    """A fresh matching key from the operating system's CSPRNG."""
    raw = secrets.token_bytes(MATCHING_KEY_BYTES)
    secret = SecretStr(base64.b64encode(raw).decode("ascii"))
    return MatchingKey(key_id=matching_key_id(raw), secret=secret, valid_from=valid_from)


_LIST = TypeAdapter(tuple[MatchingKey, ...])


def dump_matching_keys(keys: Iterable[MatchingKey]) -> bytes:
    """A matching-key file's bytes, secrets included (write it 0600)."""
    return _LIST.dump_json(tuple(keys), indent=2, context={_REVEAL: True})


def load_matching_keys(data: bytes) -> tuple[MatchingKey, ...]:
    """The keys of a matching-key file; raises ``pydantic.ValidationError`` for anything else."""
    return _LIST.validate_json(data)


#: how many misread tokens a blind entry publishes per number of look-alike substitutions (1, 2): its
#: real variants, shuffled, padded with random tokens, so the count says nothing of the plate
MISREAD_TOKENS: Final = {1: 64, 2: 1024}


class BlindPlate(WirePart):
    """The plate of a blind entry as tokens: the matcher compares, nobody without the key reads it.

    ``exact`` is the token of the plate; ``misread_1`` / ``misread_2`` the tokens of every plate one /
    two look-alike substitutions away (``schemas.plates.lookalikes``, the province class included) —
    present up to the entry's tolerance, shuffled and padded to a fixed count. A read is tokenised once
    (one HMAC) and looked up among all three: the same misreads as the clear matcher's, with their
    number of substitutions, and no more.
    """

    key_id: KeyId = Field(description="The matching key the tokens were made with.")
    exact: PlateToken = Field(description="Token of the exact normalised plate: an exact match.")
    misread_1: tuple[PlateToken, ...] = Field(
        default=(),
        max_length=MISREAD_TOKENS[1],
        description="Tokens of the plates one look-alike substitution away (tolerance >= 1), padded.",
    )
    misread_2: tuple[PlateToken, ...] = Field(
        default=(),
        max_length=MISREAD_TOKENS[2],
        description="Tokens of the plates two look-alike substitutions away (tolerance 2), padded.",
    )


def lookalike_variants(plate: str, substitutions: int) -> set[str]:
    """Every plate exactly ``substitutions`` look-alike substitutions away from ``plate`` (1 or 2)."""
    options = [(i, [c for c in lookalikes_of(ch) if c != ch]) for i, ch in enumerate(plate)]
    options = [(i, alts) for i, alts in options if alts]
    out: set[str] = set()
    for combo in itertools.combinations(options, substitutions):
        for chars in itertools.product(*(alts for _, alts in combo)):
            variant = list(plate)
            for (i, _), c in zip(combo, chars, strict=True):
                variant[i] = c
            out.add("".join(variant))
    return out


def blind_plate(key: MatchingKey, plate: str, tolerance: int) -> BlindPlate:
    """The tokens of a normalised exact ``plate`` under ``key`` for an entry of ``tolerance``.

    Raises ValueError for a partial pattern (no single plate to hash).
    """
    if "?" in plate or "*" in plate:
        raise ValueError("a partial plate cannot be blind: a pattern has no single form to hash")
    raw = key.raw
    misreads: dict[int, tuple[str, ...]] = {}
    for n in range(1, tolerance + 1):
        tokens = [plate_token(raw, v, exact=True) for v in lookalike_variants(plate, n)]
        if len(tokens) > MISREAD_TOKENS[n]:
            raise ValueError(
                f"{plate} has {len(tokens)} variants at {n} substitutions (at most {MISREAD_TOKENS[n]})"
            )
        tokens += [secrets.token_hex(16) for _ in range(MISREAD_TOKENS[n] - len(tokens))]
        random.SystemRandom().shuffle(tokens)
        misreads[n] = tuple(tokens)
    return BlindPlate(
        key_id=key.key_id,
        exact=plate_token(raw, plate, exact=True),
        misread_1=misreads.get(1, ()),
        misread_2=misreads.get(2, ()),
    )
