"""Corruption is caught and there is always a way back: the quick check on open, `store check`,
automatic backups (daily, before an upgrade, before a restore), `store restore` and `store recover`."""

from __future__ import annotations

import hashlib
import io
import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from flashtrain.cli import main
from flashtrain.store import backup
from flashtrain.store.engine import make_engine, open_store
from flashtrain.store.integrity import full_check
from flashtrain.store.migrate import upgrade_to

from faultlab import deck_text


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reviews(db: Path) -> int:
    connection = sqlite3.connect(db)
    try:
        return connection.execute("SELECT count(*) FROM review_log").fetchone()[0]
    finally:
        connection.close()


def studied_store(tmp_path: Path, monkeypatch, cards: int = 400, ratings: int = 2) -> Path:
    db, deck = tmp_path / "care.db", tmp_path / "care.md"
    deck.write_text(deck_text(cards, "Care deck"))
    assert main(["--db", str(db), "import", str(deck)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("\n3\n" * ratings + "q\n"))
    assert main(["--db", str(db), "study", "--plain", "--deck", "care deck"]) == 0
    return db


def damage(db: Path, pages: int = 3, seed: int = 7) -> None:
    """Overwrite part of a few pages of the cards table with random bytes, as a bad disk would."""
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    total = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.close()
    rng = random.Random(seed)
    with open(db, "r+b") as out:
        for page in rng.sample(range(total // 3, total - 1), pages):
            out.seek(page * page_size + 8)
            out.write(rng.randbytes(page_size // 3))


@pytest.fixture
def wait_for_backups(monkeypatch):
    """The daily backup runs beside the command; tests wait for it before looking."""
    import threading

    started = []
    real = threading.Thread.start

    def start(thread):
        real(thread)
        if thread.name == "daily-backup":
            started.append(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    return lambda: [t.join() for t in started]


def test_a_damaged_store_is_refused_and_nothing_writes_into_it(tmp_path, monkeypatch, capsys):
    db = studied_store(tmp_path, monkeypatch)
    damage(db)
    before = digest(db)
    more = tmp_path / "more.md"
    more.write_text(deck_text(50, "More deck"))
    capsys.readouterr()
    for command in (["decks"], ["import", str(more)], ["settings", "new_per_day", "3"], ["study", "--plain"]):
        monkeypatch.setattr("sys.stdin", io.StringIO("\n3\nq\n"))
        assert main(["--db", str(db), *command]) == 1, command
        err = capsys.readouterr().err
        assert "damaged" in err and "flashtrain store recover" in err and len(err.strip().splitlines()) == 1, err
    assert digest(db) == before
    assert main(["--db", str(db), "store", "check"]) == 1
    assert "damaged" in capsys.readouterr().out


def test_store_check_passes_a_sound_store(tmp_path, monkeypatch, capsys):
    db = studied_store(tmp_path, monkeypatch, cards=20)
    assert main(["--db", str(db), "store", "check"]) == 0
    assert "ok" in capsys.readouterr().out


def test_one_backup_a_day_when_the_store_opens_and_only_the_newest_kept(tmp_path, monkeypatch, capsys,
                                                                          wait_for_backups):
    db = studied_store(tmp_path, monkeypatch, cards=20)  # the second open made today's backup
    wait_for_backups()
    assert [b.reason for b in backup.list_backups(db)] == ["daily"]
    assert main(["--db", str(db), "decks"]) == 0
    wait_for_backups()
    assert len(backup.list_backups(db)) == 1  # at most once a day
    assert not backup.daily_backup_due(db)
    assert backup.daily_backup_due(db, now=datetime.now(timezone.utc) + timedelta(days=1, minutes=1))
    assert main(["--db", str(db), "settings", "backups_to_keep", "3"]) == 0
    for _ in range(5):
        backup.make_backup(db, "manual", keep=3)
    assert len(backup.list_backups(db)) == 3
    capsys.readouterr()
    assert main(["--db", str(db), "store", "backups"]) == 0
    out = capsys.readouterr().out
    assert sum(line.endswith(" manual") for line in out.splitlines()) == 3, out
    copy = make_engine(backup.list_backups(db)[0].path, read_only=True)
    assert full_check(copy).ok  # a consistent copy, through the online backup API
    copy.dispose()


def test_a_backup_is_made_before_an_upgrade(tmp_path):
    db = tmp_path / "old.db"
    engine = make_engine(db)
    upgrade_to(engine, "0003")
    engine.dispose()
    open_store(db).close()
    assert [b.reason for b in backup.list_backups(db)] == ["before-upgrade"]
    old = sqlite3.connect(backup.list_backups(db)[0].path)
    assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0003"
    old.close()


def test_restore_brings_a_backup_back_after_backing_up_the_current_store(tmp_path, monkeypatch, capsys):
    db = studied_store(tmp_path, monkeypatch, cards=20, ratings=2)
    saved = backup.make_backup(db, "manual")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n4\n\n4\nq\n"))
    assert main(["--db", str(db), "study", "--plain"]) == 0
    assert reviews(db) == 4
    capsys.readouterr()
    assert main(["--db", str(db), "store", "restore", saved.name]) == 0
    assert "restored" in capsys.readouterr().out
    assert reviews(db) == 2
    before_restore = [b for b in backup.list_backups(db) if b.reason == "before-restore"]
    assert len(before_restore) == 1 and reviews(before_restore[0].path) == 4  # nothing lost by restoring
    assert main(["--db", str(db), "store", "restore", "no-such-backup"]) == 1


def test_recover_salvages_a_damaged_store_into_a_sound_one(tmp_path, monkeypatch, capsys):
    db = studied_store(tmp_path, monkeypatch, cards=400, ratings=3)
    damage(db)
    capsys.readouterr()
    assert main(["--db", str(db), "store", "recover"]) == 0
    out = capsys.readouterr().out
    assert "recovered into a new store" in out and "review_log" in out
    aside = list(tmp_path.glob("care.db.damaged-*"))
    assert [p for p in aside if not p.name.endswith(("-wal", "-shm"))]
    engine = make_engine(db, read_only=True)
    assert full_check(engine).ok
    engine.dispose()
    line = next(line for line in out.splitlines() if line.strip().startswith("review_log"))
    import re

    salvaged = int(re.search(r"(\d+) row\(s\) salvaged", line).group(1))
    dropped = int((re.search(r"(\d+) left out", line) or re.search("()", "")).group(1) or 0)
    unreadable = int((re.search(r"(\d+) unreadable", line) or re.search("()", "")).group(1) or 0)
    assert reviews(db) == salvaged and salvaged + dropped + unreadable == 3, out  # every review accounted for
    assert main(["--db", str(db), "decks"]) == 0


def test_backups_made_in_the_same_second_keep_the_newest(tmp_path, monkeypatch, wait_for_backups):
    """A daily backup and five manual ones in one second, three kept: the three newest stay, even
    though pruning freed names an older backup had used."""
    db = studied_store(tmp_path, monkeypatch, cards=5, ratings=1)
    wait_for_backups()  # the study command's own daily backup runs beside it: let it finish first
    frozen = datetime(2026, 12, 6, 23, 32, 14, tzinfo=timezone.utc)

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    for old in backup.list_backups(db):
        old.path.unlink()
    monkeypatch.setattr(backup, "datetime", FrozenClock)
    backup.make_backup(db, "daily", keep=3)
    made = [backup.make_backup(db, "manual", keep=3).name for _ in range(5)]
    assert [b.name for b in backup.list_backups(db)] == made[:-4:-1]
