"""The batch signature a connector attaches (``rax.sig``) and the region signature it puts on alerts.

The key is the newest of the region's ``sign`` keys valid now in its key store (``rax keys create``:
``<store>/<region>/keys.json`` and ``<key_id>.pem``, 0600). Each produced batch is signed in chunks of
at most ``max_batch`` records (``schemas.crypto.batches``): the header of a record grows with log2 of
its chunk, the verifier's cost per record falls with the chunk.

Lifecycle: built by the runtime when ``RuntimeConfig.sign_key_store`` is set; ``load()`` at start (no
store, a key file others may read, or no sign key valid now is fatal); ``refresh()`` once per source
batch re-reads the store's index (at most every ``reload_s``), so a rotation
(``rax keys rotate``) takes effect without a restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import TypeAdapter, ValidationError

from connectors.sdk.errors import FatalError
from connectors.sdk.macs import RecordMacs
from schemas.alert_signatures import sign_alert
from schemas.alerts import Alert
from schemas.codec import decode, encode
from schemas.crypto import CryptoError, load_private_pem
from schemas.crypto.batches import sign_batch
from schemas.keys import KeyPurpose, RegionKey, current_key
from streams.runtime.macs import MacStoreError, read_private_file

__all__ = ["BatchSigner", "single_record_headers"]

log = logging.getLogger(__name__)

_RECORDS = TypeAdapter(tuple[RegionKey, ...])

Record = tuple[str, bytes | None, bytes | None]


class BatchSigner:
    """Signs the batches (and alerts) one connector produces for ``region``."""

    def __init__(self, store: Path, region: str, max_batch: int = 256, reload_s: float = 10.0) -> None:
        # the store's root (rax keys --dir) or the region's own directory in it
        self.directory = store if (store / "keys.json").exists() else store / region
        self.region, self.max_batch, self.reload_s = region, max_batch, reload_s
        self._checked = 0.0
        self._key: ed25519.Ed25519PrivateKey | None = None
        self.key_id = ""

    def _fatal(self, what: str) -> FatalError:
        return FatalError(
            f"cannot sign as {self.region} from {self.directory}: {what}",
            f"create the region's keys with `rax keys create --region {self.region}` (or rotate them) "
            "and point --sign-key at the key store",
        )

    def load(self) -> None:
        """Read the store's index and the private key to use now; raises ``FatalError``."""
        index = self.directory / "keys.json"
        try:
            records = _RECORDS.validate_json(read_private_file(index))
        except (MacStoreError, ValidationError) as exc:
            raise self._fatal(str(exc)) from None
        key = current_key(records, self.region, KeyPurpose.SIGN, datetime.now(UTC))
        if key is None:
            raise self._fatal("no sign key of the region valid now")
        if key.key_id != self.key_id:
            try:
                private = load_private_pem(read_private_file(self.directory / f"{key.key_id}.pem"))
            except (MacStoreError, CryptoError) as exc:
                raise self._fatal(str(exc)) from None
            if not isinstance(private, ed25519.Ed25519PrivateKey):
                raise self._fatal(f"key {key.key_id} is not an Ed25519 key")
            self._key, self.key_id = private, key.key_id
            log.info("signing batches as %s with key %s", self.region, key.key_id)

    def refresh(self) -> None:
        """Re-read a changed index and move to the newest valid key, at most every ``reload_s``."""
        now = time.monotonic()
        if now - self._checked < self.reload_s:
            return
        self._checked = now
        try:  # the index is small: re-read it, and the newest valid key may have changed with time
            self.load()
        except FatalError as exc:  # a store being rewritten: keep the key held
            log.warning("sign key store not reloaded, keeping the key held: %s", exc)

    def sign_alert(self, value: bytes) -> bytes:
        """A validated alert's bytes with the region's signature on it (``schemas.alert_signatures``)."""
        assert self._key is not None, "load() first"
        return encode(sign_alert(decode(value, Alert), self._key, self.region))

    def headers(self, records: Sequence[Record]) -> list[list[tuple[str, bytes]]]:
        """The signature headers of each record of one produced batch, in order."""
        assert self._key is not None, "load() first"
        out: list[list[tuple[str, bytes]]] = []
        now_ms = int(time.time() * 1000)
        for start in range(0, len(records), self.max_batch):
            chunk = records[start : start + self.max_batch]
            out += sign_batch(self._key, self.key_id, self.region, chunk, now_ms)
        return out


def single_record_headers(
    macs: RecordMacs | None, signer: BatchSigner | None, topic: str, key: bytes | None, value: bytes | None
) -> list[tuple[str, str | bytes | None]] | None:
    """The authentication of one record sent on its own (a centre's ack, command, request or alert): its
    MAC and a batch signature over it alone, as far as ``macs`` and ``signer`` are given; None with
    neither."""
    headers: list[tuple[str, str | bytes | None]] = []
    if macs is not None:
        headers += macs.headers(topic, key, value)
    if signer is not None:
        headers += signer.headers([(topic, key, value)])[0]
    return headers or None
