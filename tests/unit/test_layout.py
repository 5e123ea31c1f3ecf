"""The tree keeps its rules: dependency direction, module docstrings, topic names only in the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("schemas", "streams", "connectors", "ops")
# who may import whom: schemas nothing of ours; streams and connectors schemas only; ops all
ALLOWED = {
    "schemas": {"schemas"},
    "streams": {"schemas", "streams"},
    "connectors": {"schemas", "connectors"},
    "ops": set(PACKAGES),
}


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_dependency_direction(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    forbidden = _imported_packages(path) - ALLOWED[package]
    assert not forbidden, f"{path.relative_to(ROOT)} ({package}) must not import {sorted(forbidden)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_says_its_responsibility(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc and doc.strip(), f"{path.relative_to(ROOT)} has no module docstring"


_TOPIC = re.compile(
    r"^rax\.(in\.[0-9{}<>a-z_]+\.(hits|alerts|watchlist|acks)|out\.[0-9{}<>a-z_]*|watchlist|zone"
    r"|matches|audit|dlq\.(connector|hotpath|control|centre))$"
)


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    out += [
        "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in n.values)
        for n in ast.walk(tree)
        if isinstance(n, ast.JoinedStr)
    ]
    return out


def test_topic_names_live_only_in_the_catalogue() -> None:
    offenders = {
        str(p.relative_to(ROOT)): names
        for p in _modules()
        if p.name != "topics.py"
        for names in [[s for s in _string_constants(p) if _TOPIC.match(s)]]
        if names
    }
    assert not offenders, f"topic names outside schemas/topics.py: {offenders}"
