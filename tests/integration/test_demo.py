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
    while not all(
        port_is_free(p) for p in (base, base + 1, base + 2, base + 3, *range(base + 10, base + 14))
    ):
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
    # the scripted scenarios: a watchlisted vehicle in two regions (the simulated fleet adds more), one
    # plate driven by two cars at once, and two watchlisted vehicles together (the dense simulated
    # traffic can pair two of its watchlisted vehicles too: the rule's exactness is in the unit tests)
    opened = re.search(
        r"special operations opened: multi_region (\d+), border 0, cloned_plate (\d+), convoy (\d+)", out
    )
    assert (
        opened is not None
        and int(opened.group(1)) >= 1
        and int(opened.group(2)) == 1
        and int(opened.group(3)) >= 1
    ), out
    # a scorecard line per region from the evaluation app; every simulated region has one
    assert len(re.findall(r"^  \d{6} .*: (?:acknowledged \d+/\d+|no scorecard yet)", out, re.M)) == 8, out
    assert len(re.findall(r"^  \d{6} .*: acknowledged \d+/\d+", out, re.M)) >= 4, out
    # the cooperation request (协查) of 泸县: 荣昌 answered it, 重庆 declined (docs/requests.md)
    assert re.search(
        r"^  [0-9a-f]{8} locate_vehicle \S+  500153: (?:accepted|answered)  500000: declined$", out, re.M
    ), out
    # the two regions' web consoles (docs/console.md): their URLs and demo logins printed
    assert (
        len(re.findall(r"^console .* \d{6}: http://127\.0\.0\.1:\d+/  login \d{6}-duty / \S+$", out, re.M))
        == 2
    )
    assert "stopped 10 processes" in out and "killed" not in out, out
    assert "stopped the local broker" in out
    assert _processes_mentioning(str(tmp_path / "home")) == [], "the demo left processes running"
    assert port_is_free(port)
