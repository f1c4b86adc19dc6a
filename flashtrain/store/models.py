"""SQLAlchemy 2.x models. Every datetime is UTC-aware on the way in and on the way out.

A learner's review history is the one thing that must never be lost: cards are retired, never
deleted by an import, and review rows are only ever removed by an explicit undo of that row.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text,
                        UniqueConstraint)
from sqlalchemy import text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores naive UTC in SQLite; refuses naive datetimes coming in, returns aware ones."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: flashtrain stores UTC-aware datetimes only")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


ACTIVE_CARD = "retired_at IS NULL"
HELD_CARD = "retired_at IS NOT NULL OR suspended = TRUE OR buried_until IS NOT NULL"  # study_queries.HELD


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Deck(Base):
    __tablename__ = "decks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "bundled" decks ship with flashtrain and their snippets run freely; "imported" ones need trust.
    origin: Mapped[str] = mapped_column(String(20), default="imported")
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cards: Mapped[list[Card]] = relationship(back_populates="deck")


class SourceFile(Base):
    """A file a deck was imported from, with the hash that lets an unchanged re-import skip it."""

    __tablename__ = "source_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(20))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Card(Base):
    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("deck_id", "key", name="uq_cards_deck_id_key"),
        # The study queue (migration 0005): new cards listed from a narrow index, held cards counted.
        Index("ix_cards_active", "id", "deck_id", "suspended", "buried_until",
              sqlite_where=text(ACTIVE_CARD), postgresql_where=text(ACTIVE_CARD)),
        Index("ix_cards_held", "id", sqlite_where=text(HELD_CARD), postgresql_where=text(HELD_CARD)),
        # A file's active cards counted, and an import's staged rows found, from the index alone (0006).
        Index("ix_cards_source_retired", "source_id", "retired_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deck_id: Mapped[int] = mapped_column(ForeignKey("decks.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source_files.id"))
    source_line: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="basic")
    cloze_index: Mapped[int] = mapped_column(Integer, default=0)
    explicit_id: Mapped[str | None] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    hints: Mapped[list[str]] = mapped_column(JSON, default=list)
    snippet_id: Mapped[str | None] = mapped_column(String(100), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    buried_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the card was changed in the app but not in a file we can write: a later import of a
    # changed file keeps this edit (and says so) unless the learner asks for the file's version.
    edited_in_app_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deck: Mapped[Deck] = relationship(back_populates="cards")
    state: Mapped[CardState | None] = relationship(back_populates="card", uselist=False)


class CardState(Base):
    """The scheduler's memory state of one card; a card with no row here is new."""

    __tablename__ = "card_states"
    # The queue looks up learning cards by phase and due time, and ranks the day's due reviews by
    # predicted recall from this index alone (it covers every column the ranking reads).
    __table_args__ = (Index("ix_card_states_queue", "phase", "due", "last_review", "stability", "card_id"),)

    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(12), default="new")  # new|learning|review|relearning
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    last_rating: Mapped[int | None] = mapped_column(Integer)

    card: Mapped[Card] = relationship(back_populates="state")


class ReviewLog(Base):
    """One row per rating, kept forever, with the scheduler state before and after (for undo/refit)."""

    __tablename__ = "review_log"
    __table_args__ = (Index("ix_review_log_card_time", "card_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    rating: Mapped[int] = mapped_column(Integer)
    elapsed_days: Mapped[float | None] = mapped_column(Float)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    state_before: Mapped[dict | None] = mapped_column(JSON)
    state_after: Mapped[dict | None] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(20), default="study")  # study|cram|imported


class Attempt(Base):
    """A learner's graded answer to a code-backed card."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), index=True)
    snippet_id: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10))  # pass|fail|error
    passed: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSON)


class MediaFile(Base):
    """An image or sound a card refers to by file name (`![](name)`), stored with the cards so that a
    store copied or shared through PostgreSQL carries its media too."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    sha1: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Setting(Base):
    """Small named values: fitted scheduler parameters, day start hour, new-card limit, ..."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
