"""Batch signatures on input: the zone's published sign keys and the check of each record's ``rax.sig``.

The keys come from a file of the zone's published keys (the zone file with its ``keys:``, or the output
of ``rax keys export``, YAML or JSON), re-read when it changes, or from the zone on ``rax.zone``
(``ZoneTopicSignKeys``), followed as it changes. The check (``BatchVerifier.problem``)
applies to records of ``<ns>.in.<region>.*`` topics only: the signature must be by a ``sign`` key of
the topic's region valid when the batch was signed (the signing time is inside the signed data), over
the Merkle root the record and its path lead to (``schemas.crypto.batches``). Each batch's signature is
verified once; its tree's nodes are then known (``BatchCache``), so the batch's other records cost a
leaf hash and the hashes up to a known node, not an Ed25519 verify. A record
that fails is *forged*: the loop's screen dead-letters it before any processor sees it.

Lifecycle: ``ZoneSignKeys(path).load()`` at start (``SignKeysError`` is fatal: no file, a broken one);
``refresh()`` each batch re-reads the file at most every ``reload_s`` when it changed, keeping the keys
it had if the new file is broken (logged).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml
from confluent_kafka import Message
from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import TypeAdapter, ValidationError

from schemas.crypto import sign_public
from schemas.crypto.batches import (
    SIG_BATCH_HEADER,
    SIG_HEADER,
    SIG_KEY_HEADER,
    BatchCache,
    batch_message,
    decode_signature,
    leaf_hash,
    parse_batch_header,
)
from schemas.keys import KeyPurpose, RegionKey
from schemas.topics import Catalogue
from streams.runtime.clients import ClientFactory
from streams.runtime.macs import CLOCK_SKEW_S
from streams.runtime.settings import RuntimeSettings, SigPolicy
from streams.runtime.tables import GlobalTables, newer_zone

__all__ = [
    "SIG_CAUSES",
    "BatchVerifier",
    "SignKeysError",
    "ZoneSignKeys",
    "ZoneTopicSignKeys",
    "read_zone_keys",
    "verifier_for",
]

log = logging.getLogger(__name__)

#: why a record's signature fails: the bounded values the forged metric's ``cause`` label adds
SIG_CAUSES: Final = ("sig_missing", "sig_malformed", "sig_unknown_key", "bad_signature")

_KEYS = TypeAdapter(tuple[RegionKey, ...])


class SignKeysError(RuntimeError):
    """The zone's key file cannot be used (fatal at start); the message says what to fix."""


def read_zone_keys(path: Path) -> tuple[RegionKey, ...]:
    """The keys of a zone file (its ``keys:``), of ``rax keys export`` output, or of a JSON list."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SignKeysError(f"cannot read the zone's keys {path}: {exc}") from None
    if isinstance(data, dict):
        data = data.get("keys", [])
    try:
        return _KEYS.validate_python(data or [])
    except ValidationError as exc:
        raise SignKeysError(f"{path} is not a list of the zone's key records: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Key:
    public: ed25519.Ed25519PublicKey
    valid_from_ms: float
    valid_until_ms: float


class ZoneSignKeys:
    """Every region's published ``sign`` keys, by region and key id (ASCII bytes, as in headers)."""

    def __init__(self, path: Path, reload_s: float = 10.0) -> None:
        self.path, self.reload_s = path, reload_s
        self._keys: dict[str, dict[bytes, _Key]] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self.generation = 0  # counts the loads: what was verified under older keys is verified again

    def load(self) -> None:
        """Read the file; raises ``SignKeysError`` (nothing is changed then)."""
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise SignKeysError(f"cannot read the zone's keys {self.path}: {exc}") from None
        self._use(read_zone_keys(self.path), str(self.path))
        self._stamp, self._checked = (stat.st_mtime_ns, stat.st_size), time.monotonic()

    def _use(self, records: Iterable[RegionKey], source: str) -> None:
        """Hold the ``sign`` keys of ``records`` in place of those held."""
        keys: dict[str, dict[bytes, _Key]] = {}
        for k in records:
            if k.purpose is not KeyPurpose.SIGN:
                continue
            until = k.valid_until.timestamp() * 1000 if k.valid_until is not None else math.inf
            start = (k.valid_from.timestamp() - CLOCK_SKEW_S) * 1000
            keys.setdefault(k.region, {})[k.key_id.encode("ascii")] = _Key(sign_public(k), start, until)
        self._keys = keys
        self.generation += 1
        log.info("sign keys of %d regions loaded from %s", len(keys), source)

    def refresh(self) -> None:
        """Re-read the file if it changed, at most every ``reload_s``; keep the old keys on error."""
        now = time.monotonic()
        if now - self._checked < self.reload_s:
            return
        self._checked = now
        try:
            stat = self.path.stat()
            if (stat.st_mtime_ns, stat.st_size) != self._stamp:
                self.load()
        except (OSError, SignKeysError) as exc:
            log.error("zone's sign keys not reloaded, keeping the keys held: %s", exc)

    def catch_up(self) -> bool:
        """Fetch keys published since the last refresh, if the source allows waiting for them; True if
        something new was applied. A file is re-read on its own schedule: nothing to do here."""
        return False

    def regions(self) -> tuple[str, ...]:
        """The regions that have sign keys, sorted."""
        return tuple(sorted(self._keys))

    def key(self, region: str, key_id: bytes, at_ms: int) -> ed25519.Ed25519PublicKey | None:
        """``region``'s sign key ``key_id`` if it was valid at ``at_ms`` (epoch ms), else None."""
        key = self._keys.get(region, {}).get(key_id)
        if key is None or not key.valid_from_ms <= at_ms < key.valid_until_ms:
            return None
        return key.public


