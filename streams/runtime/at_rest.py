"""The processors' own topics sealed at rest: which topics, sealing what a processor sends there, opening
what it reads from them.

The processors' own topics are those only processors write and read: the internal ``<ns>-*`` topics
(changelogs, the control and escalate inboxes), ``<ns>.matches`` and ``<ns>.watchlist`` (the entries
the control app accepted, which the hot path loads; its keys, entry ids, stay clear: a tombstone must
name the entry it removes to a reader that keeps no token of it). With an at-rest key
(``--rest-key FILE``, ``schemas.crypto.at_rest``) the loop seals every record it sends to them (store
changes are sealed by ``Stores``) and opens every sealed record it reads from them before the processor
sees it. A dead letter of an opened record keeps the bytes as they were on the topic (sealed).

A clear record on such a topic (written before the key was given) is passed on and counted, so an
exchange can switch the key on without draining its topics; a sealed record that does not open, or one
read by a processor without the key, is dead-lettered: it is never handed over half-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.crypto.at_rest import AtRestCipher, RestKeys, is_sealed_at_rest
from schemas.crypto.errors import OpenError
from schemas.topics import Catalogue
from streams.runtime.macs import read_private_file
from streams.runtime.records import Outgoing, Record

__all__ = ["OpenedRecord", "RestProtection", "load_rest_keys", "rest_protection"]


def rest_protection(rest_key: Path | None, catalogue: Catalogue) -> RestProtection:
    """The at-rest rule of a processor given ``--rest-key`` (None: it holds no key)."""
    return RestProtection(AtRestCipher(load_rest_keys(rest_key)) if rest_key else None, catalogue)


def load_rest_keys(path: Path) -> RestKeys:
    """The at-rest key file at ``path``; raises ``MacStoreError`` (a file others may read, or unreadable)
    or ``ValueError`` (not such a file)."""
    try:
        return RestKeys.model_validate_json(read_private_file(path))
    except ValidationError as exc:
        raise ValueError(f"{path} is not an at-rest key file: {exc}") from None


@dataclass(frozen=True, slots=True)
class OpenedRecord(Record):
    """A record of a sealed topic, opened: the processor reads the clear key and value, a dead letter
    takes ``wire`` (the key and value as they are on the topic)."""

    _wire_key: bytes | None = None
    _wire_value: bytes | None = None

    def wire(self) -> tuple[bytes | None, bytes | None]:
        return self._wire_key, self._wire_value


class RestProtection:
    """The at-rest rule of one processor: its cipher (None: it holds no key) and the topics it covers."""

    def __init__(self, cipher: AtRestCipher | None, catalogue: Catalogue) -> None:
        self.cipher = cipher
        self._internal = catalogue.internal_prefix
        self._shared = {catalogue.matches, catalogue.watchlist}
        self._clear_keys = {catalogue.watchlist}  # entry ids: not secret, and tombstones must name them
        self._covered: dict[str, bool] = {}

    def covers(self, topic: str) -> bool:
        """Whether ``topic`` is one of the processors' own topics (cached per topic)."""
        covered = self._covered.get(topic)
        if covered is None:
            covered = self._covered[topic] = topic.startswith(self._internal) or topic in self._shared
        return covered

    def _tokenised(self, topic: str) -> bool:
        return self.cipher is not None and self.covers(topic) and topic not in self._clear_keys

    def wire_key(self, topic: str, key: bytes) -> bytes:
        """``key`` as it is written to ``topic`` (its token on a sealed topic): what the partitioner
        hashes, for a processor that computes a record's partition itself."""
        return self.cipher.token(key) if self.cipher is not None and self._tokenised(topic) else key

    def sealed(self, out: Outgoing) -> Outgoing:
        """``out`` as it is sent: sealed if its topic is covered and the processor holds a key."""
        cipher = self.cipher
        if cipher is None or (out.value is None and out.key is None) or not self.covers(out.topic):
            return out
        wire = out.key if out.key is None or not self._tokenised(out.topic) else cipher.token(out.key)
        value = None if out.value is None else cipher.seal(out.topic, wire, out.key, out.value)
        return Outgoing(out.topic, wire, value, out.headers, out.partition)

    def opened(self, m: Any) -> tuple[Any, str | None]:
        """(the record to process, None), or (None, why it cannot be opened) for a sealed record; a clear
        record, or one of another topic, is returned as it is."""
        topic = m.topic() or ""
        value = m.value()
        if not self.covers(topic) or not is_sealed_at_rest(value):
            return m, None
        if self.cipher is None:
            return None, (
                f"{topic} is sealed at rest and this processor holds no at-rest key: "
                "give it the processors' key file (--rest-key)"
            )
        try:
            key, clear = self.cipher.open(topic, m.key(), value)
        except OpenError as exc:
            return None, f"a record of {topic} sealed at rest does not open: {exc}"
        return OpenedRecord(
            topic,
            clear,
            m.offset() or 0,
            m.partition() or 0,
            key,
            list(m.headers() or ()),
            m.timestamp()[1],
            m.key(),
            value,
        ), None
