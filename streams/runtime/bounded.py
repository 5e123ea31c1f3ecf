"""A blocking client call that cannot outlive its deadline, even when librdkafka ignores its own timeout.

librdkafka's ``send_offsets_to_transaction`` can block past its timeout when the group coordinator
went away and came back (confluentinc/librdkafka#5456, #5511: the coordinator request's deadline is
never checked): after a broker restart a worker sat in it for minutes, deaf to SIGTERM. So the loop
makes such calls in a daemon thread and waits for it with its own deadline. A call that overruns is
abandoned — its thread keeps the client alive until the call returns, if ever — and the caller gets a
``_TIMED_OUT`` ``KafkaException``, upon which the loop replaces the producer (a new
``init_transactions`` fences the abandoned one, so it can no longer commit anything).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException

__all__ = ["GRACE_S", "STOP_GRACE_S", "call_within"]

T = TypeVar("T")

#: How long past the call's own timeout the caller waits before abandoning it.
GRACE_S = 5.0
#: How long a call may still finish once ``stop`` is set: a SIGTERM lets a batch's offsets reach its
#: transaction (a send takes milliseconds), so the batch commits instead of being abandoned, and the
#: producer replaced, on the way out; a hung call still lets the worker end within seconds.
STOP_GRACE_S = 1.0


def call_within(what: str, call: Callable[[], T], timeout_s: float, stop: threading.Event | None = None) -> T:
    """``call()`` in a daemon thread; its result or exception, or ``_TIMED_OUT`` after ``timeout_s``.

    ``stop`` set while waiting gives the call ``STOP_GRACE_S`` more, then abandons it (a SIGTERM ends the
    worker within seconds; until 2026-12-07 it abandoned the call at once, so the batch in flight at a
    SIGTERM never committed).
    """
    done = threading.Event()
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            error.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name=f"rax-{what}", daemon=True).start()
    deadline = time.monotonic() + timeout_s
    stopping = False
    while not done.is_set():
        now = time.monotonic()
        if not stopping and stop is not None and stop.is_set():
            stopping, deadline = True, min(deadline, now + STOP_GRACE_S)
        if now >= deadline:
            break
        done.wait(min(0.1 if stop is not None else 0.5, deadline - now))
    if not done.is_set():
        raise KafkaException(
            KafkaError(KafkaError._TIMED_OUT, f"{what} did not return within {timeout_s:.0f} s: abandoned")
        )
    if error:
        raise error[0]
    return result[0]
