"""Generates a throw-away test CA and a broker certificate for 127.0.0.1 with the openssl CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["make_test_ca"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_test_ca(tls_dir: Path) -> Path | None:
    """Writes ca.pem and broker.pem (PKCS#8 key + cert, SAN IP:127.0.0.1); None without openssl."""
    if shutil.which("openssl") is None:
        return None
    tls_dir.mkdir(parents=True, exist_ok=True)
    if (tls_dir / "broker.pem").exists():
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
    (tls_dir / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
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
    (tls_dir / "broker.pem").write_text(
        (tls_dir / "broker.p8").read_text() + (tls_dir / "broker.crt").read_text()
    )
    for f in ("broker.key", "broker.csr", "broker.p8", "san.ext"):
        (tls_dir / f).unlink()
    return tls_dir
