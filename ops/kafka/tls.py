"""Generates a throw-away test CA and a broker certificate for 127.0.0.1 with the openssl CLI, all 0600."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ops.kafka.private import PRIVATE_UMASK, lock_down, private_dir, write_private

__all__ = ["make_test_ca"]


def _openssl(*args: str, cwd: Path) -> None:
    # umask 077: the keys openssl writes are never readable by others, not even for a moment
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, umask=PRIVATE_UMASK)


def make_test_ca(tls_dir: Path) -> Path | None:
    """Writes ca.pem and broker.pem (PKCS#8 key + cert, SAN IP:127.0.0.1); None without openssl.

    ``tls_dir`` is 0700 and every file in it 0600: broker.pem and ca.key are private keys.
    """
    if shutil.which("openssl") is None:
        return None
    private_dir(tls_dir)
    if (tls_dir / "broker.pem").exists():
        lock_down(tls_dir)  # made by an older version, perhaps with world-readable keys
        return tls_dir
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "30",
        "-subj",
        "/CN=RAX test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        cwd=tls_dir,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "broker.key",
        "-out",
        "broker.csr",
        cwd=tls_dir,
    )
    write_private(tls_dir / "san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-extfile",
        "san.ext",
        "-out",
        "broker.crt",
        cwd=tls_dir,
    )
    # Kafka's PEM keystore wants an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY") and the cert in one file
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", "broker.key", "-out", "broker.p8", cwd=tls_dir)
    write_private(
        tls_dir / "broker.pem", (tls_dir / "broker.p8").read_text() + (tls_dir / "broker.crt").read_text()
    )
    for f in ("broker.key", "broker.csr", "broker.p8", "san.ext"):
        (tls_dir / f).unlink()
    lock_down(tls_dir)
    return tls_dir
