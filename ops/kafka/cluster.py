"""A local KRaft Kafka (one or three nodes, plain or secured) started, watched and stopped by pid.

Lifecycle: ``LocalCluster(run_dir).start()`` formats every node's data directory, starts one JVM per
node, waits until each answers a metadata request and records the pids in ``run_dir/cluster.json``;
``stop()`` (from the same or another process) ends exactly those pids, SIGTERM first, and removes the
state file. ``kill_node``/``restart_node`` serve the fault tests.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import orjson
from pydantic import SecretStr

from ops.kafka.errors import BrokerError
from ops.kafka.install import DEFAULT_KAFKA_VERSION, KafkaInstall, java_binary, resolve_install
from ops.kafka.ports import free_port, port_is_free, wait_for_port
from ops.kafka.priorities import lower_cleaner_priority
from ops.kafka.private import PRIVATE_UMASK, private_dir, write_private
from ops.kafka.properties import NodeLayout, jaas_config, render_properties
from ops.kafka.tls import make_test_ca
from schemas.kafka_settings import KafkaSettings

__all__ = ["ClusterState", "LocalCluster", "NodeState"]

log = logging.getLogger(__name__)

_JVM_PROFILES = {
    # quick functional tests: start fast, small heap
    "quick": ["-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"],
    # demo and benchmarks: G1 and full tiered compilation
    "throughput": ["-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"],
}
#: a secured node's JAAS file (0600): the SCRAM login it uses towards the brokers
_JAAS = "jaas.conf"
_LOG4J = """<Configuration status="WARN">
  <Appenders><File name="F" fileName="{log}"><PatternLayout pattern="[%d] %p %m (%c)%n"/></File></Appenders>
  <Loggers>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="org.apache.kafka.controller" level="INFO"/>
    <Root level="INFO"><AppenderRef ref="F"/></Root>
  </Loggers>
