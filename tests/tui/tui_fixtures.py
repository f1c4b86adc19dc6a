"""Data helpers for the TUI-area tests (imported by conftest.py and the tests)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flashtrain.store.models import Attempt, Card, CardState, ReviewLog

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def add_card(session, deck, question, answer="An answer.", *, key=None, tags=(), hints=(), snippet_id=None,
             state=None, suspended=False, flagged=False, retired=False, source_id=None, source_line=0,
             explicit_id=None):
    card = Card(deck_id=deck.id, key=key or f"q:{abs(hash(question))}", question=question, answer=answer,
                tags=list(tags), hints=list(hints), snippet_id=snippet_id, content_hash="h", suspended=suspended,
                flagged=flagged, retired_at=NOW if retired else None, source_id=source_id,
                source_line=source_line, explicit_id=explicit_id, created_at=NOW - timedelta(days=60),
                updated_at=NOW - timedelta(days=60))
    session.add(card)
    session.flush()
    if state:
        session.add(CardState(card_id=card.id, **state))
    return card


def review_state(days_ago_reviewed, due_in_days, stability=10.0, lapses=0, reps=3, last_rating=4, phase="review"):
    return dict(phase=phase, stability=stability, difficulty=5.0, due=NOW + timedelta(days=due_in_days),
                last_review=NOW - timedelta(days=days_ago_reviewed), reps=reps, lapses=lapses, step=0,
                last_rating=last_rating)



def add_reviews(store, rows):
    """rows: (card_id, reviewed_at, rating, elapsed_days, duration_ms, phase_before)."""
    with store.sessions.begin() as session:
        for card_id, at, rating, elapsed, duration, phase in rows:
            session.add(ReviewLog(card_id=card_id, reviewed_at=at, rating=rating, elapsed_days=elapsed,
                                  duration_ms=duration, state_before={"phase": phase}, state_after={},
                                  origin="study"))


def add_attempts(store, rows):
    """rows: (card_id, snippet_id, status)."""
    with store.sessions.begin() as session:
        for card_id, snippet_id, status in rows:
            session.add(Attempt(card_id=card_id, snippet_id=snippet_id, status=status, passed=1, total=2,
                                duration_ms=10, code="", created_at=NOW))
