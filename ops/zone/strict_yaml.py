"""YAML read as the configuration of law it is: a key given twice in one mapping is refused, not kept last."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["strict_load"]


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a mapping naming one key twice (PyYAML keeps the last silently)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:  # its own keys: one may override what a merge key (<<) brings
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # construct_mapping refuses it, with its own message
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found the key {key!r} twice (first on line {seen[key].start_mark.line + 1}): which one "
                "is meant cannot be told",
                key_node.start_mark,
            )
        seen[key] = key_node
    loader.flatten_mapping(node)  # then merge keys, as SafeLoader does
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def strict_load(text: str) -> Any:
    """The data of a YAML document, as ``yaml.safe_load`` reads it; raises ``yaml.YAMLError`` for a
    key given twice in one mapping (an agreement with two ``redact`` lists must not keep one silently)."""
    return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
