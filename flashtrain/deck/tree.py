"""Decks named `A::B` shown as a tree: parents first, children indented, counts summed upwards.

A parent that exists only through its sub-decks (Anki's `Languages` above `Languages::French`) is
listed too, so the tree has no gaps. Used wherever decks are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEPARATOR = "::"


@dataclass
class DeckNode:
    name: str  # full name, e.g. "Languages::French"
    label: str  # last level, e.g. "French"
    depth: int
    exists: bool  # a deck of its own, not only the parent of others
    counts: dict[str, int] = field(default_factory=dict)  # own counts plus every sub-deck's


def deck_tree(decks: list[tuple[str, dict[str, int]]]) -> list[DeckNode]:
    """Nodes in display order for (full name, counts) pairs; counts are summed into every ancestor."""
    nodes: dict[str, DeckNode] = {}
    for name, counts in decks:
        parts = [part.strip() for part in name.split(SEPARATOR)]
        for depth in range(len(parts)):
            path = SEPARATOR.join(parts[:depth + 1])
            node = nodes.setdefault(path, DeckNode(path, parts[depth], depth, False))
            for key, value in counts.items():
                node.counts[key] = node.counts.get(key, 0) + value
        nodes[SEPARATOR.join(parts)].exists = True
    return sorted(nodes.values(), key=lambda node: [part.casefold() for part in node.name.split(SEPARATOR)])


def tree_order(name: str) -> list[str]:
    """Sort key that puts every deck right under its parent."""
    return [part.strip().casefold() for part in name.split(SEPARATOR)]


def tree_label(name: str, names: set[str]) -> str:
    """`name` as a row of a tree of `names`: indented under its nearest listed ancestor, showing the
    levels below that ancestor (a deck with no listed ancestor shows its full name)."""
    parts = name.split(SEPARATOR)
    for cut in range(len(parts) - 1, 0, -1):
        parent = SEPARATOR.join(parts[:cut])
        if parent in names:
            indent = len(tree_label(parent, names)) - len(tree_label(parent, names).lstrip(" "))
            return " " * (indent + 2) + SEPARATOR.join(parts[cut:])
    return name
