"""SCRAM identities of a zone: create missing ones, rotate a password; passwords in a 0600 file, 0700 dir."""

from __future__ import annotations

import secrets
from pathlib import Path

import orjson
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from ops.kafka.private import private_dir, write_private

__all__ = ["UnknownIdentity", "ensure_users", "rotate_password"]

_ITERATIONS = 8192


class UnknownIdentity(LookupError):
    """The cluster has no SCRAM identity of that name: rotating it would create one."""


def _load(credentials: Path) -> dict[str, str]:
    return dict(orjson.loads(credentials.read_bytes())) if credentials.exists() else {}


def _save(credentials: Path, known: dict[str, str]) -> None:
    private_dir(credentials.parent)  # 0700: the file's name and presence are nobody else's business
    write_private(credentials, orjson.dumps(known, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _upsert(admin: AdminClient, passwords: dict[str, str]) -> list[str]:
    changes: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(
            user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, _ITERATIONS), pw.encode()
        )
        for user, pw in passwords.items()
    ]
    done = []
    for user, fut in admin.alter_user_scram_credentials(changes).items():
        fut.result()
        done.append(user)
    return done


def ensure_users(admin: AdminClient, users: list[str], credentials: Path) -> list[str]:
    """Creates the identities that do not exist yet (or whose password we lost); returns their names.

    Their passwords are added to ``credentials`` (0600; its directory is made 0700: give it one of its
    own, as `rax zone apply` does with ``$RAX_HOME/credentials/``).
    """
    known = _load(credentials)
    described = admin.describe_user_scram_credentials(users)
    assert isinstance(described, dict)  # one future per user when users are named
    new: dict[str, str] = {}
    for user, fut in described.items():
        try:
            fut.result()
            if user in known:
                continue  # exists, and we know its password: leave it alone
        except KafkaException:
            pass  # RESOURCE_NOT_FOUND: a new identity
        new[user] = secrets.token_urlsafe(24)
    if not new:
        return []
    created = _upsert(admin, new)
    _save(credentials, known | new)
    return created


def _exists(admin: AdminClient, user: str) -> bool:
    described = admin.describe_user_scram_credentials([user])
    assert isinstance(described, dict)  # one future per user when users are named
    try:
        described[user].result()
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.RESOURCE_NOT_FOUND:
            return False
        raise
    return True


def rotate_password(admin: AdminClient, user: str, credentials: Path) -> str:
    """Gives ``user`` a new password at once (old sessions keep running until they re-authenticate).

    Only an existing identity: a mistyped name (``UnknownIdentity``) must not become a new login."""
    if not _exists(admin, user):
        raise UnknownIdentity(f"no identity {user} on the cluster (`rax zone apply` creates them)")
    password = secrets.token_urlsafe(24)
    _upsert(admin, {user: password})
    _save(credentials, _load(credentials) | {user: password})
    return password
