"""The deck commands as a user types them: exit codes, messages, JSON, exports."""

from __future__ import annotations

import json

import pytest

from flashtrain.cli import main

pytestmark = pytest.mark.both_dialects  # import and export also run on PostgreSQL (tests/conftest.py)

DECK = "---\nname: CLI deck\n---\nQ: What is $\\beta_1$ in Adam?\nA: 0.9\ntags: adam\n\nQ: Why dropout?\nA: Regularises.\n"


@pytest.fixture
def deck_file(tmp_path):
    path = tmp_path / "cli.md"
    path.write_text(DECK)
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_reports_counts_then_skips_unchanged(store_target, tmp_path, deck_file, capsys):
    db = str(store_target("cli"))
    code, out, _ = run(capsys, "--db", db, "import", str(deck_file))
    assert code == 0 and "CLI deck: 2 added, 0 updated, 0 unchanged, 0 retired" in out
    code, out, _ = run(capsys, "--db", db, "import", str(deck_file))
    assert code == 0 and "file unchanged, skipped" in out


def test_bad_file_is_one_line_error_and_exit_1_others_import(store_target, tmp_path, deck_file, capsys):
    bad = tmp_path / "bad.md"
    bad.write_text("Q: lonely\n")
    code, out, err = run(capsys, "--db", str(store_target("x")), "import", str(bad), str(deck_file))
    assert code == 1
    assert f"{bad}:1: error: the card has a question but no 'A:' answer" in err
    assert "Traceback" not in err and "CLI deck: 2 added" in out


def test_import_json_and_dry_run(store_target, tmp_path, deck_file, capsys):
    db = str(store_target("j"))
    code, out, _ = run(capsys, "--db", db, "import", "--dry-run", "--json", str(deck_file))
    data = json.loads(out)
    assert code == 0 and data["dry_run"] is True and data["files"][0]["added"] == 2
    code, out, _ = run(capsys, "--db", db, "decks", "--json")
    assert "CLI deck" not in [d["name"] for d in json.loads(out)["decks"]]


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["import", "--format", "nonsense", "x.md"])
    assert exited.value.code == 2


def test_first_use_imports_bundled_decks(store_target, tmp_path, capsys):
    code, out, _ = run(capsys, "--db", str(store_target("new")), "decks", "--json")
    decks = json.loads(out)["decks"]
    assert code == 0 and len(decks) >= 6 and sum(d["cards"] for d in decks) >= 120
    assert {d["origin"] for d in decks} == {"bundled"}


@pytest.mark.parametrize("fmt", ["markdown", "anki", "csv"])
def test_export_then_reimport_round_trips(store_target, tmp_path, deck_file, capsys, fmt):
    db = str(store_target("e"))
    run(capsys, "--db", db, "import", str(deck_file))
    out_file = tmp_path / f"out.{fmt}"
    code, _, _ = run(capsys, "--db", db, "export", "--deck", "CLI deck", "--format", fmt, "--out", str(out_file))
    assert code == 0 and out_file.exists()
    code, out, _ = run(capsys, "--db", str(store_target("other")), "import", "--deck", "Again", str(out_file))
    assert code == 0 and "Again: 2 added" in out


def test_export_unknown_deck_is_an_error(store_target, tmp_path, capsys):
    code, _, err = run(capsys, "--db", str(store_target("u")), "export", "--deck", "Nope")
    assert code == 1 and "no deck named 'Nope'" in err


