"""promtool accepts the scrape configs and alert rules, and the rules' own unit tests pass."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed; .ci/run installs it"
)


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


@needs_promtool
@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-compose.yml"])
def test_scrape_configs_are_valid(config: str) -> None:
    result = _promtool("check", "config", str(ROOT / "ops" / "prometheus" / config))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_alert_rules_are_valid() -> None:
    result = _promtool("check", "rules", str(ROOT / "ops" / "prometheus" / "rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout


@needs_promtool
def test_alerts_fire_on_the_series_they_watch() -> None:
    result = _promtool("test", "rules", str(ROOT / "tests" / "prometheus" / "rules_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
