"""Our deck format: parsing, errors with path:line, and export -> import round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashtrain.deck.markdown_format import cloze_sides, parse_markdown_deck, write_markdown_deck
from flashtrain.deck.model import CardSpec, DeckError, DeckSpec

DECK = """---
name: Optimizers
description: Momentum and Adam
tags: [optim, adam]
---

# Adam

Q: What are Adam's usual $\\beta_1$ and $\\beta_2$?
A: $\\beta_1 = 0.9$ and $\\beta_2 = 0.999$.
tags: defaults
hint: one is for the first moment
hint: the other for the second

---

Q: Which update
spans two lines?

```python
Q: inside a fence is not a card
```
A:
- a list answer
- with $$x^2$$ math

id: two-lines
snippet: adam_update
reversed: yes

C: The ε of Adam is {{1e-8}} and t starts at {{1::a count}}.
"""


def test_parses_cards_fields_and_front_matter():
    deck = parse_markdown_deck(DECK, "opt.md")
    assert (deck.name, deck.description, deck.tags) == ("Optimizers", "Momentum and Adam", ("optim", "adam"))
    kinds = [card.kind for card in deck.cards]
    assert kinds == ["basic", "basic", "reversed", "cloze", "cloze"]
    first = deck.cards[0]
    assert first.answer == "$\\beta_1 = 0.9$ and $\\beta_2 = 0.999$."
    assert first.tags == ("defaults",)
    assert first.hints == ("one is for the first moment", "the other for the second")
    assert first.line == 9
    second = deck.cards[1]
    assert second.question.startswith("Which update\nspans two lines?")
    assert "Q: inside a fence is not a card" in second.question
    assert second.answer == "- a list answer\n- with $$x^2$$ math"
    assert (second.explicit_id, second.snippet, second.key) == ("two-lines", "adam_update", "id:two-lines")
    assert deck.cards[2].key == "id:two-lines#r"
    assert [c.key.rsplit("#", 1)[1] for c in deck.cards[3:]] == ["c1", "c2"]


def test_cloze_sides_hide_one_gap_and_show_hints():
    front, back = cloze_sides("ε is {{1e-8}} and t starts at {{1::a count}}.", 2)
    assert front == "ε is 1e-8 and t starts at [a count]."
    assert back == "ε is 1e-8 and t starts at **1**."


def test_identity_ignores_whitespace_and_case_in_question():
    a = CardSpec(question="What  is Adam?", answer="x")
    b = CardSpec(question="what is adam?\n", answer="y")
    assert a.key == b.key and a.content_hash != b.content_hash


def test_file_name_gives_default_deck_name():
    assert parse_markdown_deck("Q: a\nA: b\n", "cards/02_batch-norm.md").name == "Batch norm"


@pytest.mark.parametrize("text, line, expected", [
    ("A: orphan answer", 1, "before any 'Q:'"),
    ("Q: only a question\n", 1, "no 'A:' answer"),
    ("Some intro\n\nQ: a\nA: b\n", 1, "expected 'Q:' or 'C:'"),
    ("Q: a\nA: b\n\nid: x\n\nmore answer", 6, "after its fields"),
    ("C: nothing to hide", 1, "{{deletion}}"),
    ("---\nname: x\nnot yaml\n---\nQ: a\nA: b\n", 3, "key: value"),
    ("Q: a\nA: b\nA: c\n", 3, "second 'A:'"),
    ("Q: a\nA: b\nid: one\nid: two\n", 4, "given twice"),
    ("Q: a\nA: b\nid: has space\n", 3, "an id may hold"),
    ("Q: a\nA: b\nreversed: maybe\n", 3, "yes or no"),
    ("Q:\nA: b\n", 1, "empty question"),
    ("Q: pick one\n- x\n- y\nA: x\n", 1, "leave a blank line before 'A:'"),
])
def test_errors_name_path_line_and_expectation(text, line, expected):
    with pytest.raises(DeckError) as caught:
        parse_markdown_deck(text, "decks/bad.md")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"decks/bad.md:{line}: error:")
    assert expected in str(caught.value)


def test_unknown_front_matter_key_is_a_warning_with_line():
    deck = parse_markdown_deck("---\nname: x\ncolour: red\n---\nQ: a\nA: b\n", "w.md")
    assert [str(w) for w in deck.warnings] == [
        "w.md:3: warning: unknown front-matter key 'colour' ignored (known: deck, description, name, tags)"]


def test_setext_underline_is_a_separator_not_a_heading():
    deck = parse_markdown_deck("Q: a\nA: b\n---\nQ: c\nA: d\n", "s.md")
    assert [(c.question, c.answer) for c in deck.cards] == [("a", "b"), ("c", "d")]


def test_escaped_marker_is_literal_text():
    deck = parse_markdown_deck("Q: quoting\nA: the transcript said\n\\Q: is this a card?\n", "e.md")
    assert deck.cards[0].answer == "the transcript said\nQ: is this a card?"


# -- export -> import round trip -----------------------------------------------------------------
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?()'-+=*/<>_",
                min_size=1, max_size=30).map(str.strip).filter(lambda w: w[:1].isalnum())
math = st.builds(lambda w: f"${w}$", st.sampled_from(["\\beta_1", "x^2", "\\frac{1}{1-\\beta^t}", "\\sqrt{s}+\\epsilon"]))
line = st.lists(st.one_of(words, math), min_size=1, max_size=5).map(" ".join)
lines = st.lists(line, min_size=1, max_size=3).map("\n".join)
tricky_line = st.sampled_from(["Q: not a card", "A: not an answer", "tags: not a field", "id: nope",
                               "C: not cloze", "\\Q: already escaped"])
paragraph = st.one_of(lines, st.tuples(lines, tricky_line).map("\n".join))
code = st.builds(lambda body: f"```python\n{body}\n```", st.sampled_from(["x = 1", "Q: in code", "print(x)"]))
bullets = st.lists(words, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items))
body = st.lists(st.one_of(paragraph, code, bullets), min_size=1, max_size=3).map("\n\n".join)
tag = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
ident = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@st.composite
def card_specs(draw):
    kind = draw(st.sampled_from(["basic", "basic", "reversed", "cloze"]))
    tags = tuple(dict.fromkeys(draw(st.lists(tag, max_size=3))))
    hints = tuple(draw(st.lists(line, max_size=2)))
    snippet = draw(st.none() | st.sampled_from(["adam_update", "softmax"]))
    explicit = draw(st.none() | ident)
    common = dict(tags=tags, hints=hints, snippet=snippet, explicit_id=explicit)
    if kind == "cloze":
        text = draw(line) + " {{" + draw(words) + "}} " + draw(line)
        return [CardSpec(question=text, answer="", kind="cloze", cloze_index=1, **common)]
    question, answer = draw(body), draw(body)
    cards = [CardSpec(question=question, answer=answer, **common)]
    if kind == "reversed":
        cards.append(CardSpec(question=question, answer=answer, kind="reversed", **common))
    return cards


def comparable(card: CardSpec):
    return (card.key, card.kind, card.question, card.answer, card.tags, card.hints, card.snippet, card.explicit_id)


@settings(max_examples=150, deadline=None)
@given(st.lists(card_specs(), min_size=1, max_size=6), words, st.lists(tag, max_size=2))
def test_export_then_import_gives_identical_cards(groups, name, deck_tags):
    cards, seen = [], set()
    for group in groups:
        if group[0].key in seen:
            continue  # one identity per deck, as the importer requires
        seen.update(card.key for card in group)
        cards += group
    deck = DeckSpec(name=name, cards=tuple(cards), description="generated", tags=tuple(dict.fromkeys(deck_tags)))
    text = write_markdown_deck(deck)
    again = parse_markdown_deck(text, "roundtrip.md")
    assert (again.name, again.description, again.tags) == (deck.name, deck.description, deck.tags)
    assert [comparable(c) for c in again.cards] == [comparable(c) for c in deck.cards]
    assert write_markdown_deck(again) == text


def test_unicode_line_separators_do_not_shift_line_numbers():
    deck = parse_markdown_deck("Q: one\u2028two\nA: three\n", "u.md")
    assert deck.cards[0].question == "one\u2028two"
    with pytest.raises(DeckError) as caught:
        parse_markdown_deck("Q: one\u2028two\nA: three\n\nQ: four\n", "u.md")
    assert caught.value.line == 4


# -- lines that would end a card (headings, separators) survive the writer -----------------------
@pytest.mark.parametrize("answer", [
    "x = np.ones(3)\n# scale it\nx = x * 2",  # a code comment in a CSV answer, no fence
    "# heading first",
    "before\n\n---\n\nafter",
    "---",
    "text\n===",
    "text\n-",
    "a\n***\nb",
    "a\n\n___",
    "   ## indented heading\nbody",
    "keep \\# as written\n\\# escaped already",
])
def test_card_text_that_looks_like_a_heading_or_separator_round_trips(answer):
    cards = (CardSpec(question="Q one?", answer=answer, line=1),
             CardSpec(question="---\nname: x\n---", answer=answer, line=2),
             CardSpec(question="Last?", answer="fine", line=3))
    text = write_markdown_deck(DeckSpec(name="Breaks", cards=cards))
    again = parse_markdown_deck(text, "breaks.md")
    assert [(c.question, c.answer) for c in again.cards] == [(c.question, c.answer) for c in cards]


def test_backslash_before_a_heading_or_separator_line_keeps_it_in_the_card():
    deck = parse_markdown_deck("Q: code?\nA: x = 1\n\\# a comment\n\\---\ny = 2\n\nQ: next\nA: b\n", "e.md")
    assert [c.answer for c in deck.cards] == ["x = 1\n# a comment\n---\ny = 2", "b"]


def test_hint_spacing_survives_the_writer():
    card = CardSpec(question="q", answer="a", hints=("0  0", "two\nlines"))
    again = parse_markdown_deck(write_markdown_deck(DeckSpec(name="H", cards=(card,))), "h.md")
    assert again.cards[0].hints == ("0  0", "two lines")


def test_error_quoting_a_huge_line_stays_short():
    with pytest.raises(DeckError) as caught:
        parse_markdown_deck("x" * 100_000 + "\n", "junk.md")
    assert caught.value.line == 1 and len(str(caught.value)) < 200
    with pytest.raises(DeckError) as caught:
        parse_markdown_deck("---\n" + "y" * 100_000 + "\n---\nQ: a\nA: b\n", "junk.md")
    assert caught.value.line == 2 and len(str(caught.value)) < 200


def test_numbered_gaps_group_into_cards_as_in_anki_and_the_extra_shows_on_the_back():
    text = ("---\nname: Capitals\n---\n\nC: {{c1::Paris}} is the capital of {{c1::France}}; "
            "{{c3::Rome::city}} is in {{c2::Italy}}.\nA: Both are in *Europe*.\n\nid: capitals\n")
    deck = parse_markdown_deck(text, "capitals.md")
    assert [(c.kind, c.cloze_index, c.answer) for c in deck.cards] == [
        ("cloze", 1, "Both are in *Europe*."), ("cloze", 2, "Both are in *Europe*."),
        ("cloze", 3, "Both are in *Europe*.")]
    question = deck.cards[0].question
    assert cloze_sides(question, 1) == ("[…] is the capital of […]; Rome is in Italy.",
                                        "**Paris** is the capital of **France**; Rome is in Italy.")
    assert cloze_sides(question, 3)[0] == "Paris is the capital of France; [city] is in Italy."
    again = parse_markdown_deck(write_markdown_deck(deck), "capitals.md")
    assert again.cards == deck.cards


def test_a_cloze_note_cannot_mix_numbered_and_plain_gaps():
    with pytest.raises(DeckError, match=r"mixes numbered gaps"):
        parse_markdown_deck("C: {{c1::one}} and {{two}}\n", "mixed.md")


def test_make_card_is_the_constructor_without_its_cost():
    import dataclasses

    import pytest

    from flashtrain.deck.model import CardSpec, make_card

    made = make_card("Q?", "A", 3, ("t",), "id-1", ("h",), "s", "cloze", 2)
    built = CardSpec(question="Q?", answer="A", line=3, tags=("t",), explicit_id="id-1", hints=("h",), snippet="s",
                     kind="cloze", cloze_index=2)
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert (made.key, made.content_hash) == (built.key, built.content_hash)
    assert make_card("Q?", "A", 1, (), None, (), None) == CardSpec(question="Q?", answer="A", line=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.answer = "changed"
    assert dataclasses.replace(made, answer="B").answer == "B"
