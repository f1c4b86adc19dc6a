"""Test helpers: hand-made decks inserted through the ORM and a clock the test moves by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flashtrain.store.models import Card, Deck

UTC = timezone.utc
# 10:00 UTC: well after the 4 am day start in the UTC zone the tests use.
START = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def add_deck(store, name: str, n: int, tags=(), snippet_every: int = 0, kind: str = "basic") -> list[int]:
    """Insert a deck with n cards directly through the ORM; returns the card ids in order."""
    with store.sessions.begin() as s:
        deck = Deck(name=name, description="", tags=list(tags), origin="imported")
        s.add(deck)
        s.flush()
        cards = []
        for i in range(n):
            snippet = f"snip{i}" if snippet_every and i % snippet_every == 0 else None
            card = Card(deck_id=deck.id, source_line=i + 1, key=f"k{i}", kind=kind, cloze_index=0,
                        question=f"{name} question {i}?", answer=f"{name} answer {i}", tags=[],
                        hints=[], snippet_id=snippet, content_hash=f"h{i}")
            s.add(card)
            cards.append(card)
        s.flush()
        return [c.id for c in cards]




def set_state(store, card_id: int, **fields) -> None:
    """Give a card a scheduler state directly (as if it had been reviewed before)."""
    from flashtrain.store.models import CardState

    with store.sessions.begin() as s:
        row = s.get(CardState, card_id) or CardState(card_id=card_id)
        defaults = {"phase": "review", "difficulty": 5.0, "reps": 3, "lapses": 0, "step": 0, "last_rating": 4}
        for name, value in (defaults | fields).items():
            setattr(row, name, value)
        s.add(row)
