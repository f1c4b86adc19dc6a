import pytest
from sqlalchemy import select
from study_factories import UTC, FakeClock, add_deck

from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, CardState, ReviewLog
from flashtrain.services.history import export_history, import_history
from flashtrain.study.history import HistoryError, parse_history
from flashtrain.study.service import StudyService

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)


def study_some(store, clock, ids):
    service = StudyService(store, clock=clock, tz=UTC)
    plan = [(ids[0], 4), (ids[1], 1), (ids[1], 3), (ids[2], 5), (ids[0], 2), (ids[1], 4)]
    for card_id, rating in plan:
        service.rate(card_id, rating, duration_ms=1500)
        clock.advance(hours=20)
    service.rate(ids[2], 4, origin="cram")  # drills are not exported
    return service


def log_rows(store):
    with store.sessions.begin() as s:
        rows = s.execute(select(Card.question, Card.cloze_index, ReviewLog.reviewed_at, ReviewLog.rating,
                                ReviewLog.duration_ms, ReviewLog.elapsed_days, ReviewLog.state_after)
                         .join(Card, Card.id == ReviewLog.card_id)
                         .where(ReviewLog.origin != "cram").order_by(ReviewLog.reviewed_at)).all()
        return [tuple(r) for r in rows]


def states(store):
    with store.sessions.begin() as s:
        return {(q, i): (st.phase, st.stability, st.difficulty, st.due, st.reps, st.lapses)
                for q, i, st in s.execute(select(Card.question, Card.cloze_index, CardState)
                                          .join(CardState, CardState.card_id == Card.id))}


def test_export_import_round_trip_into_fresh_store(store_target, tmp_path):
    source = open_store(store_target("a"))
    add_deck(source, "Other", 2)  # shifts card ids: the fresh store numbers cards differently
    ids = add_deck(source, "A", 3) + add_deck(source, "Cloze", 2, kind="cloze")
    with source.sessions.begin() as s:  # two cloze siblings share the raw question text
        for index, card_id in enumerate(ids[3:], start=1):
            card = s.get(Card, card_id)
            card.question, card.cloze_index = "Adam uses {{0.9}} and {{0.999}}.", index
    clock = FakeClock()
    study_some(source, clock, ids[:2] + [ids[3]])
    StudyService(source, clock=clock, tz=UTC).rate(ids[4], 4)
    out = tmp_path / "history.csv"
    with out.open("w", encoding="utf-8", newline="") as stream:
        assert export_history(source, stream) == 7
    header = out.read_text().splitlines()[0]
    assert header == ("card_id,review_time,rating,duration_ms,deck,question,store_id,review_rating,review_state,"
                      "review_duration")
    assert "+00:00" in out.read_text().splitlines()[1]

    fresh = open_store(store_target("b"))
    fresh_ids = add_deck(fresh, "A", 3) + add_deck(fresh, "Cloze", 2, kind="cloze")
    with fresh.sessions.begin() as s:
        for index, card_id in enumerate(fresh_ids[3:], start=1):
            card = s.get(Card, card_id)
            card.question, card.cloze_index = "Adam uses {{0.9}} and {{0.999}}.", index
    summary = import_history(fresh, out, config=StudyService(fresh, tz=UTC).scheduler_config())
    assert (summary.rows, summary.imported, summary.unknown, summary.duplicates) == (7, 7, 0, 0)
    assert log_rows(fresh) == log_rows(source)  # same times, ratings, durations, replayed states
    assert states(fresh) == states(source)
    # importing the same file again adds nothing
    again = import_history(fresh, out, config=StudyService(fresh, tz=UTC).scheduler_config())
    assert (again.imported, again.duplicates) == (0, 7)
    with fresh.sessions.begin() as s:
        assert len(s.scalars(select(ReviewLog)).all()) == 7
        assert {log.origin for log in s.scalars(select(ReviewLog))} == {"imported"}


def test_foreign_anki_csv_by_mapped_card_id_with_unknown_rows(tmp_path, store):
    ids = add_deck(store, "A", 2)
    csv = tmp_path / "anki.csv"
    csv.write_text("card_id,review_rating,review_time,review_duration\n"
                   "1,3,2024-03-29T20:32:32.250000+00:00,25060\n"
                   "999999,1,2024-03-29T20:33:00Z,100\n"
                   "1,1,2024-04-02T08:00:00+02:00,7241\n"
                   "888888,3,2024-03-30T20:33:00Z,100\n", encoding="utf-8")
    mapping = tmp_path / "map.csv"
    mapping.write_text("card_id,question\n1,A question 0?\n999999,no such question\n888888,nor this one\n")
    summary = import_history(store, csv, scale="anki", mapping_path=mapping)
    assert (summary.imported, summary.unknown, summary.unknown_lines) == (2, 2, [3, 5])
    with store.sessions.begin() as s:
        logs = s.scalars(select(ReviewLog).order_by(ReviewLog.reviewed_at)).all()
        assert [log.rating for log in logs] == [4, 1]  # Anki Good -> 4, Again -> 1
        assert logs[1].reviewed_at.hour == 6 and logs[1].duration_ms == 7241
        assert abs(logs[1].elapsed_days - (logs[1].reviewed_at - logs[0].reviewed_at).total_seconds() / 86400) < 1e-9
        state = s.get(CardState, ids[0])
        assert state.reps == 2 and state.last_rating == 1 and state.lapses == 1
        assert logs[1].state_after["lapses"] == 1


