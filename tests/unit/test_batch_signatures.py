"""Batch signatures: a connector signs each batch once, the loop's screen checks each record on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from ops.cli import main
from schemas.crypto import generate_private, public_record
from schemas.crypto.batches import (
    SIG_BATCH_HEADER,
    SIG_HEADER,
    leaf_hash,
    merkle_paths,
    parse_batch_header,
    root_from_path,
    sign_batch,
)
from schemas.dlq import parse_dlq_headers
from schemas.keys import KeyPurpose, RegionKey
from schemas.topics import Catalogue
from streams.runtime import Record, RuntimeSettings, StreamLoop
from streams.runtime.settings import SigPolicy
from streams.runtime.signatures import BatchVerifier, ZoneSignKeys, read_zone_keys

CAT = Catalogue("rax")
REGION = "510000"
HITS = CAT.in_hits(REGION)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _key(region: str = REGION, start: datetime = T0, until: datetime | None = None) -> tuple[Any, RegionKey]:
    private = generate_private(KeyPurpose.SIGN)
    return private, public_record(region, private, start, until)


def _zone_file(tmp_path: Path, *records: RegionKey) -> Path:
    path = tmp_path / "zone-keys.json"
    path.write_bytes(orjson.dumps([r.model_dump(mode="json") for r in records]))
    return path


def _verifier(tmp_path: Path, *records: RegionKey, policy: SigPolicy = SigPolicy.REQUIRED) -> BatchVerifier:
    keys = ZoneSignKeys(_zone_file(tmp_path, *records), reload_s=0)
    keys.load()
    return BatchVerifier(policy, keys, CAT)


def _batch(
    private: ed25519.Ed25519PrivateKey, record: RegionKey, n: int, at: datetime, tag: str = "v"
) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    records = [(HITS, f"k{i}".encode(), f"{tag}{i}".encode()) for i in range(n)]
    headers = sign_batch(private, record.key_id, record.region, records, _ms(at))
    return [(k, v, h) for (_, k, v), h in zip(records, headers, strict=True)]


def _cause(verifier: BatchVerifier, topic: str, k: bytes, v: bytes, h: Any, now: float) -> str | None:
    problem = verifier.problem(topic, k, v, h, now)
    return None if problem is None else problem[0]


# ---- the tree ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 100, 257])
def test_every_leaf_and_its_path_lead_to_the_root_and_no_other_index_does(n: int) -> None:
    leaves = [leaf_hash(HITS, str(i).encode(), b"v") for i in range(n)]
    root, paths = merkle_paths(leaves)
    assert max(len(p) for p in paths) == (n - 1).bit_length()  # O(log N) per record
    for i, path in enumerate(paths):
        assert root_from_path(leaves[i], i, n, path) == root
        if n > 1:
            assert root_from_path(leaves[i], (i + 1) % n, n, path) != root
            assert root_from_path(leaves[(i + 1) % n], i, n, path) != root
    assert root_from_path(leaves[0], n, n, paths[0]) is None


def test_a_leaf_is_bound_to_topic_key_and_value_and_an_absent_key_is_not_an_empty_one() -> None:
    base = leaf_hash(HITS, b"k", b"v")
    assert base != leaf_hash(CAT.in_hits("510100"), b"k", b"v")
    assert base != leaf_hash(HITS, b"kv", b"")
    assert leaf_hash(HITS, None, b"v") != leaf_hash(HITS, b"", b"v")


# ---- verifying records ------------------------------------------------------------------------------
def test_every_record_of_a_signed_batch_verifies_in_any_order_with_one_ed25519_check(tmp_path: Path) -> None:
    private, record = _key()
    verifier = _verifier(tmp_path, record)
    batch = _batch(private, record, 100, T0 + DAY)
    for k, v, h in reversed(batch):
        assert verifier.problem(HITS, k, v, h, (T0 + DAY).timestamp()) is None
    assert verifier.cache.verifies == 1
    header = dict(batch[0][2])[SIG_BATCH_HEADER]
    assert len(header) < 400  # 7 levels of 43 characters and the numbers


def test_a_verified_batch_passes_from_the_cache_until_the_keys_change(tmp_path: Path) -> None:
    private, record = _key()
    verifier = _verifier(tmp_path, record)
    now = (T0 + DAY).timestamp()
    first, second = _batch(private, record, 8, T0 + DAY), _batch(private, record, 8, T0 + DAY, tag="w")
    for k, v, h in first + second:
        assert verifier.problem(HITS, k, v, h, now) is None
    assert verifier.cache.verifies == 2  # one per batch
    k, v, h = first[5]
    forged = [(n, d[:-8] + b"AAAAAAAA" if n == SIG_BATCH_HEADER else d) for n, d in h]
    assert _cause(verifier, HITS, k, v + b"!", forged, now) == "bad_signature"  # a known batch, a bad path
    verifier.keys.path.write_bytes(orjson.dumps([]))  # the key is revoked: the zone no longer lists it
    verifier.keys.refresh()
    assert _cause(verifier, HITS, k, v, h, now) == "sig_unknown_key"


def test_a_changed_record_or_one_moved_to_another_batch_is_refused(tmp_path: Path) -> None:
    private, record = _key()
    verifier = _verifier(tmp_path, record)
    now = (T0 + DAY).timestamp()
    first, second = _batch(private, record, 4, T0 + DAY), _batch(private, record, 4, T0 + DAY, tag="w")
    k, v, h = first[1]
    assert _cause(verifier, HITS, k, v + b"!", h, now) == "bad_signature"
    assert _cause(verifier, HITS, b"other", v, h, now) == "bad_signature"
    assert verifier.problem(CAT.in_hits("510100"), k, v, h, now) is not None  # another region's topic
    moved_k, moved_v, _ = second[1]  # a record of the second batch under the first's signature
    assert _cause(verifier, HITS, moved_k, moved_v, h, now) == "bad_signature"
    sig = dict(second[1][2])[SIG_HEADER]  # the first batch's path under the second's signature
    spliced = [(n, sig if n == SIG_HEADER else d) for n, d in h]
    assert _cause(verifier, HITS, k, v, spliced, now) == "bad_signature"
    assert verifier.problem(HITS, k, v, h, now) is None  # the genuine record still passes


def test_missing_malformed_and_unknown_keys_are_forged_under_required(tmp_path: Path) -> None:
    private, record = _key()
    stranger, stranger_record = _key()  # not published in the zone
    other, other_record = _key(region="510100")  # published, but another region's
    verifier = _verifier(tmp_path, record, other_record)
    now = (T0 + DAY).timestamp()
    k, v, h = _batch(private, record, 2, T0 + DAY)[0]
    assert _cause(verifier, HITS, k, v, None, now) == "sig_missing"
    broken = [(n, b"x" if n == SIG_HEADER else d) for n, d in h]
    assert _cause(verifier, HITS, k, v, broken, now) == "sig_malformed"
    assert _cause(verifier, HITS, k, v, [*h, h[0]], now) == "sig_malformed"
    k2, v2, h2 = _batch(stranger, stranger_record, 2, T0 + DAY)[0]
    assert _cause(verifier, HITS, k2, v2, h2, now) == "sig_unknown_key"
    k3, v3, h3 = _batch(other, other_record, 2, T0 + DAY)[0]
    assert _cause(verifier, HITS, k3, v3, h3, now) == "sig_unknown_key"
    assert parse_batch_header(b"1.2.5.") is None  # index beyond the batch


def test_optional_checks_only_signed_records_off_nothing_and_other_topics_are_not_checked(
    tmp_path: Path,
) -> None:
    private, record = _key()
    k, v, h = _batch(private, record, 2, T0 + DAY)[0]
    now = (T0 + DAY).timestamp()
    optional = _verifier(tmp_path, record, policy=SigPolicy.OPTIONAL)
    assert optional.problem(HITS, k, v, None, now) is None
    assert _cause(optional, HITS, k, v + b"!", h, now) == "bad_signature"
    assert _verifier(tmp_path, record, policy=SigPolicy.OFF).problem(HITS, k, v + b"!", h, now) is None
    assert _verifier(tmp_path, record).problem(CAT.zone, k, v, None, now) is None


def test_a_rotation_overlap_accepts_batches_signed_while_each_key_was_valid(tmp_path: Path) -> None:
    rotated = T0 + 10 * DAY
    old_private, old = _key(until=rotated + 7 * DAY)  # `rax keys rotate --overlap 7`
    new_private, new = _key(start=rotated)
    verifier = _verifier(tmp_path, old, new)
    during = rotated + DAY
    for private, record, tag in ((old_private, old, "a"), (new_private, new, "b")):
        k, v, h = _batch(private, record, 3, during, tag)[2]
        assert verifier.problem(HITS, k, v, h, (during + 30 * DAY).timestamp()) is None  # read later
    after = rotated + 8 * DAY
    k, v, h = _batch(old_private, old, 3, after, "c")[0]  # signed with the old key after it ended
    assert _cause(verifier, HITS, k, v, h, after.timestamp()) == "sig_unknown_key"
    k, v, h = _batch(new_private, new, 3, T0 + DAY, "d")[0]  # "signed" before the new key existed
    assert _cause(verifier, HITS, k, v, h, after.timestamp()) == "sig_unknown_key"
    k, v, h = _batch(new_private, new, 3, after + DAY, "e")[0]  # signed in the future
    assert _cause(verifier, HITS, k, v, h, after.timestamp()) == "bad_signature"


def test_the_zone_keys_file_may_be_the_zone_file_or_the_export_and_is_reread(tmp_path: Path) -> None:
    _, first = _key()
    _, second = _key(start=T0 + DAY)
    path = tmp_path / "zone.yaml"
    path.write_text(
        "name: test\nkeys:\n" + "".join(f"  - {orjson.dumps(first.model_dump(mode='json')).decode()}\n"),
        encoding="utf-8",
    )
    assert read_zone_keys(path) == (first,)
    keys = ZoneSignKeys(path, reload_s=0)
    keys.load()
    assert keys.key(REGION, second.key_id.encode(), _ms(T0 + 2 * DAY)) is None
    path.write_bytes(orjson.dumps({"keys": [first.model_dump(mode="json"), second.model_dump(mode="json")]}))
    keys.refresh()
    assert keys.key(REGION, second.key_id.encode(), _ms(T0 + 2 * DAY)) is not None
    path.write_text("keys: [broken", encoding="utf-8")
    keys.refresh()  # logged; the keys held stay
    assert keys.key(REGION, first.key_id.encode(), _ms(T0 + 2 * DAY)) is not None


# ---- the loop's screen ------------------------------------------------------------------------------
class _Nothing:
    name = "hotpath"

    def store_specs(self) -> list[Any]:
        return []


def test_the_loop_dead_letters_a_badly_signed_record_as_forged_and_counts_it(tmp_path: Path) -> None:
    private, record = _key(start=datetime.now(UTC) - DAY)
    settings = RuntimeSettings(sig=SigPolicy.REQUIRED, sign_keys=_zone_file(tmp_path, record))
    registry = CollectorRegistry()
    loop = StreamLoop(_Nothing(), settings, registry)  # type: ignore[arg-type]
    assert loop.sigs is not None
    loop.sigs.keys.load()
    (k1, v1, h1), (k2, _, h2), (k3, v3, _) = _batch(private, record, 3, datetime.now(UTC))
    good = Record(HITS, v1, 1, _key=k1, _headers=h1)  # type: ignore[arg-type]
    forged = Record(HITS, b"changed", 2, _key=k2, _headers=h2)  # type: ignore[arg-type]
    bare = Record(HITS, v3, 3, _key=k3)
    ctx = loop._context()
    assert loop.screen([good, forged, bare], ctx) == [good]  # type: ignore[list-item]
    letters = [parse_dlq_headers(out.headers) for out in ctx.out if out.topic == loop.cat.dlq("hotpath")]
    assert [(d.reason.value, d.stage.value, d.source_offset) for d in letters] == [
        ("forged", "validate", 2),
        ("forged", "validate", 3),
    ]
    assert "does not verify" in letters[0].error and "--sign-key" in letters[1].error
    audited = [out.key for out in ctx.out if out.topic == loop.cat.audit]
    assert len(audited) == 2  # each audited as forged too (tests/unit/test_record_macs.py)
    for hook in ctx.committed_hooks:
        hook()
    sample, labels = "rax_runtime_forged_records_total", {"processor": "hotpath", "region": REGION}
    assert registry.get_sample_value(sample, {**labels, "cause": "bad_signature"}) == 1
    assert registry.get_sample_value(sample, {**labels, "cause": "sig_missing"}) == 1


def test_a_signature_policy_other_than_off_needs_the_zone_keys() -> None:
    with pytest.raises(ValidationError, match="needs sign_keys"):
        RuntimeSettings(sig=SigPolicy.OPTIONAL)
    assert RuntimeSettings().sig is SigPolicy.OFF


def test_run_refuses_a_signature_policy_without_the_zone_keys() -> None:
    for processor in ("hotpath", "control", "escalate"):
        result = CliRunner().invoke(main, ["run", processor, "--sig", "required"])
        assert result.exit_code != 0 and "--sign-keys" in result.output


class _Published(ZoneSignKeys):
    """Keys whose source publishes ``later`` when asked to catch up (as rax.zone would a moment after)."""

    def __init__(self, path: Path, later: list[RegionKey]) -> None:
        super().__init__(path, reload_s=3600)
        self.later, self.asked = later, 0

    def catch_up(self) -> bool:
        self.asked += 1
        if not self.later:
            return False
        self._use(self.later, "the zone published since")
        self.later = []
        return True


def test_a_key_published_a_moment_ago_is_caught_up_once_and_an_unknown_one_stays_forged(
    tmp_path: Path,
) -> None:
    (old_private, old), (new_private, new) = _key(), _key()
    keys = _Published(_zone_file(tmp_path, old), [old, new])
    keys.load()
    verifier = BatchVerifier(SigPolicy.REQUIRED, keys, CAT)
    now = (T0 + DAY).timestamp()
    (k, v, h), *_ = _batch(new_private, new, 2, T0 + DAY)
    assert _cause(verifier, HITS, k, v, h, now) is None and keys.asked == 1  # caught up, then verified
    _, stranger = _key()
    (k, v, h), *_ = _batch(_key()[0], stranger, 2, T0 + DAY, tag="x")
    assert _cause(verifier, HITS, k, v, h, now) == "sig_unknown_key" and keys.asked == 2
    (k, v, h), *_ = _batch(old_private, old, 2, T0 + DAY, tag="o")
    assert _cause(verifier, HITS, k, v, h, now) is None and keys.asked == 2  # a known key asks nothing
