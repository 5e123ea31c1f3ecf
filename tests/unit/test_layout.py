"""The tree keeps its rules: dependency direction, one client factory, no os._exit, docstrings, topics."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("schemas", "streams", "connectors", "ops")
#: every tree of ours, for the rules that hold everywhere (benchmarks and tests included)
TREES = (*PACKAGES, "bench", "tests")
#: the one module allowed to construct Kafka clients
FACTORY = Path("streams/runtime/clients.py")
CLIENT_CLASSES = frozenset(
    {"Producer", "Consumer", "AdminClient", "AIOKafkaConsumer", "AIOKafkaProducer", "AIOKafkaAdminClient"}
)
SELF, ANY = "<itself>", "<anything>"
# who may import whom, by unit: a top-level package, or a sub-package of streams. schemas nothing of
# ours; the stream runtime schemas only; a processor schemas, the runtime and itself, never another
# processor; connectors schemas, themselves and the stream runtime, no processor; ops everything
ALLOWED = {
    "schemas": {"schemas"},
    "streams": {"schemas"},  # streams/__init__.py
    "streams.runtime": {"schemas", "streams.runtime"},
    "streams.<processor>": {"schemas", "streams.runtime", SELF},
    "connectors": {"schemas", "connectors", "streams.runtime"},
    "ops": {ANY},
}


def _modules(trees: tuple[str, ...] = PACKAGES) -> list[Path]:
    return sorted(p for tree in trees for p in (ROOT / tree).rglob("*.py"))


def _unit(module: str) -> str:
    """The unit a dotted module belongs to: a top-level package, or ``streams.<sub-package>``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "streams" and len(parts) > 1 else parts[0]


def _rule(unit: str) -> set[str]:
    if unit in ALLOWED:
        return ALLOWED[unit]
    assert unit.startswith("streams."), f"no dependency rule for {unit}"
    return ALLOWED["streams.<processor>"]


def _unit_of_path(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return _unit(".".join(parts))


def _imported_units(path: Path) -> set[str]:
    """The units ``path`` imports (absolute and relative imports, at any depth of the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            # `from streams import hotpath` imports streams.hotpath
            modules |= {f"{base}.{a.name}" for a in node.names} if base == "streams" else {base}
    return {_unit(m) for m in modules if m.split(".")[0] in PACKAGES}


def _forbidden(unit: str, imported: set[str]) -> set[str]:
    allowed = _rule(unit)
    if ANY in allowed:
        return set()
    return imported - {unit if a == SELF else a for a in allowed}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_dependency_direction(path: Path) -> None:
    unit = _unit_of_path(path)
    forbidden = _forbidden(unit, _imported_units(path))
    assert not forbidden, f"{path.relative_to(ROOT)} ({unit}) must not import {sorted(forbidden)}"


@pytest.mark.parametrize(
    ("unit", "imported"),
    [
        ("streams.control", "streams.hotpath"),
        ("streams.hotpath", "streams.control"),
        ("streams.runtime", "streams.hotpath"),
        ("connectors", "streams.hotpath"),
        ("connectors", "streams"),
        ("connectors", "ops"),
        ("schemas", "streams.runtime"),
    ],
)
def test_the_rules_refuse_what_the_layering_forbids(unit: str, imported: str) -> None:
    assert _forbidden(unit, {imported}) == {imported}


def _client_constructions(tree: ast.AST) -> list[tuple[str, int]]:
    """(class, line) of every call of a Kafka client class, by plain or dotted name (``ck.Producer(…)``)."""
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in CLIENT_CLASSES:
            out.append((name, node.lineno))
    return out


def test_kafka_clients_are_built_only_by_the_runtime_factory() -> None:
    offenders = {
        f"{p.relative_to(ROOT)}:{line}": name
        for p in _modules(TREES)
        if p.relative_to(ROOT) != FACTORY
        for name, line in _client_constructions(ast.parse(p.read_text(encoding="utf-8")))
    }
    assert not offenders, (
        f"Kafka clients built outside {FACTORY} (use streams.runtime.ClientFactory): {offenders}"
    )


def _exits(tree: ast.AST) -> list[int]:
    """Lines that name ``os._exit``: called, passed around, or imported from ``os``."""
    lines = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute)
        and n.attr == "_exit"
        and isinstance(n.value, ast.Name)
        and n.value.id == "os"
    ]
    lines += [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "os" and any(a.name == "_exit" for a in n.names)
    ]
    return lines


def test_no_module_ends_the_process_behind_its_own_back() -> None:
    """``os._exit`` skips flushes, closes and finally blocks: a component reports failure and returns."""
    offenders = [
        f"{p.relative_to(ROOT)}:{line}"
        for p in _modules(TREES)
        for line in _exits(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert not offenders, f"os._exit in {offenders}"


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("Producer({})", 1),
        ("confluent_kafka.admin.AdminClient({})", 1),
        ("aiokafka.AIOKafkaConsumer(topic)", 1),
        ("ClientFactory(settings).producer()", 0),
        ("producer_config(Consumer)", 0),
    ],
)
def test_the_client_rule_sees_constructions(code: str, found: int) -> None:
    assert len(_client_constructions(ast.parse(code))) == found


@pytest.mark.parametrize(
    ("code", "found"), [("os._exit(3)", 1), ("from os import _exit", 1), ("sys.exit(3)", 0), ("x._exit()", 0)]
)
def test_the_exit_rule_sees_os_exit(code: str, found: int) -> None:
    assert len(_exits(ast.parse(code))) == found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_says_its_responsibility(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc and doc.strip(), f"{path.relative_to(ROOT)} has no module docstring"


_TOPIC = re.compile(
    r"^rax\.(in\.[0-9{}<>a-z_]+\.(hits|alerts|watchlist|acks)|out\.[0-9{}<>a-z_]*|watchlist|zone"
    r"|matches|audit|dlq\.(connector|hotpath|control|centre)|dlq\.[0-9{}<>a-z_]+\.(connector|centre))$"
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
