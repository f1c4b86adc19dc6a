"""`flashtrain import` of unchanged files answers from the store with sqlite3 before SQLAlchemy or
any parser loads (services/import_check.py), and says exactly what the full import says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from flashtrain.cli import main
from flashtrain.services.import_check import unchanged_imports
from flashtrain.services.imports import import_paths
from flashtrain.store.engine import open_store

ROOT = Path(__file__).resolve().parents[2]
DECK = "---\nname: Quick\n---\nQ: One?\nA: 1\n\nQ: Two?\nA: 2\nid: two\n"


def cli_json(db: Path, *paths: Path, extra=()) -> tuple[int, dict, list[str]]:
    """`flashtrain import --json` in a fresh interpreter, and the heavy modules it loaded."""
    code = ("import json, sys\nfrom flashtrain.cli import main\n"
            f"rc = main(['--db', {str(db)!r}, 'import', '--json', *{[str(p) for p in paths]!r}, *{list(extra)!r}])\n"
            "heavy = sorted(m for m in ('sqlalchemy', 'markdown_it', 'flashtrain.services.imports',\n"
            "                         'flashtrain.cli.scheduling') if m in sys.modules)\n"
            "print(json.dumps(heavy), file=sys.stderr)\nsys.exit(rc)\n")
    env = {k: v for k, v in os.environ.items() if k != "FLASHTRAIN_DEBUG"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    return done.returncode, json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])


def imported(db: Path, *paths: Path) -> None:
    """Import, then open once more as a user's next command would: today's backup is made then."""
    assert main(["--db", str(db), "import", *map(str, paths)]) == 0
    assert main(["--db", str(db), "decks"]) == 0
    for thread in threading.enumerate():
        if thread.name == "daily-backup":
            thread.join()


def test_unchanged_files_are_answered_without_the_heavy_modules(tmp_path):
    db = tmp_path / "s.db"
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "a.md").write_text(DECK)
    (folder / "b.md").write_text(DECK.replace("Quick", "Other"))
    (folder / "notes.bin").write_bytes(b"\x00\x01")
    imported(db, folder)
    rc, quick, heavy = cli_json(db, folder)
    assert rc == 0 and heavy == []  # nor the full command line (cli.scheduling is one of its modules)
    store = open_store(db)
    full = [report.to_dict() for report in import_paths(store, [folder])]  # the full import's own answer
    store.close()
    assert quick["files"] == full
    assert [(f["status"], f["deck"], f["unchanged"]) for f in full if f["status"] != "skipped"] == [
        ("unchanged", "Quick", 2), ("unchanged", "Other", 2)]


def test_anything_else_goes_the_full_way(tmp_path):
    db = tmp_path / "s.db"
    deck = tmp_path / "a.md"
    deck.write_text(DECK)
    imported(db, deck)
    assert unchanged_imports(db, [deck], None, None) is not None
    assert unchanged_imports(db, [deck], "markdown", None) is None  # other options: another digest
    assert unchanged_imports(db, [deck], None, "Renamed") is None
    assert unchanged_imports(db, [deck, tmp_path / "missing.md"], None, None) is None
    assert unchanged_imports(tmp_path / "none.db", [deck], None, None) is None
    deck.write_text(DECK + "\nQ: Three?\nA: 3\n")
    assert unchanged_imports(db, [deck], None, None) is None
    rc, answer, heavy = cli_json(db, deck)
    assert rc == 0 and "sqlalchemy" in heavy and answer["files"][0]["added"] == 1


def test_the_digest_from_bytes_is_the_digest_of_the_text(tmp_path):
    from flashtrain.deck.sources import import_digest, import_digest_of_file, read_text

    large = "Q: big ∑?\nA: " + "x" * (1 << 20) + "é" * 300_000 + "\n"  # read in several pieces
    for body in ("Q: é?\nA: ü\n", "\ufeffQ: bom\r\nA: x\r\n", "", "\ufeff\ufeffdouble", "\ufeff", "\ufeffx",
                 large, "\ufeff" + large):
        path = tmp_path / "d.md"
        path.write_bytes(body.encode("utf-8"))
        for fmt, name in ((None, None), ("markdown", "Deck")):
            assert import_digest_of_file(path, fmt, name) == import_digest(read_text(path), fmt, name)


def test_the_user_folders_are_platformdirs_own(monkeypatch, tmp_path):
    """paths.py answers on Linux without importing platformdirs: the same folders it would give."""
    import platformdirs

    from flashtrain import paths

    cases = [{"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")},
             {"XDG_DATA_HOME": "", "XDG_STATE_HOME": ""}, {"XDG_DATA_HOME": "relative", "XDG_STATE_HOME": "rel"},
             {"HOME": str(tmp_path / "home") + "/"}]
    for case in cases:
        for name, value in case.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("FLASHTRAIN_STATE_DIR", raising=False)
        assert paths.data_dir() == platformdirs.user_data_path("flashtrain", appauthor=False)
        assert paths.state_dir() == platformdirs.user_state_path("flashtrain", appauthor=False)