class ZoneTopicSignKeys(ZoneSignKeys):
    """The sign keys the zone publishes on ``rax.zone`` (its highest revision), followed as it changes:
    a rotation published with ``rax zone apply`` reaches the processors without a file to copy.

    Lifecycle: ``load()`` reads the zone topic to its end (``SignKeysError`` if it holds no zone);
    ``refresh()`` each batch applies what arrived; ``close()`` at the end.
    """

    #: at most one wait per this many seconds, so records under a key nobody published (a forger's)
    #: cannot stall the loop
    CATCH_UP_EVERY_S: float = 1.0
    CATCH_UP_WAIT_S: float = 0.5

    def __init__(self, factory: ClientFactory, catalogue: Catalogue, group: str) -> None:
        super().__init__(Path(catalogue.zone))
        self._topic = catalogue.zone
        self._tables = GlobalTables(factory, [catalogue.zone], self._apply, group)
        self._revision = -1
        self._caught_up = 0.0

    def _apply(self, msg: Message) -> None:
        obj = newer_zone(msg.value(), self._revision)  # not a zone: logged by the table, keys kept
        if obj is not None:
            self._revision = obj.revision
            self._use(obj.zone.keys, f"{self._topic} revision {obj.revision}")

    def load(self) -> None:
        self._tables.load()
        if self._revision < 0:
            raise SignKeysError(f"{self._topic} holds no zone: apply one first (rax zone apply)")

    def refresh(self) -> None:
        self._tables.poll()  # what the consumer fetched meanwhile; a few µs when nothing came

    def catch_up(self) -> bool:
        """Wait (briefly, at most once a second) for a zone published since the last refresh: a record
        under a key the zone published a moment ago is then verified, not refused ``sig_unknown_key``."""
        now = time.monotonic()
        if now - self._caught_up < self.CATCH_UP_EVERY_S:
            return False
        self._caught_up = now
        generation = self.generation
        self._tables.poll(10_000, self.CATCH_UP_WAIT_S)
        return self.generation != generation

    def close(self) -> None:
        self._tables.close()