</Configuration>
"""


@dataclass
class NodeState:
    """One node of a running local cluster."""

    node_id: int
    port: int
    controller_port: int
    pid: int
    node_dir: str

    @property
    def config_file(self) -> Path:
        return Path(self.node_dir) / "server.properties"

    @property
    def log_file(self) -> Path:
        return Path(self.node_dir) / "server.log"


@dataclass
class ClusterState:
    """What `cluster.json` records about a running local cluster."""

    nodes: list[NodeState]
    secure: bool
    tls: bool
    cluster_id: str
    kafka_version: str
    admin_password: str = ""
    startup_seconds: float = 0.0
    jvm: list[str] = field(default_factory=list)
    classpath: str = ""

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def admin_settings(self, run_dir: Path) -> KafkaSettings:
        """Settings that reach this cluster as its super user."""
        if not self.secure:
            return KafkaSettings(bootstrap_servers=self.bootstrap_servers)
        return KafkaSettings(
            bootstrap_servers=self.bootstrap_servers,
            security_protocol="SASL_SSL" if self.tls else "SASL_PLAINTEXT",
            username="admin",
            password=SecretStr(self.admin_password),
            ssl_ca_location=str(run_dir / "tls" / "ca.pem") if self.tls else None,
        )


class LocalCluster:
    """Starts and stops a local Kafka whose state lives in ``run_dir``."""

    def __init__(
        self,
        run_dir: Path,
        *,
        cache_dir: Path,
        kafka_home: str | None = None,
        version: str = DEFAULT_KAFKA_VERSION,
        jvm_profile: str = "quick",
    ) -> None:
        self.run_dir = Path(run_dir)
        self.cache_dir = Path(cache_dir)
        self.kafka_home = kafka_home
        self.version = version
        self.jvm_profile = jvm_profile
        self.state_file = self.run_dir / "cluster.json"
        self._procs: dict[int, subprocess.Popen[bytes]] = {}  # nodes started by this process, by pid

    # ---- state ---------------------------------------------------------------------------------
    def load_state(self) -> ClusterState | None:
        if not self.state_file.exists():
            return None
        raw = orjson.loads(self.state_file.read_bytes())
        raw["nodes"] = [NodeState(**n) for n in raw["nodes"]]
        return ClusterState(**raw)

    def _save_state(self, state: ClusterState) -> None:
        private_dir(self.state_file.parent)
        # holds the admin password of a secured cluster
        write_private(self.state_file, orjson.dumps(asdict(state), option=orjson.OPT_INDENT_2))

    def settings(self) -> KafkaSettings:
        state = self.load_state()
        if state is None:
            raise BrokerError(
                f"no local broker recorded in {self.run_dir}; start one with `rax broker start`"
            )
        return state.admin_settings(self.run_dir)

    # ---- start ---------------------------------------------------------------------------------
    def start(
        self,
        *,
        nodes: int = 1,
        secure: bool = False,
        tls: bool = True,
        port: int | None = None,
        timeout: float = 120.0,
    ) -> ClusterState:
        """Formats and starts ``nodes`` nodes, returns once every one answers a metadata request."""
        if nodes not in (1, 3):
            raise BrokerError("a local cluster has 1 or 3 nodes")
        existing = self.load_state()
        if existing and any(_alive(n.pid, n.config_file) for n in existing.nodes):
            raise BrokerError(
                f"a local broker is already running from {self.run_dir} "
                f"({existing.bootstrap_servers}); `rax broker stop` first"
            )
        install = resolve_install(self.cache_dir, self.version, self.kafka_home)
        t0 = time.monotonic()
        private_dir(self.run_dir)  # keys, passwords, and the regions' data: the owner's only
        layouts = self._layouts(nodes, port)
        tls_dir = make_test_ca(self.run_dir / "tls") if (secure and tls) else None
        admin_password = secrets.token_hex(16) if secure else ""
        cluster_id = base64.urlsafe_b64encode(b"\x10" + secrets.token_bytes(15)).decode().rstrip("=")
        jvm = [java_binary(), *_JVM_PROFILES[self.jvm_profile]]
        started: list[NodeState] = []
        state = ClusterState(
            nodes=started,
            secure=secure,
            tls=tls_dir is not None,
            cluster_id=cluster_id,
            kafka_version=install.version,
            admin_password=admin_password,
            jvm=jvm,
            classpath=install.classpath,
        )
        try:
            for layout in layouts:
                node_dir = layout.data_dir.parent
                if node_dir.exists():
                    _rmtree(node_dir)
                private_dir(node_dir)
                write_private(
                    node_dir / "server.properties",
                    render_properties(layout, layouts, secure=secure, tls_dir=tls_dir),
                )
                if secure:  # the broker's own login: in a 0600 JAAS file, not in server.properties
                    write_private(node_dir / _JAAS, jaas_config("admin", admin_password))
                write_private(node_dir / "log4j2.xml", _LOG4J.format(log=node_dir / "server.log"))
                self._format(install, jvm, node_dir, cluster_id, admin_password if secure else None)
            for layout in layouts:
                node_dir = layout.data_dir.parent
                pid = self._launch(jvm, install.classpath, node_dir)
                started.append(
                    NodeState(layout.node_id, layout.port, layout.controller_port, pid, str(node_dir))
                )
            self._save_state(state)
            for node in started:
                wait_for_port(node.port, timeout - (time.monotonic() - t0), partial(self._check_alive, node))
            self._wait_metadata(state, timeout - (time.monotonic() - t0))
            for node in started:
                lower_cleaner_priority(node.pid)  # ops/kafka/priorities.py: its bursts wait for a free core
        except BaseException:
            for node in started:
                _terminate(node, 10.0)
                self._forget(node.pid)
            self.state_file.unlink(missing_ok=True)
            raise
        state.startup_seconds = round(time.monotonic() - t0, 2)
        self._save_state(state)
        log.info(
            "kafka %s up on %s in %.1f s", install.version, state.bootstrap_servers, state.startup_seconds
        )
        return state

    def _layouts(self, nodes: int, port: int | None) -> list[NodeLayout]:
        layouts = []
        for i in range(1, nodes + 1):
            client = port + i - 1 if port is not None else free_port()
            if port is not None and not port_is_free(client):
                raise BrokerError(
                    f"port {client} on 127.0.0.1 is in use (another broker? try "
                    "`rax broker status`, or choose another with --port)"
                )
            node_dir = self.run_dir / f"node-{i}"
            layouts.append(NodeLayout(i, client, free_port(exclude={client}), node_dir / "data"))
        return layouts

    def _format(
        self,
        install: KafkaInstall,
        jvm: list[str],
        node_dir: Path,
        cluster_id: str,
        admin_password: str | None,
    ) -> None:
        cmd = [
            *jvm,
            f"-Dlog4j2.configurationFile={node_dir / 'log4j2.xml'}",
            "-cp",
            install.classpath,
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(node_dir / "server.properties"),
        ]
        if admin_password:
            # the super user's SCRAM credential goes into the metadata log (salted, hashed), not a file
            cmd += ["--add-scram", f"SCRAM-SHA-512=[name=admin,password={admin_password}]"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, umask=PRIVATE_UMASK)
        if proc.returncode != 0:
            raise BrokerError(f"formatting {node_dir} failed:\n{proc.stdout}{proc.stderr}")

    def _launch(self, jvm: list[str], classpath: str, node_dir: Path) -> int:
        out = os.fdopen(os.open(node_dir / "stdout.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        jaas = node_dir / _JAAS
        login = [f"-Djava.security.auth.login.config={jaas}"] if jaas.exists() else []
        proc = subprocess.Popen(
            [
                *jvm,
                *login,
                f"-Dlog4j2.configurationFile={node_dir / 'log4j2.xml'}",
                f"-Dkafka.logs.dir={node_dir}",
                "-cp",
                classpath,
                "kafka.Kafka",
                str(node_dir / "server.properties"),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives `rax broker start`; Ctrl-C in a shell does not reach it
            umask=PRIVATE_UMASK,  # logs, metadata and data the broker writes: the owner's only
        )
        out.close()
        self._procs[proc.pid] = proc
        return proc.pid

    def _wait_metadata(self, state: ClusterState, timeout: float) -> None:
        from streams.runtime.clients import ClientFactory

        admin = ClientFactory(state.admin_settings(self.run_dir), "rax-broker").admin()
        deadline = time.monotonic() + max(timeout, 5.0)
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                md = admin.list_topics(timeout=5)
                if len(md.brokers) == len(state.nodes):
                    return
            except Exception as exc:  # KafkaException while the cluster forms
                last = exc
            time.sleep(0.2)
        raise BrokerError(
            f"the brokers did not answer a metadata request in time ({last}); see {state.nodes[0].log_file}"
        )

    # ---- stop / status / faults ----------------------------------------------------------------
    def stop(self, timeout: float = 30.0) -> list[int]:
        """Ends the recorded nodes (SIGTERM, then SIGKILL after ``timeout``); returns the pids ended."""
        state = self.load_state()
        if state is None:
            return []
        # signal every node at once: stopped one by one, the last ones lose their controller quorum
        # and hang in controlled shutdown
        alive = [n for n in state.nodes if _alive(n.pid, n.config_file)]
        for node in alive:
            os.kill(node.pid, signal.SIGTERM)
        for node in alive:
            _terminate(node, timeout)
            self._forget(node.pid)
        self.state_file.unlink(missing_ok=True)
        return [n.pid for n in alive]

    def status(self) -> dict[str, object]:
        state = self.load_state()
        if state is None:
            return {"running": False, "run_dir": str(self.run_dir)}
        nodes = [
            {
                "node_id": n.node_id,
                "port": n.port,
                "pid": n.pid,
                "alive": _alive(n.pid, n.config_file),
                "log": str(n.log_file),
            }
            for n in state.nodes
        ]
        return {
            "running": all(n["alive"] for n in nodes),
            "bootstrap_servers": state.bootstrap_servers,
            "secure": state.secure,
            "tls": state.tls,
            "kafka_version": state.kafka_version,
            "startup_seconds": state.startup_seconds,
            "nodes": nodes,
            "run_dir": str(self.run_dir),
        }

    def kill_node(self, node_id: int) -> None:
        """SIGKILLs one node (fault tests): no controlled shutdown."""
        state = self._require_state()
        node = next(n for n in state.nodes if n.node_id == node_id)
        if _alive(node.pid, node.config_file):
            os.kill(node.pid, signal.SIGKILL)
            _reap(node.pid, 10.0)
        self._forget(node.pid)

    def restart_node(self, node_id: int, timeout: float = 60.0) -> None:
        """Starts a killed node again on its data directory, without reformatting."""
        state = self._require_state()
        node = next(n for n in state.nodes if n.node_id == node_id)
        node.pid = self._launch(state.jvm, state.classpath, Path(node.node_dir))
        self._save_state(state)
        wait_for_port(node.port, timeout, lambda: self._check_alive(node))
        lower_cleaner_priority(node.pid)

    def _forget(self, pid: int) -> None:
        """Drops the Popen handle of an ended node, telling it the process is gone (no ResourceWarning)."""
        proc = self._procs.pop(pid, None)
        if proc is not None and proc.returncode is None:
            try:
                proc.wait(timeout=5)
            except (subprocess.TimeoutExpired, ChildProcessError):
                proc.returncode = -9

    def _check_alive(self, node: NodeState) -> None:
        """Raises with the node's log if it died; the Popen handle is exact while /proc races an exec."""
        proc = self._procs.get(node.pid)
        dead = proc.poll() is not None if proc is not None else not _alive(node.pid, node.config_file)
        if dead:
            raise BrokerError(f"broker node {node.node_id} exited during start-up:\n{_failure_lines(node)}")

    def _require_state(self) -> ClusterState:
        state = self.load_state()
        if state is None:
            raise BrokerError(f"no local broker recorded in {self.run_dir}")
        return state


