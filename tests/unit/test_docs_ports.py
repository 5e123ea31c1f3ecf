"""The ports the operator's guide gives `rax run …` are not the ports Prometheus scrapes as another job."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]


def _scraped() -> dict[int, str]:
    config = yaml.safe_load((ROOT / "ops" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    return {
        int(target.rsplit(":", 1)[1]): job["job_name"]
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }


def test_every_port_the_guide_gives_a_processor_is_scraped_as_that_processor_or_not_at_all() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    scraped = _scraped()
    runs = re.findall(r"rax run (\w+)[^`\n]*?--(?:metrics|web)-port (\d+)", guide)
    assert runs
    for processor, port in runs:
        job = scraped.get(int(port))
        assert job in (None, f"rax-{processor}"), f"`rax run {processor} … {port}`: Prometheus scrapes {job}"
