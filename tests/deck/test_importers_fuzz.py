"""Random input into every importer: it may return a deck or raise DeckError, never anything else."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashtrain.deck.importers import FORMATS, parse_text
from flashtrain.deck.importers._common import split_lines
from flashtrain.deck.model import DeckError, DeckSpec

FOREIGN = ["brainscape", "alternating", "notes", "anki", "csv"]

# Lines that steer the parsers into their interesting branches, mixed with random text.
SHAPED_LINES = st.sampled_from([
    "", "1", "2", "3", "17", "Q", "A", "Q:", "A: x", "Q: what?", "How well did you know this?", "Not at all",
    "Perfectly", "(3 cards)", "Title Flashcards", "What is this?", "Explain it", "Short title", "list:",
    "- item", "•  bullet", "  indented", "-", "3.1 Section", "Week 2 - Part", "# Heading", "## Sub", "###",
    "===", "$$", "```", "#separator:tab", "#separator:comma", "#html:true", "#deck column:1",
    "#tags column:3", "#guid column:2", "#notetype column:1", "#columns:Front\tBack", "Cloze\t{{c1::x}}\t",
    "a\tb", "a\tb\tc", "a,b", '"a,b",c', '"open', 'x""y', "<br>", "&amp;", "question,answer", "Tags:",
])
shaped_text = st.lists(st.one_of(SHAPED_LINES, st.text(max_size=20)), max_size=25).map("\n".join)
any_text = st.one_of(st.text(max_size=300), shaped_text)


def _only_deck_errors(call, text):
    last_line = len(split_lines(text)) + 1
    try:
        result = call()
    except DeckError as error:
        assert error.path == "fuzz.txt" and error.message
        assert error.line is None or 1 <= error.line <= last_line
        return
    assert isinstance(result, DeckSpec)
    for warning in result.warnings:
        assert warning.path == "fuzz.txt" and 1 <= warning.line <= last_line
    for card in result.cards:
        assert card.question
        assert card.answer or card.kind == "cloze"


@pytest.mark.parametrize("fmt", FOREIGN)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text)
def test_parser_raises_only_deck_errors(fmt, text):
    parse, looks_like = FORMATS[fmt]
    score = looks_like(text, "fuzz.txt")
    assert 0.0 <= score <= 1.0
    _only_deck_errors(lambda: parse(text, "fuzz.txt", None), text)


@settings(max_examples=300, deadline=None)
@given(text=any_text, deck_name=st.one_of(st.none(), st.text(min_size=1, max_size=10)))
def test_detection_and_parse_raise_only_deck_errors(text, deck_name):
    _only_deck_errors(lambda: parse_text(text, "fuzz.txt", None, deck_name), text)
