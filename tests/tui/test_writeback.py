"""flashtrain.deck.writeback: replace one note in a deck file, every other byte unchanged."""

import pytest

from flashtrain.deck.markdown_format import parse_markdown_deck
from flashtrain.deck.model import CardSpec
from flashtrain.deck.writeback import WritebackError, note_span, replace_card

DECK = """---
name: Optimizers   # odd   spacing kept
tags: [opt]
---

<!-- a comment the writer would never produce -->

Q: What does $\\beta_1$ control?
A: The first-moment average.

id: adam-beta1
tags: adam
hint: It is a momentum term.

---

Q:   Why   bias correction?
A: Because $v_0 = 0$.
   Indented continuation kept.

---

# A section

C: Adam's defaults are $\\beta_1 =$ {{0.9}} and $\\beta_2 =$ {{0.999}}.

---

Q: Last card
A: ```python
x = 1
```
"""


def cards_of(text):
    return parse_markdown_deck(text, "d.md").cards


def test_replace_by_explicit_id_changes_only_that_note():
    new = CardSpec(question="What does $\\beta_1$ control in Adam?", answer="The EWA of gradients.",
                   explicit_id="adam-beta1", tags=("adam",), hints=("Momentum.",))
    out = replace_card(DECK, [new], explicit_id="adam-beta1", path="d.md")
    before_lines, after_lines = DECK.split("\n"), out.split("\n")
    start = before_lines.index("Q: What does $\\beta_1$ control?")
    assert after_lines[:start] == before_lines[:start]
    assert after_lines[start:start + 2] == ["Q: What does $\\beta_1$ control in Adam?", "A: The EWA of gradients."]
    # everything after the old note is byte-identical
    old_tail = DECK[DECK.index("\n---\n\nQ:   Why"):]
    assert out.endswith(old_tail)
    edited = {c.explicit_id: c for c in cards_of(out)}["adam-beta1"]
    assert edited.question == new.question and edited.answer == new.answer and edited.hints == ("Momentum.",)
    assert len(cards_of(out)) == len(cards_of(DECK))


def test_replace_by_key_for_card_without_id_keeps_surroundings():
    target = [c for c in cards_of(DECK) if "bias" in c.question][0]
    new = CardSpec(question="Why bias correction in an EWA?", answer="Because $v_0 = 0$ pulls early values to 0.")
    out = replace_card(DECK, [new], key=target.key, path="d.md")
    assert out.startswith(DECK[:DECK.index("Q:   Why")])
    assert out.endswith(DECK[DECK.index("\n---\n\n# A section"):])
    assert [c.question for c in cards_of(out)][1] == "Why bias correction in an EWA?"


def test_replace_cloze_note_by_line():
    cloze = [c for c in cards_of(DECK) if c.kind == "cloze"]
    assert len(cloze) == 2
    text = "Adam's defaults: $\\beta_1 =$ {{0.9}}, $\\beta_2 =$ {{0.999}}, $\\epsilon =$ {{1e-8}}."
    new = [CardSpec(question=text, answer="", kind="cloze", cloze_index=i) for i in (1, 2, 3)]
    out = replace_card(DECK, new, key="nope", line=cloze[0].line, path="d.md")
    assert len([c for c in cards_of(out) if c.kind == "cloze"]) == 3
    assert "# A section" in out and out.endswith("Q: Last card\nA: ```python\nx = 1\n```\n")


def test_last_card_and_missing_final_newline():
    text = DECK.rstrip("\n")
    last = cards_of(text)[-1]
    out = replace_card(text, [CardSpec(question="Last card", answer="Now plain.")], key=last.key, path="d.md")
    assert out.endswith("Q: Last card\nA: Now plain.")
    assert out[: text.index("Q: Last card")] == text[: text.index("Q: Last card")]


def test_crlf_files_stay_crlf():
    text = DECK.replace("\n", "\r\n")
    target = cards_of(text)[1]
    out = replace_card(text, [CardSpec(question="Q two", answer="A two")], key=target.key, path="d.md")
    assert "\r\nQ: Q two\r\nA: A two\r\n" in out
    assert out.count("\n") == out.count("\r\n")


def test_reversed_note_is_written_with_reversed_flag():
    base = CardSpec(question="Adam", answer="Momentum plus RMSprop")
    twin = CardSpec(question="Adam", answer="Momentum plus RMSprop", kind="reversed")
    target = cards_of(DECK)[-1]
    out = replace_card(DECK, [base, twin], key=target.key, path="d.md")
    kinds = [c.kind for c in cards_of(out)][-2:]
    assert kinds == ["basic", "reversed"]
    assert "reversed: yes" in out


def test_note_span_stops_at_next_marker_in_same_paragraph():
    text = "Q: one\nA: two\nQ: three\nA: four\n"
    assert note_span(text, 1) == (0, 2)
    assert note_span(text, 3) == (2, 4)


def test_card_gone_from_file_is_an_error():
    with pytest.raises(WritebackError, match="no longer in this file"):
        replace_card(DECK, [CardSpec(question="x", answer="y")], key="id:missing", path="d.md")


def test_remove_note_takes_one_separator():
    from flashtrain.deck.writeback import remove_note

    target = [c for c in cards_of(DECK) if "bias" in c.question][0]
    out = remove_note(DECK, key=target.key, path="d.md")
    assert "bias" not in out
    assert out.startswith(DECK[: DECK.index("Q:   Why")])
    assert out.count("\n---\n") == DECK.count("\n---\n") - 1
    assert len(cards_of(out)) == len(cards_of(DECK)) - 1
    last = cards_of(DECK)[-1]
    out = remove_note(DECK, key=last.key, path="d.md")
    assert out.endswith("{{0.999}}.\n") and len(cards_of(out)) == len(cards_of(DECK)) - 1


def test_unicode_line_separator_before_the_card_does_not_shift_lines():
    from flashtrain.deck.model import CardSpec
    from flashtrain.deck.writeback import remove_note, replace_card

    text = "Q: one\u2028more\nA: a\n\n---\n\nQ: two\nA: b\n"
    assert replace_card(text, [CardSpec("two", "B")], line=6) == text.replace("A: b", "A: B")
    assert remove_note(text, line=6) == "Q: one\u2028more\nA: a\n"
