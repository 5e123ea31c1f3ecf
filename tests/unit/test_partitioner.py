"""Kafka's murmur2 partitioner: Kafka's own test vectors, and the byte-by-byte reference on every length."""

from __future__ import annotations

import random

import pytest

from streams.runtime.partitioner import murmur2, murmur2_partition

#: org.apache.kafka.common.utils.UtilsTest#testMurmur2 (signed, as Java returns them)
KAFKA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def _signed(h: int) -> int:
    return h - 2**32 if h >= 2**31 else h


def _reference(data: bytes) -> int:
    """Java's algorithm transcribed byte by byte (the shape of Kafka's Utils.murmur2)."""
    m, mask, length = 0x5BD1E995, 0xFFFFFFFF, len(data)
    h = 0x9747B28C ^ length
    for i in range(length // 4):
        k = data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | data[4 * i + 3] << 24
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    rest = length % 4
    if rest >= 3:
        h ^= data[(length & ~3) + 2] << 16
    if rest >= 2:
        h ^= data[(length & ~3) + 1] << 8
    if rest >= 1:
        h ^= data[length & ~3]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    return h ^ (h >> 15)


@pytest.mark.parametrize(("key", "expected"), sorted(KAFKA_VECTORS.items()))
def test_kafkas_own_vectors(key: bytes, expected: int) -> None:
    assert _signed(murmur2(key)) == expected


def test_every_length_matches_the_reference() -> None:
    rng = random.Random(7)
    for length in [*range(0, 140), 500]:  # past the precompiled word formats too
        for _ in range(20):
            key = rng.randbytes(length)
            assert murmur2(key) == _reference(key), key


def test_a_partition_is_within_range_and_stable() -> None:
    plate = "川A12345".encode()
    assert murmur2_partition(plate, 12) == murmur2_partition(plate, 12) == (murmur2(plate) & 0x7FFFFFFF) % 12
    assert {murmur2_partition(f"渝B{i:05d}".encode(), 6) for i in range(200)} == set(range(6))
