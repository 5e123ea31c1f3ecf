"""A transaction's context keeps its after-commit hooks in order and runs none by itself."""

from __future__ import annotations

from streams.runtime.context import Context
from streams.runtime.deadletter import DeadLetterBuilder
from streams.runtime.stores import Stores


def test_hooks_wait_for_the_loop_and_keep_their_order() -> None:
    ctx = Context(0.0, Stores([], lambda s: s, 1), DeadLetterBuilder("dlq", "test", 1024))
    ran: list[int] = []
    ctx.after_commit(lambda: ran.append(1))
    ctx.after_commit(lambda: ran.append(2))
    assert ran == []  # processing alone counts nothing: the batch may still abort
    for hook in ctx.committed_hooks:
        hook()
    assert ran == [1, 2]
