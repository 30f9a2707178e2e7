"""A YAML loader that refuses a key given twice in one mapping.

PyYAML's loaders let the last of two equal keys win without a word (it has no option to
refuse them), so a second ``organisations:`` block, or a second ``overrides_refusal:`` in
one legal basis, would silently replace the first.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

__all__ = ["UniqueKeyLoader"]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader``, except that a mapping may not repeat a key."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        first_seen: dict[Hashable, Node] = {}
        # Checked before merging: a key a merge (<<) brings in may be overridden on purpose.
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base constructor refuses it, naming the line
            if key in first_seen:
                first = first_seen[key].start_mark
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found the key {key!r} a second time (first at line {first.line + 1}): "
                    "the second would silently replace the first; keep one of them",
                    key_node.start_mark,
                )
            first_seen[key] = key_node
        return super().construct_mapping(node, deep=deep)
