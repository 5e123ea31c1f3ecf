"""The demo's closing lines from the evaluation app: each region's scorecard of the day, one line each."""

from __future__ import annotations

import urllib.request
from typing import Any

import orjson

__all__ = ["fetch_scorecards", "scorecard_lines"]


def fetch_scorecards(port: int, timeout: float = 5.0) -> dict[str, Any]:
    """``/scorecards`` of the evaluation app on this machine; ``{}`` if it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/scorecards", timeout=timeout) as resp:
            cards: dict[str, Any] = orjson.loads(resp.read())
            return cards
    except (OSError, ValueError):
        return {}


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} s"


def scorecard_lines(cards: dict[str, Any], regions: list[tuple[str, str]], period: str = "day") -> list[str]:
    """One line per region: acknowledgements, breaches, outcomes, checkpoints by status, freshness."""
    lines = [f"scorecards ({period}, rax.scorecards):"]
    for code, name in regions:
        card = cards.get(code, {}).get(period)
        if card is None:
            lines.append(f"  {code} {name}: no scorecard yet")
            continue
        ack, answer = card["acknowledge"], card["answer"]
        status: dict[str, int] = {}
        for cp in card["checkpoints"]:
            status[cp["status"]] = status.get(cp["status"], 0) + 1
        checkpoints = ", ".join(f"{k} {v}" for k, v in sorted(status.items())) or "none"
        breaches = ack["breaches"] + answer["breaches"]
        lines.append(
            f"  {code} {name}: acknowledged {ack['answered']}/{ack['owed']} (p50 {_seconds(ack['p50_s'])}), "
            f"breaches {breaches}, outcomes {answer['answered']}/{answer['owed']}, "
            f"checkpoints {checkpoints}, read→exchange p90 {_seconds(card['freshness']['p90_s'])}"
        )
    return lines
