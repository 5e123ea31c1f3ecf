"""The ``cap`` source: CAP 1.2 XML from a drop directory and/or HTTP POSTs, as RAX alerts; glue."""

from __future__ import annotations

import fnmatch
import os
from typing import ClassVar

from aiohttp import web

from connectors.cap.config import CapConfig
from connectors.cap.mapping import message_fields
from connectors.cap.parse import CapError, read_document
from connectors.sdk import Batch, Original, Position, RecordKind, Source, SourceRecord
from connectors.sdk.capped import read_file
from connectors.sdk.http import Busy, HttpIngest, busy_response, json_response
from schemas.dlq import DlqReason

__all__ = ["CapSource"]

_MAX_FILES = 200
#: names of files still being written (the drop convention: write under such a name, then rename)
_IN_PROGRESS = (".tmp", ".part", ".partial", "~")


def _too_large(original: Original, limit: int) -> str:
    size = f"{original.size}" if original.sha256 is not None else f"more than {original.size}"
    return f"CAP message of {size} bytes is over the limit of {limit} bytes"


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
            self.ingest = HttpIngest(self.context, routes, cfg, port=cfg.port, max_body=cfg.max_bytes)
            self.log.info("CAP endpoint on port %d", self.ingest.start())

    def records(self, data: bytes, origin: str, original: Original | None = None) -> list[SourceRecord]:
        """A document's messages as records: each alert's fields, or the reason it is refused."""
        cfg = self.config
        if original is not None:
            error = _too_large(original, cfg.max_bytes)
            return [SourceRecord(None, data, origin, error, DlqReason.TOO_LARGE, original=original)]
        try:
            doc = read_document(data, cfg.max_bytes)
        except CapError as exc:
            return [SourceRecord(None, data, origin, error=str(exc), reason=exc.reason)]
        except Exception as exc:  # a parser's bug must cost one document, never the connector
            self.log.exception("%s: reading the document failed unexpectedly", origin)
            error = f"the document could not be read ({type(exc).__name__}: {exc}): a bug, reported"
            return [SourceRecord(None, data, origin, error=error, reason=DlqReason.PROCESSING_ERROR)]
        if doc.skipped:
            self.log.info("%s: %d EDXL-DE content object(s) without a CAP alert skipped", origin, doc.skipped)
        out = []
        for i, msg in enumerate(doc.messages, start=1):
            where = f"{origin}#alert{i}" if len(doc.messages) > 1 else origin
            if isinstance(msg, CapError):
                out.append(SourceRecord(None, data, where, error=str(msg), reason=msg.reason))
                continue
            try:
                fields = message_fields(
                    msg, sender_region=self.context.region, default_category=cfg.default_category
                )
            except Exception as exc:  # as above: one alert, never the connector
                self.log.exception("%s: mapping the alert failed unexpectedly", where)
                error = f"the alert could not be mapped ({type(exc).__name__}: {exc}): a bug, reported"
                out.append(SourceRecord(None, data, where, error=error, reason=DlqReason.PROCESSING_ERROR))
                continue
            out.append(SourceRecord(fields, data, where))
        return out

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
        files = 0
        for entry in entries:
            lower = entry.name.lower()
            if lower.startswith(".") or lower.endswith(_IN_PROGRESS):
                continue  # still being written: it is renamed into place when complete
            st = entry.stat()
            present[entry.name] = [st.st_size, st.st_mtime_ns]
            if self.done.get(entry.name) == present[entry.name] or files >= _MAX_FILES:
                continue
            files += 1
            self.done[entry.name] = present[entry.name]
            if not any(fnmatch.fnmatchcase(lower, p.lower()) for p in self.config.patterns):
                records.append(self._not_cap(entry.path, entry.name))
                continue
            data, original = read_file(entry.path, self.config.max_bytes)
            records += self.records(data, entry.name, original)
        changed = set(self.done) - set(present)
        for name in changed:
            del self.done[name]  # removed from the directory: forget it
        if not records and not changed:
            return [], None
        return records, {"done": dict(self.done)}

    def _not_cap(self, path: str, name: str) -> SourceRecord:
        """A file in the drop directory that is not named as a CAP message: reported, not read as one."""
        patterns = ", ".join(self.config.patterns)
        error = f"file {name} matches none of the CAP file patterns ({patterns}): not read as CAP"
        self.log.warning("%s", error)
        data, original = read_file(path, self.config.max_bytes)
        return SourceRecord(None, data, name, error=error, original=original)

    async def _post(self, request: web.BaseRequest, data: bytes) -> web.StreamResponse:
        """A document within ``max_bytes``, from a client with the region's token (``HttpIngest`` checked)."""
        assert self.ingest is not None
        records = self.records(data, f"http:{request.remote or '?'}")
        try:
            reasons = await self.ingest.submit(records)
        except (TimeoutError, Busy):
            return busy_response()
        rejected = [{"index": i, "reason": r} for i, r in enumerate(reasons) if r is not None]
        if rejected:
            body = {
                "error": rejected[0]["reason"],
                "accepted": len(reasons) - len(rejected),
                "rejected": rejected,
            }
            return json_response(400, body)
        return json_response(202, {"accepted": len(reasons)})
