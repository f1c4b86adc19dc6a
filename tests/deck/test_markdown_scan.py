"""The line scanner and markdown-it give the same cards, errors and warnings (deck/markdown_scan.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flashtrain.bench.import_bench import generate_deck
from flashtrain.deck.markdown_format import parse_markdown_deck
from flashtrain.deck.markdown_scan import scan_blocks
from flashtrain.deck.model import DeckError
from flashtrain.deck.text import LINE_BREAK

CARDS = Path(__file__).resolve().parents[2] / "cards"


def outcome(text: str, scan: bool):
    try:
        return parse_markdown_deck(text, "deck.md", scan=scan)
    except DeckError as error:
        return str(error)


def assert_same(text: str) -> None:
    assert outcome(text, scan=True) == outcome(text, scan=False)


# Lines a deck is made of, and the nasty ones: fences, comments, HTML, quotes, math, lists in every
# spelling, setext underlines, reference definitions, escapes, tabs, control characters and unicode
# line separators (which do not end a line).
LINES = [
    "Q: What is {n}?", "A: It is {n}.", "C: The {{{{c{n}::gap}}}} is {{{{here}}}}.", "Q:", "A:", "C:",
    "", "", "", "   ", "\t", "---", "***", "___", "- - -", "----", "===", "=", "-", "--",
    "# Section {n}", "###### deep", "####### seven", "#tag", "  # indented heading",
    "- item {n}", "* item", "+ item", "-  two spaces", "-\ttab", "1. one", "1) one", "2. two", "01. zero-one",
    "10. ten", "  - nested", "  continued item text", "    indented code", "     more", " one space", "\tQ: tabbed",
    "```", "```python", "~~~", "~~~~", "````", "``` a`b", "`inline` code", "  ```", "    ```",
    "<!-- a comment", "-->", "<!-- one line -->", "<div>", "</div>", "<script>", "</script>", "<span>x</span>",
    "> quoted", ">", "$$", "$$ x^2 $$", "$x$ inline", "[ref]: /url", "[not a ref", "\\Q: escaped", "\\---",
    "tags: a, b", "id: card-{n}", "hint: think", "reversed: yes", "reversed: maybe", "snippet: s{n}", "id: bad id",
    "plain words {n}", "name: x", "Q: form\x0cfeed", "A: line\u2028separator", "A: nel\x85here", "Q: vt\x0bhere",
    "\x00nul", "Q: é unicode", "\u00a0nbsp", "| a | b |",
]
COMMON = ["Q: q{n}", "A: a{n}", "", "", "plain {n}"]  # half the lines: so the nasty ones meet cards


@st.composite
def decks(draw) -> str:
    picked = draw(st.lists(st.one_of(st.sampled_from(LINES), st.sampled_from(COMMON)), max_size=40))
    ends = draw(st.lists(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]), min_size=len(picked), max_size=len(picked)))
    body = "".join(line.format(n=i) + end for i, (line, end) in enumerate(zip(picked, ends)))
    if draw(st.booleans()):
        body = body.rstrip("\r\n")  # no line break at the end
    front = draw(st.sampled_from(["", "", "---\nname: Gen\n---\n", "---\nname: x\n\ntags: [a]\n---\n\n",
                                  "---\nunclosed: front\n\nQ: x\n", "\ufeff", "---\n", "---\n---\n", "---\n\n---",
                                  "---\nname: a\n...\n", "---  \nname: b\n---\n", "----\nname: c\n----\n",
                                  "---\nname: d\n  ---\n", "---\ntags:\n- a\n- b\n---\n", "---x\nname: e\n---\n",
                                  "---\nname: f\n--- \n", "---\nname: g\x00h\n---\n", "---\r\nname: i\r\n---\r\n",
                                  "---\nname: j\n---\n    indented\n", "---\nname: k\n---\n- item\n",
                                  "---\nname: l\n---\n---\n", "---\nname: m\n---\n```\nQ: in fence\n"]))
    return front + body


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decks())
@example("Q: a\nA: b\n\n```\n\nQ: inside\nA: fence\n\n```\n\nQ: c\nA: d\n")
@example("Q: a\nA: b\n\n<!--\n\nQ: hidden\nA: x\n-->\n\nQ: c\nA: d\n")
@example("Q: a\nA:\n- one\nQ: lazy\n\nQ: b\nA: c\n")
@example("Q: a\nA: b\n---\nQ: c\nA: d\n===\n")
@example("---\nname: N\n---\n\nQ: a\nA: b\n\n[r]: /u\n\nQ: c\nA: d\n")
@example("Q: a\nA:\n```\ncode\n```python\nQ: inside\n    ```\n\t```\nQ: inside too\n```\n\nQ: b\nA: c\n")
@example("Q: a\nA:\n```\ncode\n```python\nQ: inside\n```\n\nQ: b\nA: c\n")
@example("Q: a\n<div>\nQ: in html\nA: b\n")
@example("Q: a\nA: b\n2. not a list\nQ: c\nA: d\n1. a list\nQ: lazy\n")
@example("Q: a\nA:\n- x\n\n  Q: indented\n - one space\nA: y\n\n- z\n\n\n+ w\n\nQ: b\nA: c")
@example("Q: a\nA: b\n   # heading\n  ---\n\n   ***\nQ: c\nA: d\n")
def test_the_scanner_and_markdown_it_agree(text):
    assert_same(text)


@st.composite
def realistic_decks(draw) -> str:
    """Whole cards in the shapes authors write, so most chunks reach the scanner's own paths."""
    parts = []
    for i in range(draw(st.integers(0, 12))):
        question = draw(st.sampled_from([f"Q: Question {i}?", f"Q:\nQuestion {i}\nover two lines", f"C: A {{{{gap {i}}}}}."]))
        answer = "" if question.startswith("C:") else draw(st.sampled_from([
            f"A: Answer {i}.", f"A:\n- point {i}\n- point\n\n  more of it", f"A: see\n\n```py\nx = {i}\n\nQ: no\n```",
            f"A: list\n1. first\n2. second", f"A: $$x$$\n$$\ny\n$$", f"A: text\n\n> quote {i}", f"A: a\n\n<!-- note -->",
            f"A: under\n---", f"A: t\n\n    code {i}"]))
        fields = draw(st.sampled_from(["", f"\ntags: t{i}", f"\n\nid: c-{i}\nhint: h", "\nreversed: yes"]))
        sep = draw(st.sampled_from(["\n\n", "\n\n---\n\n", "\n\n# Part\n\n", "\n", "\n\n***\n"]))
        parts.append(question + "\n" + answer + fields + sep)
    return draw(st.sampled_from(["", "---\nname: R\n---\n\n"])) + "".join(parts)


