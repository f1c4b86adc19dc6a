"""Schedules that another tool wrote into a deck file (Obsidian SR's `<!--SR:!date,interval,ease-->`).

Such a card is not new: it was reviewed and is due on that date. We have no reviews to replay, so
its state is a review-phase state due at the start of that study day, with the interval as its
stability (FSRS's stability is the interval at 90 % recall) and a difficulty from the ease (Anki-style
ease 130 %..350 % onto difficulty 10..1). Anki cards with a schedule but no review history get the
same treatment on import. A card that already has a state - our own history - is
never touched.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import insert, select

from flashtrain.scheduler import core
from flashtrain.store.models import Card, CardState


def state_from_schedule(due_text: str, interval: int, ease: float, config) -> dict | None:
    """A review-phase state due on `due_text` (YYYY-MM-DD) after `interval` days; `ease` as a factor (2.5)."""
    try:
        due_day = date.fromisoformat(due_text)
    except ValueError:
        return None
    interval = max(int(interval), 1)
    due = core.day_boundary(due_day, config)
    ease_fraction = min(max(ease or 2.5, 1.3), 3.5)
    difficulty = 10.0 - (ease_fraction - 1.3) / (3.5 - 1.3) * 9.0
    return dict(phase="review", stability=float(interval), difficulty=round(difficulty, 3), due=due,
                last_review=due - timedelta(days=interval), reps=1, lapses=0, step=0, last_rating=None)


def apply_schedules(session, deck_id: int, schedules) -> int:
    from flashtrain.services.settings import load_settings

    config = load_settings(session).scheduler_config()
    keys = [key for key, *_ in schedules]
    ids = dict(session.execute(select(Card.key, Card.id).where(Card.deck_id == deck_id, Card.key.in_(keys))).all())
    with_state = set(session.scalars(select(CardState.card_id).where(CardState.card_id.in_(list(ids.values())))))
    rows = []
    for key, due, interval, ease in schedules:
        card_id = ids.get(key)
        if card_id is None or card_id in with_state:
            continue
        state = state_from_schedule(due, interval, ease / 100.0, config)  # Obsidian SR writes 250 for 2.5
        if state is not None:
            rows.append(dict(card_id=card_id, **state))
    if rows:
        session.connection().execute(insert(CardState.__table__), rows)
    return len(rows)
