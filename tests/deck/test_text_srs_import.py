"""Plain-text SRS formats (Obsidian SR, hashcards, Logseq, Mochi, org-drill), from samples we wrote
after each format's public documentation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flashtrain.deck.importers import detect_format, parse_text
from flashtrain.deck.model import DeckError

OBSIDIAN = """---
aliases: [optim]
---
#flashcards/ML/Optimizers

# Optimizers

Plain prose about optimizers stays out of the deck.

What does SGD stand for::Stochastic gradient descent #sgd
Adam:::Adaptive moment estimation
<!--SR:!2024-01-31,4,270!2024-02-02,6,250-->

Why use momentum
in two lines?
?
It averages past gradients,
damping oscillations.
<!--SR:!2024-03-01,10,230-->

Nesterov looks ahead
??
Momentum evaluated at the look-ahead point

Adam's defaults are ==0.9== and {{0.999}}.
"""

HASHCARDS = """---
name = "Group theory"
---

Q: What is the order of a group?
A: The cardinality of its underlying set.

C: The [order] of a group is [the cardinality of its underlying set]. See [the notes](https://example.org).

Q: List three optimizers.
A:

- SGD
- Adam
- RMSprop
"""

LOGSEQ = """- Optimizers
  - What does Adam combine? #card #optim
    card-last-interval:: 4
    card-next-schedule:: 2024-02-01T10:00:00.000Z
    - Momentum
    - RMSprop scaling
  - The default $\\beta_1$ is {{cloze 0.9}} and $\\beta_2$ is {{cloze 0.999}} #card
  - A note without a card tag
"""

MOCHI = """What does dropout do at training time?
---
It zeroes each activation with probability $p$
and scales the rest by $1/(1-p)$.
"""

ORG_DRILL = """#+TITLE: Optimizers

* What does SGD stand for?                                            :drill:
  :PROPERTIES:
  :ID: sgd-1
  :END:
** Answer
Stochastic gradient descent.

* Capital of France                                                   :drill:
  :PROPERTIES:
  :DRILL_CARD_TYPE: twosided
  :END:
** France
** Paris

* Plain heading
Some notes.
"""


def cards(deck):
    return [(c.question, c.answer, c.kind, c.cloze_index) for c in deck.cards]


def test_obsidian_sr_cards_tags_deck_and_schedules():
    assert detect_format(OBSIDIAN, "optim.md") == "obsidian"
    deck = parse_text(OBSIDIAN, "optim.md")
    assert deck.name == "ML::Optimizers"
    assert cards(deck) == [
        ("What does SGD stand for", "Stochastic gradient descent", "basic", 0),
        ("Adam", "Adaptive moment estimation", "basic", 0),
        ("Adam", "Adaptive moment estimation", "reversed", 0),
        ("Why use momentum\nin two lines?", "It averages past gradients,\ndamping oscillations.", "basic", 0),
        ("Nesterov looks ahead", "Momentum evaluated at the look-ahead point", "basic", 0),
        ("Nesterov looks ahead", "Momentum evaluated at the look-ahead point", "reversed", 0),
        ("Adam's defaults are {{0.9}} and {{0.999}}.", "", "cloze", 1),
        ("Adam's defaults are {{0.9}} and {{0.999}}.", "", "cloze", 2),
    ]
    assert deck.cards[0].tags == ("sgd",)
    assert {(due, interval, ease) for _, due, interval, ease in deck.schedules} == {
        ("2024-01-31", 4, 270), ("2024-02-02", 6, 250), ("2024-03-01", 10, 230)}


def test_obsidian_schedules_become_card_states_but_never_override_history(store, tmp_path):
    from flashtrain.store.models import Card, CardState
    from flashtrain.services.imports import import_paths

    note = tmp_path / "optim.md"
    note.write_text(OBSIDIAN, encoding="utf-8")
    [report] = import_paths(store, [note])
    assert report.status == "imported" and report.format == "obsidian" and report.added == 8
    with store.sessions() as s:
        states = {card.question: state for card, state in s.execute(
            select(Card, CardState).join(CardState, CardState.card_id == Card.id)).all()}
        assert set(states) == {"Adam", "Why use momentum\nin two lines?"}
        momentum = states["Why use momentum\nin two lines?"]
        assert momentum.phase == "review" and momentum.stability == 10.0
        assert momentum.due.date().isoformat() in ("2024-03-01", "2024-02-29")


def test_obsidian_sr_is_not_read_as_notes():
    # the seed of the issue: an SR note used to become section cards
    assert detect_format(OBSIDIAN.replace("#flashcards/ML/Optimizers", "#flashcards"), "o.md") == "obsidian"


def test_hashcards_toml_front_matter_and_bracket_clozes():
    assert detect_format(HASHCARDS, "groups.md") == "hashcards"
    deck = parse_text(HASHCARDS, "groups.md")
    assert deck.name == "Group theory" and deck.format == "hashcards"
    assert cards(deck)[1:3] == [
        ("{{order}} of a group is {{the cardinality of its underlying set}}. See [the notes](https://example.org).".join(
            ["The ", ""]), "", "cloze", 1),
        ("The {{order}} of a group is {{the cardinality of its underlying set}}. See [the notes](https://example.org).",
         "", "cloze", 2)]
    assert deck.cards[-1].answer == "- SGD\n- Adam\n- RMSprop"


def test_logseq_card_blocks_children_and_clozes():
    assert detect_format(LOGSEQ, "Optimizers.md") == "logseq"
    deck = parse_text(LOGSEQ, "Optimizers.md")
    assert cards(deck) == [
        ("What does Adam combine?", "Momentum\nRMSprop scaling", "basic", 0),
        ("The default $\\beta_1$ is […] and $\\beta_2$ is […]",
         "The default $\\beta_1$ is **0.9** and $\\beta_2$ is **0.999**", "basic", 0)]
    assert deck.cards[0].tags == ("optim",)


def test_mochi_sides():
    assert detect_format(MOCHI, "dropout.md") == "mochi"
    deck = parse_text(MOCHI, "dropout.md")
    assert cards(deck) == [("What does dropout do at training time?",
                            "It zeroes each activation with probability $p$\nand scales the rest by $1/(1-p)$.",
                            "basic", 0)]
    groups = parse_text("The {{1::Shiba Inu}} is a {{2::hunting dog}} from {{2::Japan}}.\n---\nA dog.", "s.md",
                        fmt="mochi")
    assert [c.question for c in groups.cards] == ["The […] is a hunting dog from Japan.",
                                                  "The Shiba Inu is a […] from […]."]


def test_org_drill_simple_cards_read_others_skipped_with_a_warning():
    assert detect_format(ORG_DRILL, "optim.org") == "org-drill"
    deck = parse_text(ORG_DRILL, "optim.org")
    assert cards(deck) == [("What does SGD stand for?", "Stochastic gradient descent.", "basic", 0)]
    assert [w.line for w in deck.warnings] == [10] and "twosided" in deck.warnings[0].message
    only_other = ORG_DRILL.split("* Capital")[0].replace("** Answer\nStochastic gradient descent.\n", "")
    with pytest.raises(DeckError, match="only simple cards"):
        parse_text(only_other, "x.org")


def test_unsure_detection_says_so():
    # a #flashcards note (Obsidian SR) that also holds a Logseq #card block: both claim it equally
    both = "#flashcards\n- What is SGD? #card\n  - Stochastic gradient descent\n\nAdam::Adaptive moments\n"
    with pytest.raises(DeckError, match="not sure whether this file is (logseq or obsidian|obsidian or logseq)"):
        detect_format(both, "x.md")
    assert parse_text(both, "x.md", fmt="obsidian").cards  # --format settles it


def test_folder_import_lists_every_skipped_file(store, tmp_path, capsys):
    from flashtrain.cli import main

    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    (folder / "optim.md").write_text(OBSIDIAN, encoding="utf-8")
    (folder / "sub" / "picture.png").write_bytes(b"\x89PNG")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref")
    (folder / "notes.docx").write_bytes(b"PK")
    assert main(["--db", str(tmp_path / "s.db"), "import", str(folder)]) == 0
    err = capsys.readouterr().err
    assert f"{folder / 'sub' / 'picture.png'}: skipped: not a deck file (.png" in err
    assert f"{folder / '.git'}: skipped: hidden folder" in err and "notes.docx: skipped" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.pdf").write_bytes(b"%PDF")
    assert main(["--db", str(tmp_path / "s.db"), "import", str(empty)]) == 1
    assert "nothing to import" in capsys.readouterr().err


def test_obsidian_cards_right_below_the_flashcards_tag_are_read_and_broken_ones_are_named():
    text = ("#flashcards\nWhat does a tensor generalise?::Vectors and matrices\nHalf a card::\n"
            "::an answer without its question\nWhy batch norm?:::It steadies activations\n\nSome prose.\n")
    spec = parse_text(text, "note.md", "obsidian")
    assert [(c.question, c.kind) for c in spec.cards] == [
        ("What does a tensor generalise?", "basic"), ("Why batch norm?", "basic"), ("Why batch norm?", "reversed")]
    assert [(w.line, "empty side" in w.message) for w in spec.warnings] == [(3, True), (4, True)]