@settings(max_examples=600, deadline=None)
@given(realistic_decks())
def test_the_scanner_and_markdown_it_agree_on_realistic_decks(text):
    assert_same(text)


@pytest.mark.parametrize("path", sorted(CARDS.glob("*.md")), ids=lambda p: p.name)
def test_every_bundled_deck_parses_the_same_both_ways(path):
    text = path.read_text(encoding="utf-8")
    assert_same(text)
    assert_same(text.replace("\n", "\r\n"))


def test_the_benchmark_deck_is_read_by_the_scanner_alone():
    text = generate_deck(300)
    windows = []

    def parse_window(first, window):
        windows.append(first)
        from flashtrain.deck.markdown_format import _markdown
        from flashtrain.deck.markdown_scan import blocks_from_tokens
        return blocks_from_tokens(_markdown().parse(window), first)

    blocks = list(scan_blocks(LINE_BREAK.split(text), parse_window))
    assert windows == []  # its front matter too: markdown-it was never asked
    assert blocks[0][:3] == ("front_matter", 0, 5)
    assert sum(1 for b in blocks if b[0] == "hr") == 300
    assert_same(text)


def test_reading_a_plain_deck_never_loads_markdown_it(tmp_path):
    """markdown-it costs more to load than reading a few thousand cards: a deck the scanner reads
    whole does not load it (a deck it is unsure of does, and reads the same: the tests above)."""
    import subprocess
    import sys

    deck = tmp_path / "deck.md"
    deck.write_text(generate_deck(50))
    code = ("import sys\nfrom flashtrain.deck.importers import parse_file\nfrom pathlib import Path\n"
            f"spec = parse_file(Path({str(deck)!r}))\nassert len(spec.cards) == 50, spec\n"
            "assert 'markdown_it' not in sys.modules\n"
            "parse_file(Path(sys.argv[1]))\nassert 'markdown_it' in sys.modules\n")
    odd = tmp_path / "odd.md"
    odd.write_text("Q: a\nA: b\n\n> quoted\n")
    result = subprocess.run([sys.executable, "-c", code, str(odd)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
