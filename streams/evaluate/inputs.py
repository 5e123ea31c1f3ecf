"""The evaluator's input topics: rax.audit, rax.matches, and every region's acks, hits and requests.

faust's own pattern subscriptions do not work (faust-streaming/faust#62: the pattern never reaches the
client), so the patterns of ``Catalogue.in_pattern`` are resolved here against the cluster's topics at
start; a region added later is counted from the next start (each start replays anyway).
"""

from __future__ import annotations

import re

from schemas.topics import Catalogue
from streams.evaluate.ingest import INPUT_KINDS
from streams.runtime.clients import ClientFactory

__all__ = ["existing_inputs", "input_topics"]


def input_topics(catalogue: Catalogue, existing: set[str]) -> list[str]:
    """Of ``existing`` topic names, the evaluator's inputs, sorted: the two shared ones and the patterns'."""
    patterns = [re.compile(catalogue.in_pattern(kind)) for kind in INPUT_KINDS]
    per_region = {t for t in existing if any(p.match(t) for p in patterns)}
    shared = {catalogue.audit, catalogue.matches} & existing
    return sorted(shared | per_region)


def existing_inputs(factory: ClientFactory, catalogue: Catalogue, timeout_s: float = 10.0) -> list[str]:
    """The evaluator's input topics that exist on the cluster now."""
    admin = factory.admin()
    names = set(admin.list_topics(timeout=timeout_s).topics)
    return input_topics(catalogue, names)
