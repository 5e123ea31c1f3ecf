"""The ``checkpoint-http`` source: POSTed pass records, answered 202 once Kafka acknowledged; glue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from aiohttp import web

from connectors.checkpoint_http.config import CheckpointHttpConfig
from connectors.checkpoint_http.logic import BodyError, body_records
from connectors.pass_records import hit_fields, is_unread
from connectors.sdk import Batch, Position, RecordKind, Source, SourceRecord
from connectors.sdk.http import Busy, HttpIngest, busy_response, json_response

__all__ = ["CheckpointHttpSource"]


class CheckpointHttpSource(Source[CheckpointHttpConfig]):
    """An HTTP endpoint for pass records; push sources keep no position (clients retry until 202)."""

    name: ClassVar[str] = "checkpoint-http"
    kind: ClassVar[RecordKind] = RecordKind.HITS
    config_model = CheckpointHttpConfig
    summary: ClassVar[str] = "HTTP endpoint for pass records (one or a batch, JSON), 202 once in Kafka"

    def setup(self, position: Position | None) -> None:
        cfg = self.config
        self.ingest = HttpIngest(
            self.context,
            [("POST", cfg.path, self._post)],
            cfg,
            port=cfg.port,
            max_body=cfg.max_body_bytes,
            ack_timeout=cfg.ack_timeout_s,
        )
        self.port = self.ingest.start()
        self.log.info("listening on http://%s:%d%s", cfg.host, self.port, cfg.path)

    def poll(self, timeout: float) -> Batch:
        return Batch(records=self.ingest.drain(5000, timeout))

    def stop(self) -> None:
        if hasattr(self, "ingest"):
            self.ingest.stop()

    async def _reject_body(self, body: bytes, origin: str, error: str) -> web.StreamResponse:
        """A body that is no record at all: to the DLQ as it came, and 400 with the reason."""
        try:
            await self.ingest.submit([SourceRecord(None, body, origin, error=error)])
        except (TimeoutError, Busy):
            return busy_response()
        return json_response(400, {"error": error})

    async def _post(self, request: web.BaseRequest, body: bytes) -> web.StreamResponse:
        """A body within the size limit, from a client with the region's token (``HttpIngest`` checked)."""
        try:
            items = body_records(body, self.config.max_records)
        except BodyError as exc:
            if "at most" in str(exc):
                return json_response(413, {"error": str(exc)})
            return await self._reject_body(body, f"http:{request.remote or '?'}", str(exc))
        now = datetime.now(UTC).isoformat()
        records: list[SourceRecord] = []
        index: list[int] = []
        dropped: list[int] = []
        peer = request.remote or "?"
        for i, (fields, raw) in enumerate(items):
            origin = f"http:{peer}#{i}"
            if not isinstance(fields, dict):
                records.append(SourceRecord(None, raw, origin, error=f"record {i} is not a JSON object"))
            else:
                lowered = {str(k).strip().lower(): v for k, v in fields.items()}
                if is_unread(lowered):
                    dropped.append(i)
                    continue
                ctx = self.context
                try:
                    value = hit_fields(lowered, region=ctx.region, source_id=ctx.source_id, received_at=now)
                except ValueError as exc:
                    records.append(SourceRecord(None, raw, origin, error=str(exc)))
                else:
                    records.append(SourceRecord(value, raw, origin))
            index.append(i)
        try:
            outcomes = await self.ingest.submit(records)
        except (TimeoutError, Busy):
            return busy_response()
        rejected = [{"index": i, "reason": r} for i, r in zip(index, outcomes, strict=True) if r is not None]
        result = {"accepted": len(records) - len(rejected), "rejected": rejected, "dropped_unread": dropped}
        return json_response(400 if rejected else 202, result)
