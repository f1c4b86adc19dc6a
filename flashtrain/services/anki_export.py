"""`flashtrain export --format apkg`: the store's cards, states, history and media as an Anki package.

Reads the store and hands plain data to deck/anki/export.py, which knows nothing of SQLAlchemy.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import or_, select

from flashtrain.deck.anki.export import ExportCard, ExportReview, ExportSummary, media_references, write_apkg
from flashtrain.store.models import Card, CardState, Deck, MediaFile, ReviewLog


class ExportError(ValueError):
    pass


def export_apkg(store, out: Path, deck_name: str | None = None, now: datetime | None = None) -> ExportSummary:
    """Write the decks (all, or `deck_name` and its sub-decks) to `out`. Raises ExportError."""
    now = now or datetime.now(timezone.utc)
    with store.sessions() as s:
        query = select(Deck.id, Deck.name)
        if deck_name:
            query = query.where(or_(Deck.name == deck_name, Deck.name.like(_like_prefix(deck_name), escape="\\")))
        decks = dict(s.execute(query).all())
        if not decks:
            raise ExportError(f"no deck named {deck_name!r} (see `flashtrain decks`)" if deck_name else "no decks")
        rows = s.execute(select(Card, CardState).outerjoin(CardState, CardState.card_id == Card.id)
                         .where(Card.deck_id.in_(list(decks)), Card.retired_at.is_(None))
                         .order_by(Card.deck_id, Card.source_id, Card.source_line, Card.cloze_index, Card.id)).all()
        if not rows:
            raise ExportError("the deck has no cards to export" if deck_name else "no cards to export")
        reviews: dict[int, list[ExportReview]] = defaultdict(list)
        card_ids = [card.id for card, _ in rows]
        for start in range(0, len(card_ids), 500):
            for log in s.scalars(select(ReviewLog).where(ReviewLog.card_id.in_(card_ids[start:start + 500]))
                                 .order_by(ReviewLog.reviewed_at, ReviewLog.id)):
                reviews[log.card_id].append(_review(log))
        cards = [_card(card, state, decks[card.deck_id], reviews.get(card.id, []), now) for card, state in rows]
        names = {name for card in cards for name in media_references(card.question) + media_references(card.answer)}
        media = dict(s.execute(select(MediaFile.name, MediaFile.data).where(MediaFile.name.in_(list(names)))).all()) \
            if names else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_apkg(cards, media, out, now)


def _like_prefix(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "::%"


def _review(log: ReviewLog) -> ExportReview:
    before, after = log.state_before or {}, log.state_after or {}

    def interval(state: dict):
        due, last = state.get("due"), state.get("last_review")
        if not due or not last:
            return None
        return datetime.fromisoformat(due) - datetime.fromisoformat(last)

    return ExportReview(reviewed_at=log.reviewed_at, rating=log.rating, duration_ms=log.duration_ms,
                        phase_before=before.get("phase", "new"), interval_before=interval(before),
                        interval_after=interval(after), cram=log.origin == "cram")


def _card(card: Card, state: CardState | None, deck: str, reviews: list[ExportReview], now: datetime) -> ExportCard:
    return ExportCard(
        deck=deck, key=card.key, kind=card.kind, cloze_index=card.cloze_index, question=card.question,
        answer=card.answer, tags=tuple(card.tags or ()), hints=tuple(card.hints or ()), snippet=card.snippet_id,
        suspended=card.suspended, buried=bool(card.buried_until and card.buried_until > now), flagged=card.flagged,
        phase=state.phase if state else "new", due=state.due if state else None,
        last_review=state.last_review if state else None, reps=state.reps if state else 0,
        lapses=state.lapses if state else 0, stability=state.stability if state else None,
        difficulty=state.difficulty if state else None, reviews=reviews)
