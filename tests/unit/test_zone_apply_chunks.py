"""`rax zone apply` asks the controller for at most MAX_RECORDS_PER_REQUEST metadata records per request."""

from __future__ import annotations

from ops.zone.apply import MAX_RECORDS_PER_REQUEST, _chunks


def test_requests_stay_under_the_bound_and_keep_every_item_in_order() -> None:
    sizes = [7, 1, 300, 2, 1999, 5, 1, MAX_RECORDS_PER_REQUEST, 3] * 50
    chunks = list(_chunks(list(range(len(sizes))), lambda i: sizes[i]))
    assert [i for chunk in chunks for i in chunk] == list(range(len(sizes)))
    for chunk in chunks:
        total = sum(sizes[i] for i in chunk)
        assert total <= MAX_RECORDS_PER_REQUEST or len(chunk) == 1  # one item too big alone goes alone
    assert len(chunks) > 1


def test_a_zone_of_300_regions_needs_several_requests() -> None:
    # ~2,400 topics of 1-6 partitions: one request of all of them is refused by KRaft (10,000 records)
    sizes = [2 + 1 + 3] * 300 + [1 + 1 + 3] * 2100
    chunks = list(_chunks(sizes, lambda n: n))
    assert sum(sizes) > 10_000 and len(chunks) >= sum(sizes) // MAX_RECORDS_PER_REQUEST
    assert max(sum(c) for c in chunks) <= MAX_RECORDS_PER_REQUEST
