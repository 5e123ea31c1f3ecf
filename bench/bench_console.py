"""The console under load: delivery-to-page latency in a real browser, and the console's CPU with 50 pages.

`PYTHONPATH=. python bench/bench_console.py [--rate 100] [--seconds 20] [--pages 50]`

Starts a secured one-node broker with the example zone, runs `rax centre console` for 荣昌 (500153) as a
subprocess with the region's own identity, opens one headless chromium page and ``pages - 1`` plain
event-stream clients (signed in like a browser), then writes match deliveries to ``rax.out.500153`` at
``rate`` per second. Latency: from Kafka acknowledging the write (the delivery committed) to the page
inserting the card (the page's own clock, same machine). CPU: the console process, from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import machine, percentiles, proc_cpu_seconds, save_json, stop_process, table
from ops.console import OfficerFile, Role
from ops.kafka.ports import free_port
from schemas.codec import encode
from schemas.topics import Catalogue
from tests.support.console import PASSWORD, chromium, fresh_match, sign_in, wait_css
from tests.support.hotpath import producer
from tests.support.secure import secure_zone_on, secured_cluster_in

REGION = "500153"
ROOT = Path(__file__).resolve().parents[1]


async def _sse_client(url: str, name: str, stop: threading.Event, counts: list[int]) -> None:
    # unsafe=True: keep cookies of an IP-address host (127.0.0.1), which aiohttp drops by default
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url + "/login") as r:
            text = await r.text()
        csrf = text.split('name="csrf" value="')[1].split('"')[0]
        form = {"csrf": csrf, "officer": name, "password": PASSWORD}
        async with http.post(url + "/login", data=form, allow_redirects=False) as r:
            assert r.status == 303, r.status
        async with http.get(url + "/events", timeout=aiohttp.ClientTimeout(total=None)) as r:
            while not stop.is_set():
                line = await r.content.readline()
                if line.startswith(b"event: item"):
                    counts[0] += 1


def _clients(url: str, n: int, stop: threading.Event, counts: list[int]) -> threading.Thread:
    async def run() -> None:
        tasks = [asyncio.create_task(_sse_client(url, f"bench-{i}", stop, counts)) for i in range(n)]
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
        for r in await asyncio.gather(*tasks, return_exceptions=True):
            if not isinstance(r, asyncio.CancelledError | None):
                print(f"an event-stream client failed: {r!r}", file=sys.stderr)

    th = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    th.start()
    return th


def _mark(committed: dict[str, float], d: Any) -> Any:
    """A delivery callback that notes when Kafka acknowledged ``d`` (the delivery is then committed)."""

    def done(err: Any, _msg: Any) -> None:
        if err is None:
            committed[d.delivery_id] = time.time()

    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--pages", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, secured_cluster_in(Path(tmp)) as (cluster, credentials):
        work = Path(tmp)
        zone = secure_zone_on(cluster, credentials, Catalogue("rax"))
        officers = OfficerFile(work / "officers.json")
        officers.add("bench-browser", Role.VIEWER, PASSWORD)
        for i in range(args.pages - 1):
            officers.add(f"bench-{i}", Role.VIEWER, PASSWORD)
        region = zone.region(REGION)
        port = free_port()
        cli, env = zone.cli(region)
        cmd = [sys.executable, "-m", "ops.cli", "centre", "console", "--region", REGION, *cli,
               "--port", str(port), "--file", str(officers.path)]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, "RAX_HOME": str(work), "PYTHONPATH": str(ROOT)})
        url = f"http://127.0.0.1:{port}"
        try:
            result = _measure(zone, url, proc.pid, args)
        finally:
            stop_process(proc)
    result["machine"] = machine()
    save_json(ROOT / "bench" / "results" / "console.json", result)


def _measure(zone: Any, url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        try:
            import urllib.request

            urllib.request.urlopen(url + "/health", timeout=2).read()
            break
        except OSError:
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.3)
    stop, counts = threading.Event(), [0]
    clients = _clients(url, args.pages - 1, stop, counts)
    with chromium() as b:
        sign_in(b, url, "bench-browser")
        time.sleep(3.0)  # every client signed in and streaming
        committed: dict[str, float] = {}
        p = producer(zone.processors)
        total = int(args.rate * args.seconds)
        cpu0, t0 = proc_cpu_seconds(pid), time.monotonic()
        for n in range(total):
            time.sleep(max(0.0, t0 + n / args.rate - time.monotonic()))
            d = fresh_match(REGION)
            p.produce(
                zone.cat.out(REGION), encode(d), d.delivery_id.encode(), on_delivery=_mark(committed, d)
            )
            p.poll(0)
        assert p.flush(30) == 0
        wait_css(b, "#live .item")
        deadline = time.monotonic() + 30
        shown: dict[str, float] = {}
        while len(shown) < total and time.monotonic() < deadline:
            time.sleep(0.5)
            shown = {i: ms / 1000 for i, ms in b.execute_script("return window.RAX_SHOWN")}
        elapsed, cpu = time.monotonic() - t0, proc_cpu_seconds(pid) - cpu0
    stop.set()
    clients.join(10)
    lat = [1000 * (shown[i] - committed[i]) for i in committed if i in shown]
    pct = percentiles(lat, (50, 90, 99))
    result = {
        "rate_per_s": args.rate,
        "deliveries": total,
        "shown_in_browser": len(lat),
        "pages": args.pages,
        "events_to_other_pages": counts[0],  # (pages - 1) x deliveries when every stream kept up
        "latency_ms": pct,
        "console_cpu_cores": cpu / elapsed,
    }
    print(table(["measure", "value"], [[k, v] for k, v in result.items()]))
    return result


if __name__ == "__main__":
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    main()
