"""Record protection from ``cryptography``: sealing (HPKE), signatures (Ed25519), record MACs, tokens.

Pure functions, no Kafka and no files: connectors, processors and ``ops`` all call them, so they live
in ``schemas`` (which every layer may import). Keys come from the region's store (``ops.keys``) and
the zone's published ``keys`` (``schemas.keys``). Exceptions are drawn in ``schemas.crypto.errors``.
"""

from __future__ import annotations

from schemas.crypto.batches import (
    SIG_BATCH_HEADER,
    SIG_HEADER,
    SIG_KEY_HEADER,
    BatchCache,
    sign_batch,
)
from schemas.crypto.errors import CryptoError, KeyMaterialError, OpenError
from schemas.crypto.macs import (
    MAC_HEADER,
    MAC_KEY_HEADER,
    MAC_LENGTH,
    KeyedMac,
    mac_headers,
    record_mac,
    verify_record_mac,
)
from schemas.crypto.material import (
    PrivateKey,
    generate_private,
    load_private_pem,
    private_pem,
    public_key_of,
    public_record,
    raw_public,
    seal_public,
    sign_public,
)
from schemas.crypto.sealing import open_sealed, seal
from schemas.crypto.signing import SIGNATURE_LENGTH, sign, verify
from schemas.crypto.tokens import fold_lookalikes, plate_token

__all__ = [
    "MAC_HEADER",
    "MAC_KEY_HEADER",
    "MAC_LENGTH",
    "SIGNATURE_LENGTH",
    "SIG_BATCH_HEADER",
    "SIG_HEADER",
    "SIG_KEY_HEADER",
    "BatchCache",
    "CryptoError",
    "KeyMaterialError",
    "KeyedMac",
    "OpenError",
    "PrivateKey",
    "fold_lookalikes",
    "generate_private",
    "load_private_pem",
    "mac_headers",
    "open_sealed",
    "plate_token",
    "private_pem",
    "public_key_of",
    "public_record",
    "raw_public",
    "record_mac",
    "seal",
    "seal_public",
    "sign",
    "sign_batch",
    "sign_public",
    "verify",
    "verify_record_mac",
]
