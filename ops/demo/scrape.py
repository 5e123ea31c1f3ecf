"""Reads the processes' Prometheus /metrics endpoints and sums the series the live view shows."""

from __future__ import annotations

from collections import defaultdict
from urllib.request import urlopen

from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Samples", "scrape"]

#: (metric sample name, label value of interest) -> summed value
Samples = dict[tuple[str, str], float]


def scrape(urls: list[str], by_label: dict[str, str], timeout: float = 1.0) -> Samples:
    """Sums every sample named in ``by_label`` over ``urls``, per value of the label it names ('' = total)."""
    out: Samples = defaultdict(float)
    for url in urls:
        try:
            with urlopen(url, timeout=timeout) as resp:
                text = resp.read().decode("utf-8")
        except OSError:
            continue  # a process still starting: shown as zero until it answers
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                label = by_label.get(sample.name)
                if label is None:
                    continue
                out[(sample.name, sample.labels.get(label, "") if label else "")] += sample.value
    return dict(out)
