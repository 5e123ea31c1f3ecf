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
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException

__all__ = ["GRACE_S", "call_within"]

T = TypeVar("T")

#: How long past the call's own timeout the caller waits before abandoning it.
GRACE_S = 5.0


def call_within(what: str, call: Callable[[], T], timeout_s: float, stop: threading.Event | None = None) -> T:
    """``call()`` in a daemon thread; its result or exception, or ``_TIMED_OUT`` after ``timeout_s``.

    ``stop`` set while waiting abandons the call at once (a SIGTERM ends the worker within seconds).
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
    waited = 0.0
    while not done.is_set() and waited < timeout_s and not (stop is not None and stop.is_set()):
        step = min(0.5, timeout_s - waited)
        done.wait(step)
        waited += step
    if not done.is_set():
        raise KafkaException(
            KafkaError(KafkaError._TIMED_OUT, f"{what} did not return within {timeout_s:.0f} s: abandoned")
        )
    if error:
        raise error[0]
    return result[0]
