"""The registry of connectors: the built-in ones by name, plus any installed under ``rax.connectors``."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from connectors.sdk.source import Source

__all__ = ["BUILTIN", "UnknownConnector", "load", "names"]

#: built-in connectors: name -> "module:Class" (imported only when used: aiohttp and xmlschema are slow)
BUILTIN = {
    "checkpoint-file": "connectors.checkpoint_file:CheckpointFileSource",
    "checkpoint-http": "connectors.checkpoint_http:CheckpointHttpSource",
    "watchlist-csv": "connectors.watchlist_csv:WatchlistCsvSource",
    "cap": "connectors.cap:CapSource",
    "simulator": "connectors.simulator:SimulatorSource",
}

#: third-party connectors register an entry point "name = package.module:Class" in this group
ENTRY_POINT_GROUP = "rax.connectors"


class UnknownConnector(KeyError):
    """No connector has this name."""


def _targets() -> dict[str, str]:
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {**found, **BUILTIN}  # a plug-in cannot shadow a built-in


def names() -> list[str]:
    """Every connector name, sorted."""
    return sorted(_targets())


def load(name: str) -> type[Source[Any]]:
    """The source class registered as ``name``; raises UnknownConnector."""
    target = _targets().get(name)
    if target is None:
        raise UnknownConnector(f"no connector {name!r}; known: {', '.join(names())}")
    module, _, attr = target.partition(":")
    cls: type[Source[Any]] = getattr(importlib.import_module(module), attr)
    return cls
