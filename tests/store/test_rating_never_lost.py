"""Fault trials: a rating survives a full disk, a read-only store, a lock held by another process
and a second study session on the same store. The sessions are real `flashtrain study --plain`
processes driven line by line; the file systems are real (tmpfs, read-only bind mounts)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flashtrain.store.engine import open_store
from flashtrain.store.models import CardState, ReviewLog
from flashtrain.study.journal import journal_paths
from flashtrain.study.service import StudyService

from faultlab import PlainSession, deck_text, env, fill, lock_held, mount_tmpfs, read_only_view, run_cli, umount


def ratings_in(db: Path) -> list[tuple[int, int]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute("SELECT card_id, rating FROM review_log ORDER BY id").fetchall()
    finally:
        connection.close()


def make_store(db: Path, environment: dict, cards: int = 6) -> None:
    deck = db.parent / "deck.md"
    deck.write_text(deck_text(cards))
    result = run_cli(["--db", str(db), "import", str(deck)], environment)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def state(tmp_path):
    return tmp_path / "state"


@pytest.fixture
def environment(tmp_path, state):
    return env(FLASHTRAIN_STATE_DIR=str(state), XDG_DATA_HOME=str(tmp_path / "xdg-data"))


def journals(state: Path) -> list[Path]:
    return sorted((state / "journal").glob("*.jsonl"))


def test_full_disk_rating_goes_to_the_journal_and_is_saved_on_next_open(tmp_path, environment, state):
    mount = tmp_path / "small"
    if not mount_tmpfs(mount, "4m"):
        pytest.skip("needs root to mount a tmpfs")  # CI runs as root; see faultlab
    try:
        db = mount / "store.db"
        make_store(db, environment)
        session = PlainSession(db, environment)
        session.until("show answer")
        filler = fill(mount)  # the disk fills up while a card is on screen
        said = session.rate(3)
        assert "disk holding the store is full" in said and "kept in" in said
        said = session.rate(5)  # the learner keeps studying
        code, out, err = session.finish()
        assert code == 0 and "internal error" not in out + err, err
        assert "Reviewed 2 card(s)" in out
        assert ratings_in(db) == []
        assert len(journals(state)) == 1 and len(journals(state)[0].read_text().splitlines()) == 2
        filler.unlink()
        result = run_cli(["--db", str(db), "decks"], environment)
        assert result.returncode == 0, result.stderr
        assert "saved 2 change(s)" in result.stderr
        assert sorted(r for _, r in ratings_in(db)) == [3, 5]
        again = run_cli(["--db", str(db), "decks"], environment)  # replayed once, not twice
        assert "saved" not in again.stderr and len(ratings_in(db)) == 2 and journals(state) == []
    finally:
        umount(mount)


def test_read_only_store_reads_and_keeps_ratings_in_the_journal(tmp_path, environment):
    folder = tmp_path / "rw"
    folder.mkdir()
    make_store(folder / "store.db", environment)
    try:
        view = read_only_view(folder, tmp_path / "ro")
        make_writable = view.__enter__()
    except RuntimeError:
        pytest.skip("needs root to bind-mount read-only")
    try:
        db = tmp_path / "ro" / "store.db"
        listed = run_cli(["--db", str(db), "decks"], environment)
        assert listed.returncode == 0 and "Fault deck" in listed.stdout, listed.stderr
        setting = run_cli(["--db", str(db), "settings", "new_per_day", "5"], environment)
        assert setting.returncode == 1 and "read-only" in setting.stderr and "kept in" in setting.stderr
        assert "internal error" not in setting.stderr and len(setting.stderr.strip().splitlines()) == 1
        session = PlainSession(db, environment)
        session.until("show answer")
        assert "read-only" in session.rate(2)
        session.rate(4)
        session.send("u")  # undo takes the last journaled rating back out of the journal
        code, out, err = session.finish()
        assert code == 0 and "Undone" in out and "internal error" not in err, err
        assert make_writable() is None
        result = run_cli(["--db", str(db), "decks"], environment)
        assert "saved 2 change(s)" in result.stderr, result.stderr  # the rating and the setting
        assert [r for _, r in ratings_in(db)] == [2]
        shown = run_cli(["--db", str(db), "settings", "new_per_day"], environment)
        assert shown.stdout.split()[:2] == ["new_per_day", "5"], shown.stdout
    finally:
        view.__exit__(None, None, None)


def test_rating_waits_while_another_process_holds_the_lock(tmp_path, environment, state):
    db = tmp_path / "store.db"
    make_store(db, environment)
    session = PlainSession(db, environment)
    session.until("show answer")
    with lock_held(db) as holder:
        session.send("")
        session.until("Rate 1-5")
        session.send("4")  # waits for the lock ...
        threading.Timer(1.0, lambda: (holder.stdin.write("\n"), holder.stdin.flush())).start()
        said = session.until("show answer", "Nothing more")  # ... which is released a second later
    assert "kept in" not in said
    code, out, err = session.finish()
    assert code == 0, err
    assert [r for _, r in ratings_in(db)] == [4]
    assert journals(state) == []


def test_lock_held_for_longer_than_we_wait_keeps_the_rating_in_the_journal(tmp_path, environment):
    db = tmp_path / "store.db"
    make_store(db, environment)
    impatient = dict(environment, FLASHTRAIN_STORE_WAIT="0.5")
    session = PlainSession(db, impatient)
    session.until("show answer")
    with lock_held(db):
        said = session.rate(1)
        assert "locked by another flashtrain process" in said and "kept in" in said
        code, out, err = session.finish()
    assert code == 0, err
    assert ratings_in(db) == []
    result = run_cli(["--db", str(db), "decks"], environment)
    assert "saved 1 change(s)" in result.stderr and [r for _, r in ratings_in(db)] == [1]


def test_two_plain_sessions_on_one_store_keep_every_rating(tmp_path, environment):
    db = tmp_path / "store.db"
    make_store(db, environment, cards=20)
    script = "".join("\n3\n" if i % 2 else "\n4\n" for i in range(10)) + "q\n"
    runs = [subprocess.Popen([sys.executable, "-m", "flashtrain", "--db", str(db), "study", "--plain"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=environment) for _ in range(2)]
    results = [run.communicate(script, timeout=300) for run in runs]
    for run, (out, err) in zip(runs, results):
        assert run.returncode == 0 and "Error" not in err and "internal error" not in err, err
        assert "Reviewed 10 card(s)" in out
    rows = ratings_in(db)
    assert len(rows) == 20
    store = open_store(db)
    with store.sessions() as s:  # a card rated in both sessions has both reviews in its state
        for card_id, reps in s.execute(select(CardState.card_id, CardState.reps)):
            assert reps == sum(1 for c, _ in rows if c == card_id)
    store.close()


def test_the_same_card_rated_by_two_services_keeps_both_reviews(store):
    from flashtrain.services.imports import import_file

    deck = Path(store.path).with_name("one.md")
    deck.write_text(deck_text(1))
    import_file(store, deck)
    first, second = StudyService(store), StudyService(open_store(store.path))
    card = first.next_card()
    assert second.next_card().card_id == card.card_id  # both sessions show the same new card
    first.rate(card.card_id, 4)
    second.rate(card.card_id, 2)  # used to fail: UNIQUE constraint failed: card_states.card_id
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog)) == 2
        assert s.get(CardState, card.card_id).reps == 2
    assert second.undo_last() == card.card_id  # each session undoes its own rating
    assert first.undo_last() == card.card_id
    with store.sessions() as s:
        assert s.get(CardState, card.card_id) is None


def test_undo_does_not_take_back_another_sessions_rating(store):
    from flashtrain.services.imports import import_file

    deck = Path(store.path).with_name("two.md")
    deck.write_text(deck_text(2))
    import_file(store, deck)
    mine, theirs = StudyService(store), StudyService(store)
    card = mine.next_card()
    mine.rate(card.card_id, 4)
    other = theirs.next_card(exclude={card.card_id})
    theirs.rate(other.card_id, 3)
    assert mine.undo_last() == card.card_id
    with store.sessions() as s:
        assert s.scalars(select(ReviewLog.card_id)).all() == [other.card_id]


def test_replay_skips_entries_already_in_the_store(store, tmp_path, monkeypatch):
    """A crash after the replay committed but before the journal file was removed adds nothing twice."""
    from flashtrain.study import journal
    from flashtrain.services.imports import import_file

    monkeypatch.setenv("FLASHTRAIN_STATE_DIR", str(tmp_path / "state"))
    deck = Path(store.path).with_name("three.md")
    deck.write_text(deck_text(1))
    import_file(store, deck)
    service = StudyService(store)
    card = service.next_card()
    entry = journal.new_entry("rating", store=store.identity, card_id=card.card_id, rating=4,
                              reviewed_at=service.now().isoformat(), duration_ms=1200, origin="study")
    journal.append(store, entry)
    assert service.replay_journal() == (1, 0)
    journal.append(store, entry)  # as if the file had survived the first replay
    assert service.replay_journal() == (1, 0)
    with store.sessions() as s:
        assert s.scalars(select(ReviewLog.rating)).all() == [4]
    assert not any(p.exists() for p in journal_paths(store))
