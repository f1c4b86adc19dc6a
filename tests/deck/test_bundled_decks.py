"""The decks shipped in cards/ must import cleanly and cover what issues 2 and 4 promise.

These tests read the real bundled files (they are part of the product), not fixtures.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from flashtrain.deck.markdown_format import parse_markdown_deck
from flashtrain.deck.model import DeckSpec

CARDS_DIR = Path(__file__).resolve().parents[2] / "cards"
SNIPPETS_DIR = CARDS_DIR / "snippets"

# Issue 4, section 2: every required snippet needs at least one card that links to it.
REQUIRED_SNIPPETS = (
    "sample_log_uniform", "sample_beta", "ewa", "momentum_update", "rmsprop_update", "adam_update",
    "lr_decay", "lr_decay_exponential", "lr_decay_scheduled", "random_mini_batches",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_inference", "update_running_stats",
    "softmax", "sigmoid", "leaky_relu", "cross_entropy_cost", "dropout_forward",
    "l2_regularized_cost", "l2_grad", "he_init", "xavier_init", "forward_two_layer",
)


def deck_files() -> list[Path]:
    return sorted(p for p in CARDS_DIR.glob("*.md") if p.name.lower() != "readme.md")


@pytest.fixture(scope="module")
def decks() -> list[DeckSpec]:
    files = deck_files()
    assert files, f"no bundled decks found in {CARDS_DIR}"
    return [parse_markdown_deck(path.read_text(encoding="utf-8"), path) for path in files]


def all_cards(decks):
    return [card for deck in decks for card in deck.cards]


def test_every_deck_parses_without_warnings(decks):
    warnings = [str(w) for deck in decks for w in deck.warnings]
    assert warnings == []


def test_enough_decks_and_cards(decks):
    assert len(decks) >= 6
    assert len(all_cards(decks)) >= 120
    assert all(deck.cards for deck in decks), "a bundled deck without cards"


def test_every_deck_has_front_matter(decks):
    for deck in decks:
        assert deck.description, f"{deck.path}: no description"
        assert deck.tags, f"{deck.path}: no deck tags"
    names = [deck.name for deck in decks]
    assert len(set(names)) == len(names), "two bundled decks share a name (they would merge in the store)"


def test_every_card_has_an_id_unique_across_all_decks(decks):
    missing = [f"{card.line}: {card.question[:50]}" for card in all_cards(decks) if not card.explicit_id]
    assert missing == []
    # One id per note: a cloze note's deletions and a reversed card share their note's id.
    notes = {(deck.path, card.explicit_id, card.line) for deck in decks for card in deck.cards}
    counts = Counter(explicit_id for _, explicit_id, _ in notes)
    assert [i for i, n in counts.items() if n > 1] == []


def test_every_card_has_its_own_tags(decks):
    untagged = [f"{deck.path}:{card.line}" for deck in decks for card in deck.cards if not card.tags]
    assert untagged == []


def test_every_required_snippet_is_linked_by_a_card(decks):
    linked = {card.snippet for card in all_cards(decks) if card.snippet}
    assert sorted(set(REQUIRED_SNIPPETS) - linked) == []


def test_code_cards_state_the_signature(decks):
    # A card that asks for an implementation must name the function it asks for (a card linked to a
    # demonstration, demo_*, asks about an idea the experiment shows, not for code).
    exercise_cards = [card for card in all_cards(decks) if card.snippet and not card.snippet.startswith("demo_")]
    assert exercise_cards
    for card in exercise_cards:
        assert f"{card.snippet}(" in card.question, f"line {card.line}: question lacks `{card.snippet}(...)`"


def test_at_least_half_of_all_bundled_cards_link_to_runnable_code(decks):
    # Issue 13: code is the way every idea is learned. Counted over cards (a cloze note gives one
    # card per gap, a reversed note two), over every bundled deck.
    cards = all_cards(decks)
    linked = [card for card in cards if card.snippet]
    assert len(linked) / len(cards) >= 0.5, f"{len(linked)} of {len(cards)} cards link to a snippet"
    assert any(c.snippet.startswith("demo_") for c in linked) and any(not c.snippet.startswith("demo_") for c in linked)


def test_every_demonstration_is_linked_by_a_card(decks):
    linked = {card.snippet for card in all_cards(decks) if card.snippet}
    demos = sorted(p.stem for p in SNIPPETS_DIR.glob("demo_*.md"))
    assert demos and [d for d in demos if d not in linked] == []


def test_linked_snippets_exist_when_the_snippet_folder_ships(decks):
    linked = sorted({card.snippet for card in all_cards(decks) if card.snippet})
    assert linked, "no card links to a snippet"
    if not SNIPPETS_DIR.is_dir():
        # No snippet folder in this tree: the links themselves are all we can assert.
        assert set(REQUIRED_SNIPPETS) <= set(linked)
        return
    missing = [snippet for snippet in linked if not (SNIPPETS_DIR / f"{snippet}.md").is_file()]
    assert missing == [], f"cards link to snippets with no file in {SNIPPETS_DIR}"
