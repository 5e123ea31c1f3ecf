"""The region's deliveries in arrival order, each once (by delivery id), numbered for stream resumption."""

from __future__ import annotations

from collections import OrderedDict

from ops.console.items import Item

__all__ = ["History"]


class History:
    """Items by delivery id, in the order they arrived; ``seq`` numbers them 1, 2, 3 … for this run.

    Bounded: beyond ``limit`` the oldest are forgotten (the out topic's retention bounds it anyway).
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._items: OrderedDict[str, Item] = OrderedDict()
        self._by_seq: dict[int, str] = {}
        self.seq = 0
        self.duplicates = 0

    def add(self, item: Item) -> bool:
        """Numbers and keeps ``item``; False (and nothing changes) if its delivery id is already known."""
        if item.delivery_id in self._items:
            self.duplicates += 1
            return False
        self.seq += 1
        item.seq = self.seq
        self._items[item.delivery_id] = item
        self._by_seq[item.seq] = item.delivery_id
        while len(self._items) > self.limit:
            _, old = self._items.popitem(last=False)
            self._by_seq.pop(old.seq, None)
        return True

    def get(self, delivery_id: str) -> Item | None:
        return self._items.get(delivery_id)

    def __len__(self) -> int:
        return len(self._items)

    def after(self, seq: int, limit: int) -> list[Item]:
        """Items numbered after ``seq``, oldest first, at most the newest ``limit`` of them."""
        first = max(seq + 1, self.seq - limit + 1)
        out = []
        for n in range(first, self.seq + 1):
            did = self._by_seq.get(n)
            if did is not None:
                out.append(self._items[did])
        return out

    def page(self, number: int, size: int) -> tuple[list[Item], int]:
        """Page ``number`` (1 = newest) of ``size`` items, newest first, and the number of pages."""
        pages = max(1, -(-len(self._items) // size))
        number = min(max(1, number), pages)
        items = list(reversed(self._items.values()))  # O(n) per page view: fine for a few hundred thousand
        return items[(number - 1) * size : number * size], pages