def _alive(pid: int, config_file: Path) -> bool:
    """True if ``pid`` is a live broker JVM of ours (its command line names our config file)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return str(config_file).encode() in cmdline and stat.split(") ")[-1][:1] != "Z"


def _failure_lines(node: NodeState) -> str:
    """The lines of a node's logs that say why it failed: errors first, else the end of its stdout."""
    lines: list[str] = []
    for f in (node.log_file, Path(node.node_dir) / "stdout.log"):
        if f.exists():
            lines += [
                ln
                for ln in f.read_text(errors="replace").splitlines()
                if " ERROR " in ln or "FATAL" in ln or "Exception" in ln or ln.startswith("Error")
            ]
    if not lines:
        out = Path(node.node_dir) / "stdout.log"
        lines = out.read_text(errors="replace").splitlines()[-10:] if out.exists() else ["(no log output)"]
    return "\n".join(lines[-12:]) + f"\n(full log: {node.log_file})"


def _reap(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return True
        except ChildProcessError:  # not our child (started by another `rax` process): poll /proc
            if not Path(f"/proc/{pid}").exists():
                return True
            stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}/stat").exists() else ""
            if ") Z" in stat:
                return True
        time.sleep(0.1)
    return False


def _terminate(node: NodeState, timeout: float) -> bool:
    if not _alive(node.pid, node.config_file):
        _reap(node.pid, 0.0)
        return False
    os.kill(node.pid, signal.SIGTERM)  # controlled shutdown; a second SIGTERM is harmless
    if not _reap(node.pid, timeout):
        log.warning(
            "node %d (pid %d) ignored SIGTERM for %.0f s: killing it", node.node_id, node.pid, timeout
        )
        os.kill(node.pid, signal.SIGKILL)
        _reap(node.pid, 10.0)
    return True


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path)
