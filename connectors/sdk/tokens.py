"""Bearer tokens of HTTP intake: what a usable token is, reading one from a file, checking a header.

Pure: no network; ``read_token_file`` is the only function that touches the file system.
"""

from __future__ import annotations

import enum
import hmac
import stat
from pathlib import Path

__all__ = ["MIN_TOKEN_BYTES", "TOKEN_ENV", "Auth", "TokenError", "check_authorization", "check_token",
           "read_token_file"]  # fmt: skip

#: the shortest token accepted, in bytes of UTF-8: 256 bits, as many as a random 32-byte secret carries
MIN_TOKEN_BYTES = 32
#: the environment variable the command line reads an intake's token from when no --token-file is given
TOKEN_ENV = "RAX_HTTP_TOKEN"

_GENERATE = "make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"


class TokenError(ValueError):
    """A token that cannot be used: missing, blank, too short, or in a file others can read."""


def check_token(token: str) -> str:
    """``token`` if it is usable: at least ``MIN_TOKEN_BYTES`` bytes, printable ASCII, no white space."""
    if not token or not token.strip():
        raise TokenError(f"the HTTP token is empty or only white space; {_GENERATE}")
    if not all("!" <= c <= "~" for c in token):
        # a bearer token is sent in an HTTP header: visible ASCII only, no spaces (RFC 6750 b64token)
        raise TokenError("the HTTP token must be printable ASCII without white space; " + _GENERATE)
    if len(token.encode()) < MIN_TOKEN_BYTES:
        raise TokenError(
            f"the HTTP token has {len(token.encode())} bytes; at least {MIN_TOKEN_BYTES} are needed; "
            + _GENERATE
        )
    return token


def read_token_file(path: Path) -> str:
    """The token in ``path`` (one line; the final line break is not part of it), checked.

    The file must be readable by its owner only (mode 0600 or 0400), as ssh requires of private keys.
    """
    try:
        st = path.stat()
        text = path.read_bytes()
    except OSError as exc:
        raise TokenError(f"cannot read the token file {path}: {exc.strerror or exc}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenError(
            f"the token file {path} has mode {stat.S_IMODE(st.st_mode):04o}: others may read it; "
            f"`chmod 600 {path}`"
        )
    try:
        token = text.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError(f"the token file {path} is not ASCII text") from None
    return check_token(token.removesuffix("\n").removesuffix("\r"))


class Auth(enum.Enum):
    """What an Authorization header proves: answered 200-ish, 401 or 400."""

    OK = "ok"
    MISSING = "missing"  # no header, another scheme, or the wrong token: 401
    WRONG = "wrong"
    MALFORMED = "malformed"  # not text an HTTP header may carry (non-ASCII, control characters): 400


def check_authorization(header: str | None, token: str) -> Auth:
    """Whether ``header`` is ``Bearer <token>``; the token is compared in constant time.

    ``header`` is as aiohttp decodes it (UTF-8 with surrogate escapes for other bytes), so any byte
    outside visible ASCII, space and tab is refused as malformed instead of reaching ``encode``.
    """
    if header is None:
        return Auth.MISSING
    if not all(" " <= c <= "~" or c == "\t" for c in header):
        return Auth.MALFORMED
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return Auth.MISSING
    credentials = credentials.strip()
    if not credentials:
        return Auth.WRONG
    return Auth.OK if hmac.compare_digest(credentials.encode(), token.encode()) else Auth.WRONG
