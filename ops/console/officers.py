"""The console's local officer accounts (viewer, duty officer, supervisor) in one JSON file, 0600."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import orjson

from ops.console.passwords import MIN_LENGTH, hash_password, verify_password

__all__ = ["Officer", "OfficerError", "OfficerFile", "Role"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")  # fullmatch: `$` would let a final "\n" in
# a fixed hash to verify against when the name is unknown, so a login takes as long either way
_DUMMY = hash_password("not a password of anyone", memory_kib=8 * 1024)


class OfficerError(ValueError):
    """An account that cannot be made as asked (bad name, short password, unknown role), or an officers
    file that cannot be read."""


class Role(StrEnum):
    """What an officer may do: a viewer watches; a duty officer answers and sends; a supervisor also
    cancels alerts and traces."""

    VIEWER = "viewer"
    DUTY_OFFICER = "duty_officer"
    SUPERVISOR = "supervisor"

    @property
    def may_answer(self) -> bool:
        return self != Role.VIEWER

    @property
    def may_cancel(self) -> bool:
        return self == Role.SUPERVISOR

    @property
    def may_trace(self) -> bool:
        """An audit trace reads who received what across the zone: a supervisor's decision, audited."""
        return self == Role.SUPERVISOR


@dataclass(frozen=True)
class Officer:
    """One account: the name (police number) that goes into every answer, its role and password hash."""

    name: str
    role: Role
    password_hash: str


class OfficerFile:
    """The accounts of one console, read from ``path`` at each login (an added officer needs no restart)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Officer]:
        if not self.path.exists():
            return {}
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
        except OSError as exc:
            raise OfficerError(f"the officers file {self.path} cannot be read: {exc!r}") from None
        if mode & 0o077:  # password hashes, for anyone with a shell on the host to crack at leisure
            raise OfficerError(
                f"the officers file {self.path} cannot be read: it is open to others (mode {mode:o}) and "
                "holds password hashes; chmod 600 it"
            )
        try:
            raw = orjson.loads(self.path.read_bytes())
            accounts = raw.get("officers", {}).items()
            return {n: Officer(n, Role(o["role"]), str(o["hash"])) for n, o in accounts}
        except (OSError, ValueError, LookupError, TypeError, AttributeError) as exc:  # corrupt, hand-edited
            raise OfficerError(f"the officers file {self.path} cannot be read: {exc!r}") from None

    def add(self, name: str, role: Role, password: str) -> Officer:
        """Adds or replaces ``name``'s account; the file is written 0600 (it holds password hashes)."""
        if not _NAME.fullmatch(name):
            raise OfficerError(f"officer name {name!r}: 2-64 letters, digits, '.', '_' or '-'")
        if len(password) < MIN_LENGTH:
            raise OfficerError(f"password: at least {MIN_LENGTH} characters")
        officers = self.load()
        officers[name] = Officer(name, role, hash_password(password))
        self._write(officers)
        return officers[name]

    def remove(self, name: str) -> bool:
        officers = self.load()
        if officers.pop(name, None) is None:
            return False
        self._write(officers)
        return True

    def authenticate(self, name: str, password: str) -> Officer | None:
        """The officer if ``password`` is theirs; None otherwise (same work for an unknown name)."""
        officer = self.load().get(name)
        if officer is None:
            verify_password(password, _DUMMY)
            return None
        return officer if verify_password(password, officer.password_hash) else None

    def _write(self, officers: dict[str, Officer]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "officers": {o.name: {"role": o.role.value, "hash": o.password_hash} for o in officers.values()}
        }
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        tmp.replace(self.path)
