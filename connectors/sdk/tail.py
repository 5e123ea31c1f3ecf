"""Follows the line files of a directory: new files, appended lines, renamed and truncated files.

Files are known by identity (device and inode, checked against a fingerprint of their first bytes so a
reused inode is not mistaken for the old file), not by name: a file rotated by rename is read to its
end whatever its new name, and a new file under the old name is a new file. A file truncated in place
(copytruncate) is read again from the start. Only complete lines (ending in a newline) are returned,
so a line being written is never cut. Pure file I/O: no Kafka.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["DirectoryTail", "Line", "too_long"]

_HEAD = 256
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Line:
    """One complete line (without its newline) and where it starts."""

    data: bytes
    fid: str
    path: str
    offset: int
    #: the line's length when it is longer than the tail reads at once (``data`` is then its first
    #: ``chunk`` bytes, the rest skipped): its source refuses it; 0 for every complete line
    too_long: int = 0


def too_long(line: Line, chunk: int) -> str:
    """The dead letter's error for a line longer than the tail reads at once."""
    return f"line of {line.too_long} bytes is longer than the {chunk} bytes a line may have: not read"


@dataclass
class _File:
    fid: str
    path: str
    offset: int
    head: str = ""
    head_len: int = 0
    handle: IO[bytes] | None = None
    gone: bool = False


def _fingerprint(handle: IO[bytes], length: int) -> str:
    handle.seek(0)
    return hashlib.sha1(handle.read(length)).hexdigest()


