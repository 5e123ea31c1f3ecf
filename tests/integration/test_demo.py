"""The main job: `rax demo --duration` shows deliveries flowing and special operations opening, then stops
every process it started; `--zone` runs another zone file (粤港澳) the same way."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ops.kafka.ports import free_port, free_port_block, port_is_free
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


def _run_demo(tmp_path: Path, *extra: str) -> tuple[str, int]:
    """`rax demo --duration 45` on free ports with a fresh RAX_HOME; its output and broker port."""
    port = free_port()
    # the processors' and simulators' metrics ports, below the ephemeral range: a port free_port picked
    # was once taken meanwhile by a client's outgoing connection (simulator-820000: address in use)
    base = free_port_block([0, 1, 2, 3, *range(10, 14)])
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
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    return out, port


def _scenarios_in_force(out: str) -> None:
    """The scenario reads went out once the hot path held every placement (their entries in force)."""
    sent = re.search(r"scenario reads sent at \d+ s, with ([\d,]+) of (\d+) placements in force", out)
    assert sent is not None and sent.group(1).replace(",", "") == sent.group(2), out


def _stopped_cleanly(out: str, tmp_path: Path, port: int) -> None:
    assert "stopped 10 processes" in out and "killed" not in out, out
    assert "stopped the local broker" in out
    assert _processes_mentioning(str(tmp_path / "home")) == [], "the demo left processes running"
    assert port_is_free(port)


def test_demo_delivers_within_a_minute_and_stops_cleanly(tmp_path: Path) -> None:
    out, port = _run_demo(tmp_path)
    deliveries = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) match deliveries", out)]
    assert len(deliveries) == 8 and sum(deliveries) > 0, out
    exact = int(re.search(r"matches: exact ([\d,]+)", out).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert exact > 0, out
    # the scripted scenarios: a watchlisted vehicle in two regions (the simulated fleet adds more), one
    # plate driven by two cars at once, and two watchlisted vehicles together (the dense simulated
    # traffic can pair two of its watchlisted vehicles too: the rule's exactness is in the unit tests)
    _scenarios_in_force(out)
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
    _stopped_cleanly(out, tmp_path, port)


def test_demo_runs_the_yuegangao_zone_file(tmp_path: Path) -> None:
    zone = Path(__file__).resolve().parents[2] / "ops" / "zones" / "yuegangao.yaml"
    out, port = _run_demo(tmp_path, "--zone", str(zone))
    # four simulators on the crossings the zone file lists (深圳, 珠海, 香港, 澳门); 广东 reads none
    assert "4 simulators (440300, 440400, 810000, 820000)" in out, out
    deliveries = dict(re.findall(r"^  (\d{6}) .*: [\d,]+ hits, .* ([\d,]+) match deliveries", out, re.M))
    assert set(deliveries) == {"440000", "440300", "440400", "810000", "820000"}, out
    assert sum(int(n.replace(",", "")) for n in deliveries.values()) > 0, out
    exact = int(re.search(r"matches: exact ([\d,]+)", out).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert exact > 0, out
    # the zone's own rules: urgent and high entries matched at a crossing, and the scripted clone
    # (深圳 and 珠海 minutes apart); it declares no multi-region or convoy rule
    _scenarios_in_force(out)
    opened = re.search(
        r"special operations opened: multi_region 0, border (\d+), cloned_plate (\d+), convoy 0", out
    )
    assert opened is not None and int(opened.group(1)) >= 1 and int(opened.group(2)) == 1, out
    # 珠海 asks 澳门 (which answers) and 广东 (which declines); 澳门 could not ask 广东 for interception
    assert re.search(
        r"^  [0-9a-f]{8} locate_vehicle \S+  820000: (?:accepted|answered)  440000: declined$", out, re.M
    ), out
    assert re.findall(r"^console .* (\d{6}): http://127\.0\.0\.1:\d+/  login", out, re.M) == [
        "440400",
        "820000",
    ]
    # issue 13: the cross-border agreements seal, Hong Kong and Macau place their entries blind
    assert "sealed agreements: 8; blind entries from: 810000, 820000" in out, out
    sealed = re.search(r"sealed match deliveries \(opened only with the recipient's key\): ([\d,]+)", out)
    assert sealed is not None and int(sealed.group(1).replace(",", "")) > 0, out
    # every record the demo and its simulators publish is authenticated, and the processors require it
    assert "every region's records carry its MAC and batch signature; processors require both" in out, out
    assert "records refused as forged (no valid MAC or batch signature): 0" in out, out
    assert "processors' own topics sealed at rest" in out, out
    _stopped_cleanly(out, tmp_path, port)
