"""The ``cap`` source: CAP 1.2 XML from a drop directory and/or HTTP POSTs, as RAX alerts; glue."""

from __future__ import annotations

import fnmatch
import os
from typing import ClassVar

from aiohttp import web

from connectors.cap.config import CapConfig
from connectors.cap.mapping import alert_fields
from connectors.cap.parse import CapError, parse_cap
from connectors.sdk import Batch, Position, RecordKind, Source, SourceRecord
from connectors.sdk.http import Busy, HttpIngest, authorised

__all__ = ["CapSource"]

_MAX_FILES = 200


class CapSource(Source[CapConfig]):
    """Publishes each CAP message once; the position is the set of drop files already published."""

    name: ClassVar[str] = "cap"
    kind: ClassVar[RecordKind] = RecordKind.ALERTS
    config_model = CapConfig
    summary: ClassVar[str] = "CAP 1.2 XML alerts from a drop directory or HTTP POST (XSD-validated)"

    def setup(self, position: Position | None) -> None:
        self.done: dict[str, list[int]] = dict((position or {}).get("done", {}))
        self.ingest: HttpIngest | None = None
        cfg = self.config
        if cfg.port is not None:
            routes = [("POST", cfg.path, self._post)]
            self.ingest = HttpIngest(
                self.context, routes, host=cfg.host, port=cfg.port, max_body=cfg.max_bytes + 1
            )
            self.log.info("CAP endpoint on port %d", self.ingest.start())

    def record(self, data: bytes, origin: str) -> SourceRecord:
        """One CAP message as a record: its Alert fields, or the reason it is refused."""
        try:
            root = parse_cap(data, self.config.max_bytes)
        except CapError as exc:
            return SourceRecord(None, data, origin, error=str(exc), reason=exc.reason)
        fields = alert_fields(
            root, sender_region=self.context.region, default_category=self.config.default_category
        )
        return SourceRecord(fields, data, origin)

    def poll(self, timeout: float) -> Batch:
        records, position = self._scan() if self.config.directory is not None else ([], None)
        if self.ingest is not None:
            records += self.ingest.drain(1000, 0 if records else timeout)
        elif not records:
            self.context.stopping.wait(timeout)
        return Batch(records=records, position=position)

    def stop(self) -> None:
        if self.ingest is not None:
            self.ingest.stop()

    def _scan(self) -> tuple[list[SourceRecord], Position | None]:
        directory = self.config.directory
        assert directory is not None
        try:
            entries = sorted((e for e in os.scandir(directory) if e.is_file()), key=lambda e: e.name)
        except FileNotFoundError:
            return [], None
        present: dict[str, list[int]] = {}
        records: list[SourceRecord] = []
        for entry in entries:
            if not fnmatch.fnmatch(entry.name, self.config.pattern):
                continue
            st = entry.stat()
            present[entry.name] = [st.st_size, st.st_mtime_ns]
            if self.done.get(entry.name) == present[entry.name] or len(records) >= _MAX_FILES:
                continue
            with open(entry.path, "rb") as f:
                data = f.read(self.config.max_bytes + 1)
            records.append(self.record(data, entry.name))
            self.done[entry.name] = present[entry.name]
        changed = set(self.done) - set(present)
        for name in changed:
            del self.done[name]  # removed from the directory: forget it
        if not records and not changed:
            return [], None
        return records, {"done": dict(self.done)}

    async def _post(self, request: web.Request) -> web.StreamResponse:
        assert self.ingest is not None and self.config.token is not None
        if not authorised(request.headers.get("Authorization"), self.config.token.get_secret_value()):
            return web.json_response({"error": "Authorization: Bearer <token> required"}, status=401)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": f"over {self.config.max_bytes} bytes"}, status=413)
        try:
            (reason,) = await self.ingest.submit([self.record(body, f"http:{request.remote or '?'}")])
        except (TimeoutError, Busy):
            return web.json_response({"error": "busy, retry later"}, status=503, headers={"Retry-After": "1"})
        if reason is not None:
            return web.json_response({"error": reason}, status=400)
        return web.json_response({"accepted": 1}, status=202)
