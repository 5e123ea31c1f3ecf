"""Input drivers for the conformance suite: feed a connector good and bad input, and read back what is done.

Each driver knows, for its connector: the command-line options, how to give it input item ``i``, how to
recognise item ``i`` in the topic, and which items the connector had stored as done (from its position
file, or for HTTP from the 202 answers).
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import orjson
from confluent_kafka import Message

from ops.kafka.ports import free_port

REGION = "510000"
TOKEN = "s3cret-token-of-the-conformance-suite-0123"


def wait_listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def _position(state: Path) -> dict[str, Any]:
    path = state / "position.json"
    return orjson.loads(path.read_bytes())["position"] if path.exists() else {}


def _lines_done(state: Path, name: str) -> int:
    """How many data lines of file ``name`` the stored position covers."""
    for entry in _position(state).get("files", {}).values():
        if Path(entry["path"]).name == name:
            return int(entry["offset"])
    return 0


@dataclass
class Driver:
    """Base: subclasses set ``name`` and ``kind`` and implement the hooks."""

    work: Path
    port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    name: ClassVar[str] = ""
    kind: ClassVar[str] = "hits"
    total: ClassVar[int] = 300
    chunk: ClassVar[int] = 20
    #: the source ends by itself after ``total`` items (the process exits 0 without a signal)
    ends: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self.acked: set[int] = set()

    def args(self) -> list[str]:
        """Connector options; called on every (re)start, so it must not disturb existing input."""
        return []

    def feed(self, start: int, stop: int) -> None:
        """Give the connector items start..stop-1."""

    def feed_bad(self) -> bytes:
        """Give the connector one bad item; return its raw bytes as the DLQ must carry them."""
        raise NotImplementedError

    def item(self, msg: Message) -> int:
        """The item number of a record in the topic."""
        raise NotImplementedError

    def done(self, state: Path) -> set[int]:
        """Items stored as done (at the moment the connector was killed)."""
        raise NotImplementedError

    def settle(self) -> None:
        """Wait until the (re)started connector is up: its metrics endpoint answers."""
        wait_listening(self.metrics_port)


def _hit_csv(i: int) -> str:
    when = f"2024-05-01 08:{i // 60 % 60:02d}:{i % 60:02d}"
    return f"{REGION}-K{i % 7:04d},川A{i:05d},02,2,{when},1,{i % 4 + 1},50\n"


class CheckpointFileDriver(Driver):
    name = "checkpoint-file"

    def args(self) -> list[str]:
        (self.work / "in").mkdir(exist_ok=True)
        return ["--directory", str(self.work / "in"), "--scan-interval-s", "0.1", "--max-batch", "25"]

    def _append(self, text: str) -> None:
        path = self.work / "in" / "hits.csv"
        if not path.exists():
            path.write_text("kkbh,hphm,hpzl,hpys,gcsj,fxlx,cdbh,clsd\n", encoding="utf-8")
        with path.open("a", encoding="utf-8") as f:
            f.write(text)

    def feed(self, start: int, stop: int) -> None:
        self._append("".join(_hit_csv(i) for i in range(start, stop)))

    def feed_bad(self) -> bytes:
        line = "510000-K0001,NOT-A-PLATE,02,2,2024-05-01 08:00:00,1,1,50"
        self._append(line + "\n")
        return line.encode()

    def item(self, msg: Message) -> int:
        return int(orjson.loads(msg.value())["plate"][2:])

    def done(self, state: Path) -> set[int]:
        offset = _lines_done(state, "hits.csv")
        header = len("kkbh,hphm,hpzl,hpys,gcsj,fxlx,cdbh,clsd\n")
        out, pos = set(), header
        for i in range(self.total):
            pos += len(_hit_csv(i).encode())
            if pos <= offset:
                out.add(i)
        return out


class SimulatorDriver(Driver):
    name = "simulator"
    ends = True
    block = 20

    def args(self) -> list[str]:
        return ["--rate", "200", "--block", str(self.block), "--max-records", str(self.total), "--seed", "7"]

    def item(self, msg: Message) -> int:
        return int(orjson.loads(msg.value())["event_id"][-12:], 16)

    def done(self, state: Path) -> set[int]:
        return set(range(int(_position(state).get("block", 0)) * self.block))

    def feed_bad(self) -> bytes:
        raise NotImplementedError  # the simulator has no input: its bad-sample check is a unit test


def _command(i: int) -> str:
    return (
        f"place,REF-{i},川A{i:05d},blue,stolen_vehicle,intercept,high,0,刑诉法,,,"
        f"2024-05-01 08:00:00,2034-05-01 08:00:00,,P{i},某局,张三,2024-05-01 07:00:00,审-{i},,\n"
    )


_WL_HEADER = (
    "op,reference,plate,plate_colour,category,action,priority,tolerance,legal_basis,description,scope,"
    "placed_at,expires_at,review_at,operator,approval_unit,approval_approver,approval_at,approval_reference,"
    "reason,issued_at\n"
)


class WatchlistDriver(Driver):
    name = "watchlist-csv"
    kind = "watchlist"

    def args(self) -> list[str]:
        path = self.work / "watchlist.csv"
        if not path.exists():
            path.write_text(_WL_HEADER, encoding="utf-8")
        return ["--path", str(path)]

    def _append(self, text: str) -> None:
        with (self.work / "watchlist.csv").open("a", encoding="utf-8") as f:
            f.write(text)

    def feed(self, start: int, stop: int) -> None:
        self._append("".join(_command(i) for i in range(start, stop)))

    def feed_bad(self) -> bytes:
        line = _command(0).replace("stolen_vehicle", "no_such_category").rstrip("\n")
        self._append(line + "\n")
        return line.encode()

    def item(self, msg: Message) -> int:
        return int(orjson.loads(msg.value())["entry"]["operator"][1:])

    def done(self, state: Path) -> set[int]:
        offset, pos, out = _lines_done(state, "watchlist.csv"), len(_WL_HEADER.encode()), set()
        for i in range(self.total):
            pos += len(_command(i).encode())
            if pos <= offset:
                out.add(i)
        return out


def _cap(i: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>RAX-T-{i}</identifier><sender>test@510000.rax</sender>"
        "<sent>2024-05-01T08:00:00+08:00</sent><status>Exercise</status><msgType>Alert</msgType>"
        "<scope>Public</scope><code>RAX:category=stolen_vehicle</code></alert>"
    ).encode()


class CapDriver(Driver):
    name = "cap"
    kind = "alerts"
    total = 80

    def args(self) -> list[str]:
        (self.work / "drop").mkdir(exist_ok=True)
        return ["--directory", str(self.work / "drop")]

    def _drop(self, name: str, data: bytes) -> None:
        tmp = self.work / "drop" / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.rename(self.work / "drop" / name)

    def feed(self, start: int, stop: int) -> None:
        for i in range(start, stop):
            self._drop(f"alert-{i:05d}.xml", _cap(i))

    def feed_bad(self) -> bytes:
        data = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><alert>&x;</alert>'
        self._drop("zz-bad.xml", data)
        return data

    def item(self, msg: Message) -> int:
        return int(orjson.loads(msg.value())["identifier"].rsplit("-", 1)[1])

    def done(self, state: Path) -> set[int]:
        names = _position(state).get("done", {})
        return {int(n[6:11]) for n in names if n.startswith("alert-")}


class HttpDriver(Driver):
    name = "checkpoint-http"

    def args(self) -> list[str]:
        token_file = self.work / "http.token"
        if not token_file.exists():  # the token is never on the command line: a 0600 file
            token_file.touch(0o600)
            token_file.write_text(TOKEN + "\n")
        return ["--port", str(self.port), "--token-file", str(token_file)]

    def post(self, body: bytes, token: str = TOKEN) -> tuple[int, dict[str, Any], dict[str, str]]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/hits", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, orjson.loads(resp.read()), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, orjson.loads(exc.read() or b"{}"), dict(exc.headers)

    def settle(self) -> None:
        wait_listening(self.metrics_port)
        wait_listening(self.port)

    def feed(self, start: int, stop: int) -> None:
        records = [
            {
                "kkbh": f"{REGION}-K0001",
                "hphm": f"川A{i:05d}",
                "gcsj": f"2024-05-01 09:00:{i % 60:02d}",
                "cdbh": i % 4,
            }
            for i in range(start, stop)
        ]
        try:
            status, _, _ = self.post(orjson.dumps(records))
        except (OSError, urllib.error.URLError):
            return  # killed mid-request: not acknowledged, the client sends it again
        if status == 202:
            self.acked |= set(range(start, stop))

    def feed_bad(self) -> bytes:
        record = {"kkbh": f"{REGION}-K0001", "hphm": "川A12345", "gcsj": "not a time"}
        status, body, _ = self.post(orjson.dumps(record))
        assert status == 400 and "pass_time" in body["rejected"][0]["reason"], body
        return orjson.dumps(record)

    def item(self, msg: Message) -> int:
        return int(orjson.loads(msg.value())["plate"][2:])

    def done(self, state: Path) -> set[int]:
        return set(self.acked)


DRIVERS: dict[str, type[Driver]] = {
    d.name: d for d in (CheckpointFileDriver, SimulatorDriver, WatchlistDriver, CapDriver, HttpDriver)
}
