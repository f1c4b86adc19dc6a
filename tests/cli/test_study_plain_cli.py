"""`flashtrain study --plain` as a script would drive it: stdin in, reviews in the store."""

from __future__ import annotations

import io

from sqlalchemy import select

from flashtrain.cli import main
from flashtrain.store.engine import open_store
from flashtrain.store.models import ReviewLog

DECK = ("---\nname: Plain deck\n---\nQ: What is Adam's default $\\beta_1$?\nA: $\\beta_1 = 0.9$\n\n"
        "Q: What does dropout do at test time?\nA: Nothing: inverted dropout already scaled at training time.\n")


def test_plain_session_rates_undoes_and_logs(tmp_path, monkeypatch, capsys):
    db, deck = tmp_path / "plain.db", tmp_path / "plain.md"
    deck.write_text(DECK)
    assert main(["--db", str(db), "import", str(deck)]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("\n4\n\n1\nu\n\n5\nq\n"))
    assert main(["--db", str(db), "study", "--plain", "--deck", "plain deck"]) == 0
    out = capsys.readouterr().out
    assert "What is Adam's default β₁?" in out and "$" not in out  # math shown as Unicode
    assert "1 Not at all" in out and "5 Perfectly" in out
    assert "Undone" in out and "Reviewed 2 card(s)" in out
    store = open_store(db)
    with store.sessions() as session:
        ratings = session.scalars(select(ReviewLog.rating).order_by(ReviewLog.id)).all()
    store.close()
    assert ratings == [4, 5]


def test_plain_session_unknown_deck_is_an_error(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "p.db"), "study", "--plain", "--deck", "Nope"]) == 1
    assert "no deck named 'Nope'" in capsys.readouterr().err