class DirectoryTail:
    """Reads lines from the files of ``directory`` whose names match ``pattern``; see the module doc."""

    def __init__(self, directory: Path, pattern: str, *, scan_interval: float = 1.0, chunk: int = 1 << 20):
        self.directory = directory
        self.pattern = pattern
        self.scan_interval = scan_interval
        self.chunk = chunk
        self._files: dict[str, _File] = {}
        self._last_scan = 0.0

    # ---- state -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The position: every known file's identity, name, offset and fingerprint (JSON-able)."""
        return {
            fid: {"path": f.path, "offset": f.offset, "head": f.head, "head_len": f.head_len}
            for fid, f in self._files.items()
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from a position of ``state()``; files that vanished or changed identity are dropped."""
        present = self._listing(all_names=True)
        for fid, saved in state.items():
            path = present.get(fid)
            if path is None:
                continue
            entry = _File(
                fid, path, int(saved["offset"]), saved.get("head", ""), int(saved.get("head_len", 0))
            )
            handle = self._open(entry)
            if handle is None:
                continue
            if entry.head_len and _fingerprint(handle, entry.head_len) != entry.head:
                log.warning("file %s has a reused inode: reading it as a new file", path)
                entry.offset, entry.head, entry.head_len = 0, "", 0
            self._files[fid] = entry
        self._scan(force=True)

    def first_line(self, fid: str) -> Line | None:
        """The first complete line of a followed file that is not blank (a CSV header), or None.

        Blank lines before it are skipped, as ``read`` hands them over and sources skip them.
        """
        entry = self._files.get(fid)
        handle = entry and (entry.handle or self._open(entry))
        if not entry or not handle:
            return None
        handle.seek(0)
        offset = 0
        while (line := handle.readline(self.chunk)).endswith(b"\n"):
            if line.strip():
                return Line(line.rstrip(b"\r\n"), fid, entry.path, offset)
            offset += len(line)
        return None

    def __enter__(self) -> DirectoryTail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every open file; the tail can still be used (files are opened again when read)."""
        for entry in self._files.values():
            if entry.handle is not None:
                entry.handle.close()
                entry.handle = None

    # ---- reading ---------------------------------------------------------------------------------
    def read(self, max_lines: int) -> list[Line]:
        """Up to ``max_lines`` new complete lines, oldest file first; [] when nothing is new."""
        self._scan()
        out: list[Line] = []
        for entry in self._by_age():
            if len(out) >= max_lines:
                break
            self._read_file(entry, max_lines - len(out), out)
        self._forget_gone()
        return out

    def remainder(self) -> list[Line]:
        """For a one-shot read at the end: each file's last line that has no newline (else nothing).

        ``read`` returns only complete lines, so that a line being written is never cut; a file that is
        complete but does not end in a newline would otherwise keep its last line unread.
        """
        out: list[Line] = []
        for entry in self._by_age():
            handle = entry.handle or self._open(entry)
            if handle is None:
                continue
            handle.seek(entry.offset)
            data = handle.read(self.chunk)
            if data and b"\n" not in data:
                out.append(Line(data.rstrip(b"\r"), entry.fid, entry.path, entry.offset))
                entry.offset += len(data)
        return out

    def _read_file(self, entry: _File, limit: int, out: list[Line]) -> None:
        handle = entry.handle or self._open(entry)
        if handle is None:
            return
        size = os.fstat(handle.fileno()).st_size
        if size < entry.offset:
            log.warning(
                "file %s was truncated (%d < %d): reading it from the start", entry.path, size, entry.offset
            )
            entry.offset, entry.head, entry.head_len = 0, "", 0
        if size == entry.offset:
            return
        if not entry.head_len:
            entry.head_len = min(size, _HEAD)
            entry.head = _fingerprint(handle, entry.head_len)
        handle.seek(entry.offset)
        data = handle.read(min(self.chunk, size - entry.offset))
        end = data.rfind(b"\n")
        if end < 0:
            # longer than a read: skipped whole and handed over cut (to refuse), then the file goes on
            if len(data) >= self.chunk and self._skip_long_line(entry, handle, data, out):
                self._read_file(entry, limit, out)
            return  # else a line still being written
        pos = entry.offset
        # lines end at LF (a CRLF's CR is stripped); a bare CR is inside a line (splitlines would cut there)
        for raw in data[: end + 1].split(b"\n")[:-1]:
            if len(out) >= limit:
                break
            out.append(Line(raw.removesuffix(b"\r"), entry.fid, entry.path, pos))
            pos += len(raw) + 1
        entry.offset = pos

    def _skip_long_line(self, entry: _File, handle: IO[bytes], head: bytes, out: list[Line]) -> bool:
        """A line longer than ``chunk``: once its newline is written, hand over its first ``chunk`` bytes
        marked ``too_long`` and move past it (a line too long to read must not stop the file for good);
        False while it has no newline yet."""
        pos = entry.offset + len(head)
        while block := handle.read(self.chunk):
            newline = block.find(b"\n")
            if newline >= 0:
                end = pos + newline + 1
                out.append(Line(head, entry.fid, entry.path, entry.offset, too_long=end - entry.offset))
                entry.offset = end
                return True
            pos += len(block)
        return False

    def _by_age(self) -> list[_File]:
        def age(entry: _File) -> tuple[float, str]:
            try:
                st = os.fstat(entry.handle.fileno()) if entry.handle else os.stat(entry.path)
            except OSError:
                return (0.0, entry.path)
            return (st.st_mtime, entry.path)

        return sorted(self._files.values(), key=age)

    # ---- the directory ---------------------------------------------------------------------------
    def _listing(self, all_names: bool) -> dict[str, str]:
        found: dict[str, str] = {}
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return found
        for e in entries:
            if not e.is_file() or (not all_names and not fnmatch.fnmatch(e.name, self.pattern)):
                continue
            try:
                st = e.stat()
            except FileNotFoundError:
                continue
            found[f"{st.st_dev}:{st.st_ino}"] = e.path
        return found

    def _scan(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_scan < self.scan_interval:
            return
        self._last_scan = now
        present = self._listing(all_names=True)
        for fid, entry in self._files.items():
            if fid in present:
                entry.path = present[fid]  # renamed (rotated): follow it under its new name
            else:
                entry.gone = True  # deleted: what is still open is drained, then it is forgotten
        for fid, path in present.items():
            if fid not in self._files and fnmatch.fnmatch(os.path.basename(path), self.pattern):
                self._files[fid] = _File(fid, path, 0)
                log.info("following new file %s", path)

    def _forget_gone(self) -> None:
        for fid in [fid for fid, f in self._files.items() if f.gone]:
            entry = self._files[fid]
            if entry.handle is not None and os.fstat(entry.handle.fileno()).st_size > entry.offset:
                continue  # unread lines left in a deleted file: drain them first
            if entry.handle is not None:
                entry.handle.close()
            del self._files[fid]

    def _open(self, entry: _File) -> IO[bytes] | None:
        try:
            entry.handle = open(entry.path, "rb")  # noqa: SIM115 - kept open to follow the file
        except OSError as exc:
            log.warning("cannot open %s: %s", entry.path, exc)
            return None
        st = os.fstat(entry.handle.fileno())
        if f"{st.st_dev}:{st.st_ino}" != entry.fid:
            entry.handle.close()
            entry.handle = None
            return None
        return entry.handle