@pytest.mark.parametrize("body, line, expected", [
    ("card_id,rating\n1,3\n", 1, "missing review_time"),
    ("card_id,review_time,rating\n1,2024-03-29T20:32:32Z,3\n1,yesterday,3\n", 3, "ISO-8601"),
    ("card_id,review_time,rating\n1,2024-03-29T20:32:32Z,3\n\n1,2024-03-29T20:32:32,3\n", 4, "with a zone"),
    ("card_id,review_time,rating\n1,2024-03-29T20:32:32Z,6\n", 2, "rating 1..5"),
    ("card_id,review_time,rating\n1,2024-03-29T20:32:32Z,\n", 2, "rating 1..5"),
    ('card_id,review_time,rating,question\n1,2024-03-29T20:32:32Z,3,"two\nlines"\n,2024-03-29T20:32:32Z,3,x\n',
     4, "card_id"),
    ("", 1, "header"),
])
def test_bad_rows_name_file_and_line(tmp_path, body, line, expected):
    with pytest.raises(HistoryError) as caught:
        parse_history(body, "h.csv")
    assert caught.value.line == line and expected in str(caught.value)
    assert str(caught.value).startswith(f"h.csv:{line}: ")


def test_bad_row_writes_nothing(tmp_path, store):
    ids = add_deck(store, "A", 1)
    csv = tmp_path / "bad.csv"
    csv.write_text(f"card_id,review_time,rating\n{ids[0]},2024-03-29T20:32:32Z,3\n{ids[0]},2024-03-30T20:32:32Z,9\n")
    with pytest.raises(HistoryError):
        import_history(store, csv)
    with store.sessions.begin() as s:
        assert s.scalars(select(ReviewLog)).first() is None and s.get(CardState, ids[0]) is None


def test_anki_scale_rejects_five(tmp_path):
    with pytest.raises(HistoryError, match="rating 1..4"):
        parse_history("card_id,review_time,rating\n1,2024-03-29T20:32:32Z,5\n", "h.csv", scale="anki")


def test_foreign_card_ids_are_refused_never_attached_to_our_cards(tmp_path, store):
    ids = add_deck(store, "A", 3)  # small ids 1, 2, 3: exactly what another tool's ids look like
    csv = tmp_path / "other.csv"
    csv.write_text(f"card_id,review_time,rating\n{ids[0]},2024-03-29T20:32:32Z,5\n{ids[1]},2024-03-29T20:33:32Z,4\n")
    with pytest.raises(HistoryError) as caught:
        import_history(store, csv)
    assert str(caught.value).startswith(f"{csv}:2: error: card_id") and "--map" in str(caught.value)
    with store.sessions.begin() as s:
        assert s.scalars(select(ReviewLog)).first() is None


def test_another_stores_export_is_refused_by_card_id(tmp_path, store):
    other = open_store(tmp_path / "other.db")
    other_ids = add_deck(other, "A", 1)
    StudyService(other, clock=FakeClock(), tz=UTC).rate(other_ids[0], 4)
    out = tmp_path / "h.csv"
    with out.open("w", encoding="utf-8", newline="") as stream:
        export_history(other, stream)
    add_deck(store, "B", 1)  # same card id, another card
    rows = out.read_text().splitlines()
    header = rows[0].split(",")
    without_question = [",".join(c for i, c in enumerate(r.split(",")) if header[i] != "question") for r in rows]
    out.write_text("\n".join(without_question) + "\n")
    with pytest.raises(HistoryError, match="comes from another store"):
        import_history(store, out)


def test_ratings_one_to_four_need_a_scale(tmp_path, store):
    add_deck(store, "A", 1)
    csv = tmp_path / "h.csv"
    csv.write_text("card_id,review_time,rating,question\n9,2024-03-29T20:32:32Z,3,A question 0?\n")
    with pytest.raises(HistoryError, match="--scale anki .* --scale confidence"):
        import_history(store, csv)
    assert import_history(store, csv, scale="confidence").imported == 1


def test_export_has_fsrs_columns_py_fsrs_reads(tmp_path, store):
    from fsrs import Rating, ReviewLog as FsrsLog
    import csv as csv_module
    from datetime import datetime

    ids = add_deck(store, "A", 1)
    clock = FakeClock()
    service = StudyService(store, clock=clock, tz=UTC)
    for rating in (3, 5, 1, 4, 2):
        service.rate(ids[0], rating, duration_ms=1200)
        clock.advance(days=2)
    out = tmp_path / "h.csv"
    with out.open("w", encoding="utf-8", newline="") as stream:
        export_history(store, stream)
    records = list(csv_module.DictReader(out.open(encoding="utf-8")))
    assert [int(r["review_rating"]) for r in records] == [3, 4, 1, 3, 2]
    assert [int(r["review_state"]) for r in records][0] == 0 and all(r["review_duration"] == "1200" for r in records)
    logs = [FsrsLog(card_id=int(r["card_id"]), rating=Rating(int(r["review_rating"])),
                    review_datetime=datetime.fromisoformat(r["review_time"]), review_duration=int(r["review_duration"]))
            for r in records]
    assert [log.rating for log in logs] == [Rating.Good, Rating.Easy, Rating.Again, Rating.Good, Rating.Hard]
