"""The main job: `rax demo --duration` shows deliveries flowing and special operations opening, then stops
every process it started."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ops.kafka.ports import free_port, port_is_free
from tests.support.kafka import cache_dir


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if text.encode() in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def test_demo_delivers_within_a_minute_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    base = free_port()
    while not all(port_is_free(p) for p in (base, base + 1, base + 2, *range(base + 10, base + 14))):
        base = free_port()
    env = {**os.environ, "RAX_HOME": str(tmp_path / "home"), "RAX_CACHE": str(cache_dir())}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ops.cli",
            "demo",
            "--duration",
            "45",
            "--port",
            str(port),
            "--metrics-port",
            str(base),
            "--rate",
            "100",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    deliveries = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) match deliveries", out)]
    assert len(deliveries) == 8 and sum(deliveries) > 0, out
    exact = int(re.search(r"matches: exact ([\d,]+)", out).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert exact > 0, out
    # the scripted scenarios: a watchlisted vehicle in two regions (the simulated fleet adds more), and
    # one plate read too far apart too fast
    opened = re.search(r"special operations opened: multi_region (\d+), border 0, cloned_plate (\d+)", out)
    assert opened is not None and int(opened.group(1)) >= 1 and int(opened.group(2)) == 1, out
    assert "stopped 7 processes" in out and "killed" not in out, out
    assert "stopped the local broker" in out
    assert _processes_mentioning(str(tmp_path / "home")) == [], "the demo left processes running"
    assert port_is_free(port)
