from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashtrain.deck.exporters import export_anki_txt, export_csv
from flashtrain.deck.importers import FORMATS, detect_format, parse_file, parse_text
from flashtrain.deck.model import DeckError

from importer_fixtures import ALTERNATING, ANKI, BRAINSCAPE, CSV_TEXT, NOTES_MARKDOWN, NOTES_PLAIN

SEEDS = Path("/work/shared/seeds")
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="seed files are not on this machine")


def test_all_formats_are_registered():
    assert {"markdown", "brainscape", "alternating", "notes", "anki", "csv"} <= set(FORMATS)


@pytest.mark.parametrize("text, path, expected", [
    (BRAINSCAPE, "deck.txt", "brainscape"),
    (ALTERNATING, "deck.txt", "alternating"),
    (NOTES_MARKDOWN, "deck.md", "notes"),
    (NOTES_PLAIN, "deck.txt", "notes"),
    (ANKI, "deck.txt", "anki"),
    (CSV_TEXT, "deck.csv", "csv"),
    (CSV_TEXT, "deck.txt", "csv"),
    ("---\nname: x\n---\n\nQ: one?\nA: two\n\n## Section\n\nQ: three?\nA: four\n", "deck.md", "markdown"),
])
def test_detect_own_fixtures(text, path, expected):
    assert detect_format(text, path) == expected


def test_detect_exports():
    deck = parse_text(ALTERNATING, "a.txt")
    assert detect_format(export_anki_txt(deck), "x.txt") == "anki"
    assert detect_format(export_csv(deck), "x.csv") == "csv"


def test_undetectable_text_is_a_deck_error():
    with pytest.raises(DeckError) as caught:
        detect_format("", "empty.txt")
    assert "--format" in caught.value.message


def test_format_override_is_used():
    deck = parse_text(CSV_TEXT, "x.txt", fmt="csv", deck_name="Mine")
    assert deck.format == "csv" and deck.name == "Mine"


@needs_seeds
@pytest.mark.parametrize("prefix, expected", [
    ("000_", "brainscape"), ("001_", "notes"), ("002_", "notes"), ("003_", "notes"), ("004_", "alternating")])
def test_detect_seed_files(prefix, expected):
    (path,) = SEEDS.glob(prefix + "*")
    assert detect_format(path.read_text(encoding="utf-8"), str(path)) == expected
    deck = parse_file(path)
    assert deck.cards


@needs_seeds
def test_seed_brainscape_imports_all_29_cards_without_footer():
    (path,) = SEEDS.glob("000_*")
    deck = parse_file(path)
    assert len(deck.cards) == 29
    for card in deck.cards:
        for text in (card.question, card.answer):
            assert "How well did you know this" not in text
            assert "Not at all" not in text and "Perfectly" not in text
        assert card.question and card.answer
    assert not any("cards but" in w.message for w in deck.warnings)  # matches the page's own count


def test_csv_file_with_one_bad_row_is_read_as_csv_and_the_row_named():
    # '# ...' lines inside quoted answers once made this read as lecture notes (2 cards from 4)
    text = ('question,answer\n"Scale?","x = 1\n# scale\nx = 2"\n"Shift?","y = 1\n# shift\ny = 2"\n'
            'Three,columns,here\nFour,ok\n')
    assert detect_format(text, "deck.csv") == "csv"
    with pytest.raises(DeckError) as caught:
        parse_text(text, "deck.csv")
    assert caught.value.line == 8 and "expected 2 columns" in str(caught.value)


@pytest.mark.parametrize("fmt", [None, "markdown", "csv", "anki", "notes", "brainscape", "alternating"])
def test_an_empty_file_is_reported_as_empty(fmt):
    with pytest.raises(DeckError) as caught:
        parse_text("\ufeff\n  \r\n", "empty.txt", fmt=fmt)
    assert "the file is empty" in str(caught.value)


# Detection looks at a large file cheaply; these helpers must answer as the whole-file operations would.
_PIECES = ["a", "B", "\n", "\r", "\r\n", "\x0b", "\x1c", "\x85", "\u2028", " ", "\t", "é", "K", "\u212a", "ſ",
           "How well did you know this?", "HOW WELL DID YOU KNOW THIS?", "how well did you know thiſ?"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60), st.integers(0, 12), st.integers(0, 3))
def test_the_head_helpers_answer_as_the_whole_text_would(pieces, count, repeat):
    import re

    from flashtrain.deck.text import head_splitlines, may_contain_caseless

    text = "".join(pieces) * (1 + repeat * 1500)  # some texts beyond the first pieces looked at
    assert head_splitlines(text, count) == text.splitlines()[:count]
    found = re.search(r"^\s*How well did you know this\?", text, re.MULTILINE | re.IGNORECASE)
    if found:
        assert may_contain_caseless(text, "how well did you know this?")