def test_locate_prints_paths_in_use(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FLASHTRAIN_DB", str(tmp_path / "env.db"))
    code, out, _ = run(capsys, "locate", "--json")
    data = json.loads(out)
    assert code == 0 and data["db"] == str(tmp_path / "env.db") and data["db_source"] == "FLASHTRAIN_DB"
    code, out, _ = run(capsys, "--db", str(tmp_path / "flag.db"), "locate", "--json")
    assert json.loads(out)["db_source"] == "--db"


def test_a_file_that_is_not_a_store_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "not-a-store.db"
    bad.write_text("this is not sqlite")
    code, _, err = run(capsys, "--db", str(bad), "decks")
    assert code == 1
    assert err.strip() == f"flashtrain: error: {bad}: cannot open the store: file is not a database"
    assert bad.read_text() == "this is not sqlite"


def test_an_unexpected_error_is_one_line_without_debug(tmp_path, capsys, monkeypatch):
    import flashtrain.cli.decks as decks

    monkeypatch.delenv("FLASHTRAIN_DEBUG")
    monkeypatch.setattr(decks, "cmd_locate", lambda args: 1 / 0)
    code, _, err = run(capsys, "--db", str(tmp_path / "z.db"), "locate")
    assert code == 1
    assert err.strip() == ("flashtrain: internal error: ZeroDivisionError: division by zero "
                           "(run again with FLASHTRAIN_DEBUG=1 to see the traceback)")


def test_cli_format_choices_match_the_importer_registry():
    from flashtrain.cli.decks import IMPORT_FORMATS
    from flashtrain.deck.importers import FORMATS

    assert IMPORT_FORMATS == tuple(sorted(FORMATS))


def test_building_the_parser_imports_no_heavy_module():
    import subprocess
    import sys

    code = ("import sys\nfrom flashtrain.cli import build_parser\nbuild_parser()\n"
            "heavy = [m for m in ('numpy', 'sqlalchemy', 'markdown_it', 'textual', 'scipy') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _active_cards(db, deck):
    from sqlalchemy import select

    from flashtrain.store.engine import open_store
    from flashtrain.store.models import Card, Deck

    store = open_store(db)
    with store.sessions() as session:
        rows = session.execute(select(Card.question, Card.answer).join(Deck, Deck.id == Card.deck_id)
                               .where(Deck.name == deck, Card.retired_at.is_(None))).all()
    store.close()
    return sorted(tuple(r) for r in rows)


def test_markdown_export_of_an_answer_with_comment_and_separator_lines_imports_back(store_target, tmp_path, capsys):
    source = tmp_path / "code.csv"
    source.write_text('"How to scale?","x = np.ones(3)\n# scale it\nx = x * 2\n---\ndone"\nSecond card,plain\n')
    first, second = str(store_target("a")), str(store_target("b"))
    assert run(capsys, "--db", first, "import", str(source))[0] == 0
    out_file = tmp_path / "code.md"
    assert run(capsys, "--db", first, "export", "--deck", "Code", "--out", str(out_file))[0] == 0
    code, _, err = run(capsys, "--db", second, "import", str(out_file))
    assert code == 0, err
    assert _active_cards(second, "Code") == _active_cards(first, "Code") == [
        ("How to scale?", "x = np.ones(3)\n# scale it\nx = x * 2\n---\ndone"), ("Second card", "plain")]


def test_csv_export_of_every_deck_to_stdout_is_one_csv_that_imports_back(store_target, tmp_path, deck_file, capsys):
    db = str(store_target("all"))
    run(capsys, "--db", db, "import", str(deck_file))
    code, out, _ = run(capsys, "--db", db, "export", "--format", "csv")
    assert code == 0 and out.count("#columns:Front,Back") == 1  # one header for every deck
    every = tmp_path / "every.csv"
    every.write_text(out, encoding="utf-8")
    code, out, err = run(capsys, "--db", str(store_target("fresh")), "import", "--deck", "Everything", str(every))
    import csv
    import io

    records = list(csv.reader(io.StringIO(every.read_text(encoding="utf-8"), newline="")))[4:]  # Anki's headers
    questions = {record[0] for record in records}
    assert len(records) > 200 and "Why dropout?" in questions  # the bundled decks and ours
    assert code == 0 and f"Everything: {len(questions)} added" in out, err


def test_export_of_several_decks_to_a_file_name_is_a_usage_error(store_target, tmp_path, deck_file, capsys):
    db = str(store_target("f"))
    run(capsys, "--db", db, "import", str(deck_file))
    target = tmp_path / "everything.md"
    code, _, err = run(capsys, "--db", db, "export", "--out", str(target))
    assert code == 2 and "several decks need a folder" in err and not target.exists()
    code, out, _ = run(capsys, "--db", db, "export", "--out", str(tmp_path / "folder"))
    assert code == 0 and (tmp_path / "folder" / "cli-deck.md").is_file()


def test_a_lone_rejected_file_does_not_claim_others_were_imported(store_target, tmp_path, capsys):
    bad = tmp_path / "bad.md"
    bad.write_text("Q: lonely\n")
    code, _, err = run(capsys, "--db", str(store_target("r")), "import", str(bad))
    assert code == 1 and err.strip().endswith("1 of 1 file(s) rejected") and "the others" not in err


def test_dry_run_on_a_new_store_imports_no_bundled_decks(store_target, tmp_path, deck_file, capsys):
    db = str(store_target("dry"))
    code, out, _ = run(capsys, "--db", db, "import", "--dry-run", str(deck_file))
    assert code == 0 and "CLI deck: 2 added" in out
    from flashtrain.store.engine import open_store
    from flashtrain.store.models import Card
    from sqlalchemy import func, select

    store = open_store(db)
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Card)) == 0
    store.close()
