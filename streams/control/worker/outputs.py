"""Where the control app's records go: outputs, the DLQ (original bytes + headers), the retry topic."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from typing import Any

import faust
from faust.types import TopicT

from schemas.dlq import DeadLetter, dlq_headers
from schemas.topics import Catalogue
from streams.control.common import Output, Rejected
from streams.control.config import ControlSettings
from streams.control.worker.guard import Headers, Source, retry_headers

__all__ = ["EXIT_DLQ_FAILED", "RAW", "OutputsMixin"]

log = logging.getLogger(__name__)
#: Topic options: keys and values are bytes, encoded and decoded by ``schemas.codec`` only.
RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}
#: Exit code when the DLQ itself cannot be written: stop rather than acknowledge a record nobody kept.
EXIT_DLQ_FAILED = 70


class OutputsMixin:
    """The output side of ``ControlRuntime`` (which provides the attributes declared here)."""

    app: faust.App
    catalogue: Catalogue
    settings: ControlSettings
    retries: TopicT
    sent: set[str]
    _topics: dict[str, TopicT]

    # ---- output ---------------------------------------------------------------------------------
    def topic(self, name: str) -> TopicT:
        if name not in self._topics:
            self._topics[name] = self.app.topic(name, **RAW)
        return self._topics[name]

    async def emit(self, outputs: Iterable[Output], wait: bool = False) -> None:
        """Hand every output to the producer; faust flushes it before it commits the input offset.

        ``wait``: return only once the broker has every output, for state that must not be stored
        before its output exists (the watchlist lifecycle).
        """
        pending = []
        for out in outputs:
            pending.append(await self.topic(out.topic).send(key=out.key, value=out.value))
            if out.topic.startswith(self.catalogue.out_prefix):
                self.sent.add(out.key.decode())
        if wait:
            await asyncio.gather(*pending)

    async def dead_letter(
        self, source: Source, key: bytes | None, value: bytes | None, headers: Headers, why: Rejected
    ) -> None:
        letter = DeadLetter(
            reason=why.reason,
            stage=why.stage,
            component="control",
            error=str(why),
            source_topic=source.topic,
            source_partition=source.partition,
            source_offset=source.offset,
        )
        dlq = self.topic(self.catalogue.dlq("control"))
        for attempt in range(3):
            try:
                fut = await dlq.send(key=key, value=value, headers=[*headers, *dlq_headers(letter)])
                await fut
                return
            except Exception:
                log.exception("writing the DLQ failed (attempt %d)", attempt + 1)
                await asyncio.sleep(0.5 * (attempt + 1))
        log.critical("the DLQ cannot be written: stopping without acknowledging %s", source)
        os._exit(EXIT_DLQ_FAILED)  # like a crash: the record is read again after the restart

    async def retry(self, source: Source, key: bytes | None, value: bytes | None, headers: Headers) -> None:
        delay = self.settings.retry_seconds
        await self.retries.send(key=key, value=value, headers=retry_headers(source, headers, delay))
