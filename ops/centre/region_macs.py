"""The authentication a command centre's own records carry (acks, close commands, temporary agreements):
its region's MAC (``rax.mac``) and batch signature (``rax.sig``), from its key files, as a connector's."""

from __future__ import annotations

from pathlib import Path

from connectors.sdk import FatalError
from connectors.sdk.macs import RecordMacs
from connectors.sdk.signatures import BatchSigner, single_record_headers
from streams.runtime import Headers

__all__ = ["mac_headers_for"]


def mac_headers_for(
    mac_key: Path | None,
    region: str,
    topic: str,
    key: bytes,
    value: bytes,
    sign_keys: Path | None = None,
) -> Headers | None:
    """The headers of one record of ``region``: ``rax.mac`` under its MAC key file (``mac_key``), and a
    signature of a batch of one under its newest sign key in the key store ``sign_keys``; None with
    neither. A key that cannot be used is a ``RuntimeError`` naming why."""
    try:
        macs = RecordMacs(mac_key, region) if mac_key is not None else None
        signer = BatchSigner(sign_keys, region) if sign_keys is not None else None
        for loaded in (macs, signer):
            if loaded is not None:
                loaded.load()
    except FatalError as exc:
        raise RuntimeError(str(exc)) from None
    return single_record_headers(macs, signer, topic, key, value)
