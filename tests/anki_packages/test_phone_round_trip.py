"""flashtrain -> .apkg -> Anki (real library) -> reviews in Anki -> .apkg -> flashtrain."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from anki_builders import Built, answer, export, open_collection
from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from flashtrain.deck.anki.export import RATING_TO_EASE
from flashtrain.store.models import Card, Deck, ReviewLog
from flashtrain.services.imports import import_paths
from flashtrain.services.anki_export import export_apkg
from flashtrain.study.service import StudyService

DECK = """---
name: DL::Optimizers
---

Q: What does Adam's $\\beta_1$ control?
A: The **momentum** average:

$$m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t$$

id: adam-beta1
tags: adam, optim
hint: Think of the first moment.
hint: It is an average of gradients.
snippet: adam_update

---

Q: Write ReLU in NumPy.
A: Element-wise:

```python
np.maximum(x, 0)
```

---

Q: Which direction does gradient descent step?
A: Against the gradient.
reversed: yes

---

C: Adam's defaults are $\\beta_1 =$ {{0.9}} and $\\beta_2 =$ {{0.999::beta two}}.
"""
START = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def studied_store(store, tmp_path):
    deck_file = tmp_path / "optim.md"
    deck_file.write_text(DECK, encoding="utf-8")
    [report] = import_paths(store, [deck_file])
    assert report.status == "imported", report.error
    clock = {"now": START}
    service = StudyService(store, clock=lambda: clock["now"])
    with store.sessions() as s:
        ids = list(s.scalars(select(Card.id).order_by(Card.id)))
    for day, rating in ((0, 4), (3, 5), (10, 2)):
        for offset, card_id in enumerate(ids):
            clock["now"] = START + timedelta(days=day, minutes=offset)
            service.rate(card_id, rating, duration_ms=4000)
    return store


def import_into_anki(collection_path, package):
    col = open_collection(collection_path)
    try:
        col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=False, merge_notetypes=True)))
    finally:
        col.close()


def identities(package, scratch) -> list[tuple]:
    scratch.write_bytes(zipfile.ZipFile(package).read("collection.anki21"))
    db = sqlite3.connect(scratch)
    try:
        return db.execute("SELECT n.guid, n.id, c.id, c.ord FROM notes n JOIN cards c ON c.nid = n.id "
                          "ORDER BY c.id").fetchall()
    finally:
        db.close()


def review_count(store) -> int:
    with store.sessions() as s:
        return s.scalar(select(func.count()).select_from(ReviewLog))


def test_export_opens_in_anki_with_cards_history_and_fields(studied_store, tmp_path):
    package = tmp_path / "out.apkg"
    summary = export_apkg(studied_store, package)
    assert (summary.notes, summary.cards) == (4, 6)
    assert summary.reviews == review_count(studied_store) == 18
    col_path = tmp_path / "anki" / "collection.anki2"
    col_path.parent.mkdir()
    import_into_anki(col_path, package)
    col = open_collection(col_path)
    try:
        assert col.note_count() == 4 and col.card_count() == 6
        assert col.db.scalar("SELECT count() FROM revlog") == 18
        eases = sorted(col.db.list("SELECT ease FROM revlog"))
        assert eases == sorted([RATING_TO_EASE[r] for r in (4, 5, 2) for _ in range(6)])
        assert "DL::Optimizers" in [d.name for d in col.decks.all_names_and_ids()]
        adam = col.get_note(col.find_notes("tag:adam")[0])
        assert "\\(\\beta_1\\)" in adam["Front"] and "\\[m_t" in adam["Back"] and "<strong>momentum</strong>" in adam["Back"]
        assert adam["Snippet"] == "adam_update" and "first moment" in adam["Hints"]
        assert sorted(adam.tags) == ["adam", "optim"]
        relu = col.get_note(col.find_notes("ReLU")[0])
        assert "<pre><code" in relu["Back"]
        cloze = col.get_note(col.find_notes("note:flashtrain*Cloze")[0])
        assert "{{c1::0.9}}" in cloze["Text"] and "{{c2::0.999::beta two}}" in cloze["Text"]
        reviewed = col.get_card(adam.card_ids()[0])
        assert reviewed.type == 2 and reviewed.ivl >= 1  # a review card with an interval, not new
    finally:
        col.close()
    again = tmp_path / "again.apkg"
    export_apkg(studied_store, again)
    first, second = (identities(p, tmp_path / f"x{i}.db") for i, p in enumerate((package, again)))
    assert first == second and len(first) == 6  # same cards exported twice: same GUIDs and ids


def test_phone_round_trip_brings_new_reviews_back_once(studied_store, tmp_path):
    package = tmp_path / "out.apkg"
    export_apkg(studied_store, package)
    col_path = tmp_path / "anki" / "collection.anki2"
    col_path.parent.mkdir()
    import_into_anki(col_path, package)
    col = open_collection(col_path)
    try:
        card_ids = list(col.find_cards(""))
        col.decks.select(col.decks.id("DL::Optimizers"))
        for card_id in card_ids:
            col.sched.set_due_date([card_id], "0")
            answer(col, card_id, 3)
        relu = col.get_note(col.find_notes("ReLU")[0])
        relu["Back"] = relu["Back"] + "<br>Edited on the phone"
        col.update_note(relu)
    finally:
        col.close()
    back = export(Built(col_path), tmp_path / "from-anki.apkg")
    before = review_count(studied_store)
    with studied_store.sessions() as s:
        cards_before = {c.id: (c.key, c.question, tuple(c.hints), c.snippet_id) for c in s.scalars(select(Card))}
    reports = import_paths(studied_store, [back])
    assert all(r.status == "imported" for r in reports), [r.error for r in reports]
    assert sum(r.added for r in reports) == 0
    assert sum(r.reviews_added for r in reports) == len(card_ids) == 6
    assert sum(r.reviews_duplicate for r in reports) == 18  # ours came back too and count once
    assert review_count(studied_store) == before + 6
    assert sum(r.updated for r in reports) == 1  # the answer edited in Anki
    with studied_store.sessions() as s:
        after = {c.id: (c.key, c.question, tuple(c.hints), c.snippet_id) for c in s.scalars(select(Card))}
        assert after == cards_before  # same cards: keys, questions, hints and snippet links kept
        relu = s.scalar(select(Card).where(Card.question.like("Write ReLU%")))
        assert relu.answer.endswith("Edited on the phone")
        assert s.scalar(select(Deck.name).where(Deck.id == relu.deck_id)) == "DL::Optimizers"
        newest = s.scalars(select(ReviewLog).order_by(ReviewLog.reviewed_at.desc())).first()
        assert newest.rating == 4 and newest.state_after["reps"] == 4  # Good -> 4, replayed after our 3
    # importing the same package again adds nothing
    again = import_paths(studied_store, [back])
    assert [r.status for r in again] == ["unchanged"]  # the same bytes: skipped by hash
    assert sum(r.reviews_added for r in again) == 0 and review_count(studied_store) == before + 6


def test_bench_import_anki_prints_cards_and_reviews_per_second(capsys):
    from flashtrain.cli import main

    assert main(["bench", "import", "--anki", "30"]) == 0
    out = capsys.readouterr().out
    assert "30 notes and 300 reviews" in out and "cards/s" in out and "reviews/s" in out


def test_export_of_one_deck_takes_its_sub_decks_only(studied_store, tmp_path):
    from flashtrain.store.models import Deck

    with studied_store.sessions.begin() as s:
        s.add(Deck(name="DL_x", description="", tags=[], origin="imported"))  # '_' must not match as a wildcard
    summary = export_apkg(studied_store, tmp_path / "dl.apkg", deck_name="DL")
    assert summary.cards == 6
    with pytest.raises(Exception, match="no deck named"):
        export_apkg(studied_store, tmp_path / "none.apkg", deck_name="D_")
