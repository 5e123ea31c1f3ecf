"""The ``checkpoint-http`` source: POSTed pass records, answered 202 once Kafka acknowledged; glue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web

from connectors.checkpoint_http.config import CheckpointHttpConfig
from connectors.checkpoint_http.logic import BodyError, body_records
from connectors.pass_records import hit_fields, is_unread
from connectors.sdk import Batch, Position, RecordKind, Source, SourceRecord
from connectors.sdk.http import Busy, HttpIngest, authorised

__all__ = ["CheckpointHttpSource"]


def _json(status: int, body: dict[str, Any], **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers or None)


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
            host=cfg.host,
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
            return _json(503, {"error": "Kafka is not keeping up; retry later"}, **{"Retry-After": "1"})
        return _json(400, {"error": error})

    async def _post(self, request: web.Request) -> web.StreamResponse:
        if not authorised(request.headers.get("Authorization"), self.config.token.get_secret_value()):
            return _json(401, {"error": "send this region's token: Authorization: Bearer <token>"},
                         **{"WWW-Authenticate": "Bearer"})  # fmt: skip
        try:
            body = await request.read()
            items = body_records(body, self.config.max_records)
        except web.HTTPRequestEntityTooLarge:
            return _json(413, {"error": f"body over {self.config.max_body_bytes} bytes"})
        except BodyError as exc:
            if "at most" in str(exc):
                return _json(413, {"error": str(exc)})
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
                value = hit_fields(lowered, region=ctx.region, source_id=ctx.source_id, received_at=now)
                records.append(SourceRecord(value, raw, origin))
            index.append(i)
        try:
            outcomes = await self.ingest.submit(records)
        except (TimeoutError, Busy):
            return _json(503, {"error": "Kafka is not keeping up; retry later"}, **{"Retry-After": "1"})
        rejected = [{"index": i, "reason": r} for i, r in zip(index, outcomes, strict=True) if r is not None]
        result = {"accepted": len(records) - len(rejected), "rejected": rejected, "dropped_unread": dropped}
        return _json(400 if rejected else 202, result)
