"""Finds a Kafka broker's jars: KAFKA_HOME's libs, or Maven Central's artifacts resolved once and cached."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ops.kafka.errors import KafkaSetupError

__all__ = ["DEFAULT_KAFKA_VERSION", "KafkaInstall", "java_binary", "resolve_install"]

log = logging.getLogger(__name__)

DEFAULT_KAFKA_VERSION = "4.3.1"
_MARKER = ".complete"


@dataclass(frozen=True)
class KafkaInstall:
    """A directory of jars that together run `kafka.Kafka` and `kafka.tools.StorageTool`."""

    lib_dir: Path
    version: str
    source: str  # "maven" or "KAFKA_HOME"

    @property
    def classpath(self) -> str:
        return str(self.lib_dir / "*")


def java_binary() -> str:
    """The `java` to run the broker with, or a KafkaSetupError that says how to get one."""
    java = shutil.which("java")
    if java is None:
        raise KafkaSetupError(
            "Java was not found on PATH. RAX runs a real Apache Kafka broker, which needs Java 17 or newer: "
            "install it (Debian: `apt-get install openjdk-17-jre-headless`) or use docker-compose.yml."
        )
    return java


def resolve_install(
    cache_dir: Path, version: str = DEFAULT_KAFKA_VERSION, kafka_home: str | None = None
) -> KafkaInstall:
    """An install from ``kafka_home`` when given, else the cached Maven resolution of ``version``."""
    if kafka_home:
        libs = Path(kafka_home) / "libs"
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise KafkaSetupError(
                f"KAFKA_HOME={kafka_home} has no libs/kafka_2.13-*.jar: not a Kafka install"
            )
        return KafkaInstall(libs, version="KAFKA_HOME", source="KAFKA_HOME")
    lib_dir = cache_dir / f"kafka-{version}" / "lib"
    if (lib_dir / _MARKER).exists():
        return KafkaInstall(lib_dir, version, "maven")
    _resolve_with_maven(lib_dir, version)
    return KafkaInstall(lib_dir, version, "maven")


def _resolve_with_maven(lib_dir: Path, version: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError(
            "Maven (`mvn`) was not found on PATH. RAX assembles Kafka from Maven Central once and caches it: "
            "install Maven (Debian: `apt-get install maven`), or point KAFKA_HOME at an unpacked Kafka "
            "4.x tarball, or use docker-compose.yml."
        )
    java_binary()
    pom = resources.files("ops.kafka").joinpath("pom.xml").read_text()
    lib_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="lib-", dir=lib_dir.parent))
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "pom.xml").write_text(pom.replace("@KAFKA_VERSION@", version))
        log.info("resolving Kafka %s from Maven Central into %s", version, lib_dir)
        proc = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise KafkaSetupError(
            f"Maven could not resolve Kafka {version} (is Maven Central reachable?):\n{tail}"
        )
    (staging / _MARKER).write_text(version)
    if lib_dir.exists():
        shutil.rmtree(lib_dir)
    staging.rename(lib_dir)  # atomic: a half-resolved lib/ is never mistaken for a complete one
