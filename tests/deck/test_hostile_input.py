"""Hostile and careless input (issue 15 §3): clear `path:line: error:` messages, warnings instead of
silence, limits that keep parsing linear, and folder imports that go on past a bad file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from flashtrain.cli import main
from flashtrain.deck.importers import MAX_CLOZE_GAPS, MAX_CARD_CHARS, parse_text
from flashtrain.deck.model import DeckError
from flashtrain.study.history import HistoryError, parse_history

HEAD = "---\nname: Hostile\n---\n"


def warnings_of(text: str) -> list[str]:
    return [str(w) for w in parse_text(text, "h.md", "markdown").warnings]


@pytest.mark.parametrize("opener, closer", [("```", "```"), ("~~~~", "~~~~"), ("<!-- a note", "-->")])
def test_an_unclosed_block_that_swallows_cards_is_a_warning(opener, closer):
    body = f"Q: first?\nA: 1\n\n{opener}\n\nQ: second?\nA: 2\n\nQ: third?\nA: 3\n"
    spec = parse_text(HEAD + body, "h.md", "markdown")
    said = [str(w) for w in spec.warnings]
    assert len(spec.cards) == 1 and len(said) == 1
    assert said[0].startswith("h.md:7: warning:") and "never closed" in said[0] and "2 'Q:'/'C:' line(s)" in said[0]
    closed = HEAD + f"Q: first?\nA: 1\n\n{opener}\n{closer}\n\nQ: second?\nA: 2\n"
    assert warnings_of(closed) == [] and len(parse_text(closed, "h.md", "markdown").cards) == 2


@pytest.mark.parametrize("text", [HEAD, "---\nname: Only front matter\ndescription: x\n---\n\n"])
def test_a_deck_with_no_cards_is_a_warning(text):
    spec = parse_text(text, "h.md", "markdown")
    assert spec.cards == () and any("no cards in this file" in str(w) for w in spec.warnings)


def test_a_cloze_note_beyond_the_gap_limit_is_refused_with_its_line():
    gaps = " ".join(f"{{{{c{i}::w{i}}}}}" for i in range(1, MAX_CLOZE_GAPS + 2))
    with pytest.raises(DeckError) as caught:
        parse_text(HEAD + "Q: a?\nA: b\n\nC: " + gaps + "\n", "h.md", "markdown")
    assert str(caught.value).startswith("h.md:7: error:") and "deletions" in str(caught.value)
    at_limit = " ".join(f"{{{{c{i}::w{i}}}}}" for i in range(1, MAX_CLOZE_GAPS + 1))
    assert len(parse_text(HEAD + "C: " + at_limit + "\n", "h.md", "markdown").cards) == MAX_CLOZE_GAPS


def test_a_card_beyond_one_megabyte_is_refused_with_its_line():
    with pytest.raises(DeckError) as caught:
        parse_text(HEAD + "Q: big?\nA: " + "x" * (MAX_CARD_CHARS + 1) + "\n", "h.md", "markdown")
    assert str(caught.value).startswith("h.md:4: error:") and "1 MB" in str(caught.value)


@pytest.mark.parametrize("control", ["\x0c", "\x0b", "\u2028", "\u2029", "\x85", "\x1c"])
def test_only_newline_characters_end_a_line(control):
    text = HEAD + f"Q: a{control}b?\nA: 1{control}2\n\nQ: no answer\n"
    with pytest.raises(DeckError) as caught:
        parse_text(text, "h.md", "markdown")
    assert caught.value.line == 7


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_numbers_count_each_kind_of_line_end(ending):
    text = ending.join(["---", "name: Ends", "---", "Q: a?", "A: 1", "", "Q: no answer", ""])
    with pytest.raises(DeckError) as caught:
        parse_text(text, "h.md", "markdown")
    assert caught.value.line == 7


@pytest.mark.parametrize("row, expected", [
    ("1,0001-01-01T00:00:00+00:00,3", "between 1970 and tomorrow"),
    ("1,0001-01-01T00:00:00+05:00,3", "between 1970 and tomorrow"),
    ("1,9999-12-31T23:59:59+00:00,3", "between 1970 and tomorrow"),
    ("1,9999-12-31T23:59:59-05:00,3", "between 1970 and tomorrow"),
    ("1,2100-01-01T00:00:00+00:00,3", "between 1970 and tomorrow"),
    ("1,1969-12-31T23:59:59+00:00,3", "between 1970 and tomorrow"),
    ("1,2024-01-01T00:00:00+00:00,²", "rating 1..5"),
    ("1,2024-01-01T00:00:00+00:00,٣", "rating 1..5"),
    ("1,2024-01-01T00:00:00+00:00,3,10000000000000000000000000", "duration_ms at most"),
])
def test_history_rows_out_of_range_are_refused_with_their_line(row, expected):
    with pytest.raises(HistoryError) as caught:
        parse_history("card_id,review_time,rating,duration_ms\n" + row + "\n", "h.csv")
    assert str(caught.value).startswith("h.csv:2: error: ") and expected in str(caught.value)


def test_history_cli_prints_path_line_error_and_writes_nothing(tmp_path, capsys):
    db, deck, csv = tmp_path / "h.db", tmp_path / "d.md", tmp_path / "h.csv"
    deck.write_text(HEAD + "Q: a?\nA: 1\n")
    assert main(["--db", str(db), "import", str(deck)]) == 0
    csv.write_text("card_id,review_time,rating\n1,2024-01-01T00:00:00Z,3\n1,2100-01-01T00:00:00Z,3\n")
    capsys.readouterr()
    assert main(["--db", str(db), "history", "import", str(csv)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{csv}:3: error: ") and "internal error" not in err
    assert sqlite3.connect(db).execute("SELECT count(*) FROM review_log").fetchone()[0] == 0


def test_folder_import_goes_past_a_file_whose_name_is_not_utf8(tmp_path, capsys):
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "a.md").write_text("---\nname: A\n---\nQ: one?\nA: 1\n")
    bad = os.path.join(os.fsencode(folder), b"b\xff\xfe.md")
    with open(bad, "wb") as out:
        out.write(b"---\nname: B\n---\nQ: two?\nA: 2\n")
    (folder / "c.md").write_text("---\nname: C\n---\nQ: three?\nA: \n")  # rejected: empty answer
    (folder / "d.md").write_text("---\nname: D\n---\nQ: four?\nA: 4\n")
    db = tmp_path / "f.db"
    assert main(["--db", str(db), "import", str(folder)]) == 1
    captured = capsys.readouterr()
    assert "A: 1 added" in captured.out and "D: 1 added" in captured.out  # before and after the bad ones
    assert "b\\xff\\xfe.md: error: the file name is not valid UTF-8" in captured.err
    assert "c.md:5: error:" in captured.err
    assert "2 of 4 file(s) rejected" in captured.err


def test_unknown_snippet_links_are_warned_about_and_listed(tmp_path, capsys):
    deck, db = tmp_path / "s.md", tmp_path / "s.db"
    deck.write_text(HEAD + "Q: code?\nA: yes\nsnippet: no-such-snippet\n")
    assert main(["--db", str(db), "import", str(deck)]) == 0
    err = capsys.readouterr().err
    assert f"{deck}:4: warning: no snippet 'no-such-snippet'" in err
    main(["--db", str(db), "snippets"])
    out = capsys.readouterr().out
    assert "Cards linking to a snippet that does not exist" in out and "'no-such-snippet'" in out
