"""Ports for local servers: a block chosen below the kernel's ephemeral range, every port of it free."""

from __future__ import annotations

import random
import socket

from ops.kafka.ports import ephemeral_range, free_port_block, port_is_free


def test_a_port_block_lies_below_the_ephemeral_range_and_skips_a_port_in_use() -> None:
    low, high = ephemeral_range()
    assert 1024 <= low < high
    offsets = [0, 1, 2, 3, 10, 11, 12, 13]
    base = free_port_block(offsets, random.Random(7))
    assert base + max(offsets) < low and all(port_is_free(base + o) for o in offsets)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:  # the same draw, one port now in use
        taken.bind(("127.0.0.1", base + 11))
        taken.listen(1)
        again = free_port_block(offsets, random.Random(7))
        assert again != base and all(port_is_free(again + o) for o in offsets)
