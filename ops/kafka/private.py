"""Files that hold secrets: written 0600 from their first byte, in 0700 directories; no one else reads."""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "lock_down", "private_dir", "write_private"]

#: the umask of processes that write into a private directory (the broker's JVM, openssl)
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """``path`` created if missing (parents too) and made 0700: only its owner may list or enter it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: str | bytes) -> None:
    """Writes ``path`` as 0600, never world-readable even for a moment (no create-then-chmod window)."""
    raw = data.encode() if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT: set it
        f.write(raw)


def lock_down(root: Path) -> None:
    """Every directory under ``root`` (itself included) 0700, every file 0600; symlinks left alone."""
    for dirpath, dirnames, filenames in os.walk(root):
        Path(dirpath).chmod(0o700)
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700 | 0o600)
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