class BatchVerifier:
    """Decides, per input record, whether its batch signature makes it forged under the policy."""

    def __init__(self, policy: SigPolicy, keys: ZoneSignKeys, catalogue: Catalogue) -> None:
        self.policy, self.keys = policy, keys
        self.cache = BatchCache()
        self._tags: dict[str, bytes] = {}  # region -> its prefix of the cache's nodes
        self._generation = keys.generation
        self._prefix, self._catalogue = catalogue.in_prefix, catalogue
        self._regions: dict[str, str | None] = {}

    def region_of(self, topic: str) -> str | None:
        """The region of a ``<ns>.in.<region>.*`` topic, None for every other topic (cached)."""
        if topic not in self._regions:
            parsed = self._catalogue.parse_region_topic(topic) if topic.startswith(self._prefix) else None
            self._regions[topic] = parsed[0] if parsed else None
        return self._regions[topic]

    def problem(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Any, now: float
    ) -> tuple[str, str] | None:
        """None for a record whose signature verifies (or is not checked), else (cause, error)."""
        region = self.region_of(topic)
        if region is None or self.policy is SigPolicy.OFF:
            return None
        if self.keys.generation != self._generation:  # a key may have been revoked: verify again
            self.cache.clear()
            self._generation = self.keys.generation
        sig = kid = batch = None
        twice = False
        for name, data in headers or ():
            if name == SIG_HEADER:
                twice, sig = twice or sig is not None, data
            elif name == SIG_KEY_HEADER:
                twice, kid = twice or kid is not None, data
            elif name == SIG_BATCH_HEADER:
                twice, batch = twice or batch is not None, data
        if sig is None and kid is None and batch is None:
            if self.policy is SigPolicy.REQUIRED:
                return "sig_missing", (
                    f"no {SIG_HEADER} header: the zone requires every record of {region} to carry its "
                    f"batch signature (give the connector --sign-key)"
                )
            return None
        proof = parse_batch_header(_bytes(batch)) if batch else None
        if twice or proof is None or not sig or not kid:
            return "sig_malformed", (
                f"a signed record carries one {SIG_HEADER} (base64url), one {SIG_KEY_HEADER} and one "
                f"{SIG_BATCH_HEADER} (<signed ms>.<size>.<index>.<path>) header"
            )
        cache, tag = self.cache, self._tags.get(region) or self._tag(region)
        known, climbed = cache.climb(tag, leaf_hash(topic, key, value), proof)
        if known:  # a node of a batch of this region already verified: no signature check needed
            return None
        kid = _bytes(kid)
        public = self.keys.key(region, kid, proof.signed_at_ms)
        if public is None and self.keys.catch_up():  # a zone published a moment ago: its keys count
            public = self.keys.key(region, kid, proof.signed_at_ms)
        if public is None:
            shown = kid[:32].decode("ascii", errors="replace")
            return "sig_unknown_key", (
                f"{shown!r} is not a sign key of {region} in the zone valid when the batch was signed: "
                f"an unknown, expired or not yet published key (`rax keys export` into the zone)"
            )
        if proof.signed_at_ms > (now + CLOCK_SKEW_S) * 1000:
            return "bad_signature", f"the batch claims to be signed in the future ({proof.signed_at_ms} ms)"
        signature = decode_signature(_bytes(sig))
        if signature is None:
            return "sig_malformed", f"{SIG_HEADER} is not a base64url Ed25519 signature (86 characters)"
        if not climbed or not cache.verified(
            public,
            signature,
            tag,
            batch_message(region, proof.signed_at_ms, proof.size, climbed[-1]),
            climbed,
        ):
            shown = kid.decode("ascii", errors="replace")
            return "bad_signature", (
                f"the batch signature does not verify under {region}'s key {shown} for this record: "
                "changed, moved from another batch, or forged"
            )
        return None

    def _tag(self, region: str) -> bytes:
        self._tags[region] = tag = region.encode("ascii") + b"\x00"
        return tag


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def verifier_for(
    settings: RuntimeSettings, catalogue: Catalogue, factory: ClientFactory, group: str
) -> BatchVerifier | None:
    """The loop's batch verifier for ``settings``, or None when signatures are not checked; the keys from
    ``settings.sign_keys``, or from ``rax.zone`` (``sign_keys_from_zone``, read as ``group``)."""
    if settings.sig is SigPolicy.OFF:
        return None
    if settings.sign_keys is not None:
        return BatchVerifier(settings.sig, ZoneSignKeys(settings.sign_keys), catalogue)
    if settings.sign_keys_from_zone:
        return BatchVerifier(settings.sig, ZoneTopicSignKeys(factory, catalogue, group), catalogue)
    return None
