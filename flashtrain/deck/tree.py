"""Decks named `A::B` shown as a tree: parents first, children indented, counts summed upwards.

A parent that exists only through its sub-decks (Anki's `Languages` above `Languages::French`) is
listed too, so the tree has no gaps and every row shows its own level's name. Used wherever decks
are listed (`flashtrain decks`, the home screen, whose rows study a deck with its sub-decks).
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


@dataclass(frozen=True)
class TreeRow:
    """A row of the home screen's deck list: a deck, or a parent that is only its sub-decks' prefix."""

    key: str  # the deck id as text, or "tree:<full name>" for a parent that is no deck of its own
    label: str
    depth: int
    deck_id: int | None  # None for a prefix-only parent
    deck_ids: tuple[int, ...]  # the deck and all its sub-decks (what studying the row studies)
    due: int
    learning: int
    new: int
    total: int
    retention: float | None  # mean over the row's decks, weighted by their card counts


def deck_tree_rows(summaries) -> list[TreeRow]:
    """Tree rows for deck summaries (objects with deck_id, name, due, learning, new, total, retention)."""
    by_name = {summary.name: summary for summary in summaries}
    nodes = deck_tree([(s.name, {"due": s.due, "learning": s.learning, "new": s.new, "total": s.total}) for s in summaries])
    orders = [(tree_order(name), s) for name, s in by_name.items()]  # once per deck, not once per row and deck
    rows = []
    for node in nodes:
        prefix = tree_order(node.name)
        members = [s for order, s in orders if order[:node.depth + 1] == prefix]
        rated = [(s.retention, s.total) for s in members if s.retention is not None and s.total]
        weight = sum(total for _, total in rated)
        own = by_name.get(node.name) if node.exists else None
        rows.append(TreeRow(key=str(own.deck_id) if own else f"tree:{node.name}", label=node.label, depth=node.depth,
                            deck_id=own.deck_id if own else None,
                            deck_ids=tuple(sorted(s.deck_id for s in members)),
                            due=node.counts.get("due", 0), learning=node.counts.get("learning", 0),
                            new=node.counts.get("new", 0), total=node.counts.get("total", 0),
                            retention=sum(r * t for r, t in rated) / weight if weight else None))
    return rows
