"""The browser's search: a small query language turned into one SQL query (headless, no Textual).

Syntax (terms are ANDed; `-term` negates; quote values with spaces):
    deck:NAME        deck name or its start, case-insensitive (deck:optim finds "Optimization
                     algorithms"); `*` is a wildcard anywhere (deck:*norm*)
    tag:NAME         card tag (exact, case-insensitive)
    is:due is:new is:learning is:review is:suspended is:buried is:flagged is:leech is:retired
    has:code has:hints
    anything else    free text found in the question or the answer
Retired cards are hidden unless the query says `is:retired`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import and_, func, not_, or_, select, true
from sqlalchemy.sql import ColumnElement

from flashtrain.deck.writeback import note_key
from flashtrain.scheduler.core import SchedulerConfig, forgetting_curve, study_day
from flashtrain.store.dialect import dialect_of, json_list_has
from flashtrain.store.models import Card, CardState, Deck, SourceFile
from flashtrain.study.service import LEECH_TAG
from flashtrain.services.settings import load_settings

IS_WORDS = ("due", "new", "learning", "review", "suspended", "buried", "flagged", "leech", "retired")
HAS_WORDS = ("code", "hints")
SORT_KEYS = ("due", "recall", "lapses", "deck", "reps")


class QueryError(ValueError):
    """A query the browser cannot run; the message names the offending term."""


@dataclass(frozen=True)
class Term:
    field: str  # deck | tag | is | has | text
    value: str
    negated: bool = False


@dataclass(frozen=True)
class BrowseRow:
    card_id: int
    deck_name: str
    question: str
    kind: str
    phase: str
    due: datetime | None
    lapses: int
    reps: int
    recall: float | None  # predicted recall now; None for a new card
    suspended: bool
    flagged: bool
    retired: bool
    snippet_id: str | None
    tags: tuple[str, ...]
    note_mark: str = ""  # which card of its note: "→" / "←" (a reversed pair), "c2" (a cloze gap)


def note_mark(kind: str, cloze_index: int, has_reversed_twin: bool) -> str:
    """Which card of its note a card is: the forward "→" and reversed "←" card of a reversed note,
    the cloze gap "c1", "c2"…; a plain card of its own note has no mark."""
    if kind == "cloze":
        return f"c{cloze_index}"
    if kind == "reversed":
        return "←"
    return "→" if has_reversed_twin else ""


@dataclass(frozen=True)
class CardText:
    """What a browse preview shows of a card."""

    question: str
    answer: str
    tags: tuple[str, ...]
    source_path: str | None


def card_text(store, card_id: int) -> CardText | None:
    with store.sessions() as session:
        row = session.execute(select(Card.question, Card.answer, Card.tags, SourceFile.path)
                              .outerjoin(SourceFile, SourceFile.id == Card.source_id)
                              .where(Card.id == card_id)).first()
    if row is None:
        return None
    return CardText(row[0], row[1] or "", tuple(row[2] or ()), row[3])


def _split(query: str) -> list[str]:
    """Words and "quoted phrases"; a backslash is an ordinary character (cards are full of LaTeX:
    `$\\beta` must stay `$\\beta`, not become `$beta` as shlex.split would make it)."""
    lexer = shlex.shlex(query, posix=True)
    lexer.whitespace_split = True
    lexer.escape = ""
    lexer.commenters = ""
    return list(lexer)


def parse_query(query: str) -> list[Term]:
    try:
        words = _split(query)
    except ValueError as error:  # an unbalanced quote
        raise QueryError(f"cannot read the query: {error}") from error
    terms = []
    for word in words:
        negated = word.startswith("-") and len(word) > 1
        body = word[1:] if negated else word
        field, sep, value = body.partition(":")
        field = field.lower()
        if sep and field in ("deck", "tag", "is", "has"):
            if not value:
                raise QueryError(f"'{word}': say what to match after '{field}:'")
            value_l = value.lower()
            if field == "is" and value_l not in IS_WORDS:
                raise QueryError(f"'{word}': is: takes one of {', '.join(IS_WORDS)}")
            if field == "has" and value_l not in HAS_WORDS:
                raise QueryError(f"'{word}': has: takes one of {', '.join(HAS_WORDS)}")
            terms.append(Term(field, value if field == "deck" else value_l, negated))
        else:
            terms.append(Term("text", body, negated))
    return terms


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _condition(term: Term, now: datetime, leech_lapses: int, dialect: str) -> ColumnElement[bool]:
    value = term.value
    if term.field == "deck":
        pattern = _like_escape(value.lower()).replace("*", "%")
        if "*" not in value:
            pattern += "%"  # a name's start is enough: people type the first letters of a deck
        return func.lower(Deck.name).like(pattern, escape="\\")
    if term.field == "tag":
        # tags are a JSON list (lower case since import); matching elements keeps the match exact
        return json_list_has(dialect, Card.tags, value)
    if term.field == "has":
        if value == "code":
            return and_(Card.snippet_id.is_not(None), Card.snippet_id != "")
        return func.json_array_length(Card.hints) > 0
    if term.field == "is":
        if value == "new":
            return or_(CardState.card_id.is_(None), CardState.phase == "new")
        if value == "due":
            return and_(CardState.due.is_not(None), CardState.due <= now, CardState.phase != "new")
        if value in ("learning", "review"):
            phases = ("learning", "relearning") if value == "learning" else ("review",)
            return CardState.phase.in_(phases)
        if value == "suspended":
            return Card.suspended.is_(True)
        if value == "buried":
            return and_(Card.buried_until.is_not(None), Card.buried_until > now)
        if value == "flagged":
            return Card.flagged.is_(True)
        if value == "leech":
            # The study service's own mark (tag "leech"), or the learner's threshold for cards whose
            # lapses came from imported history, which is replayed without leech detection.
            return or_(_condition(Term("tag", LEECH_TAG), now, leech_lapses, dialect),
                       func.coalesce(CardState.lapses, 0) >= leech_lapses)
        if value == "retired":
            return Card.retired_at.is_not(None)
    matches = []
    for text in _text_forms(value):
        pattern = f"%{_like_escape(text)}%"
        matches += [Card.question.ilike(pattern, escape="\\"), Card.answer.ilike(pattern, escape="\\")]
    return or_(*matches)


# The app shows math as Unicode (β₁), the store keeps the LaTeX ($\beta_1$): a Greek letter or a
# subscript digit typed in the search box also finds its LaTeX spelling.
_GREEK = {"α": ("alpha",), "β": ("beta",), "γ": ("gamma",), "δ": ("delta",), "ε": ("epsilon", "varepsilon"),
          "ζ": ("zeta",), "η": ("eta",), "θ": ("theta", "vartheta"), "κ": ("kappa",), "λ": ("lambda",),
          "μ": ("mu",), "ν": ("nu",), "ξ": ("xi",), "π": ("pi",), "ρ": ("rho",), "σ": ("sigma",),
          "τ": ("tau",), "φ": ("phi", "varphi"), "χ": ("chi",), "ψ": ("psi",), "ω": ("omega",),
          "Γ": ("Gamma",), "Δ": ("Delta",), "Θ": ("Theta",), "Λ": ("Lambda",), "Σ": ("Sigma",),
          "Φ": ("Phi",), "Ω": ("Omega",)}
_SUBSCRIPT_DIGITS = {chr(0x2080 + d): f"_{d}" for d in range(10)}
_SUPERSCRIPT_DIGITS = {"⁰": "^0", "¹": "^1", "²": "^2", "³": "^3", "⁴": "^4", "⁵": "^5", "⁶": "^6",
                       "⁷": "^7", "⁸": "^8", "⁹": "^9"}
_MAX_FORMS = 16


def _text_forms(value: str) -> list[str]:
    """The typed text, plus its LaTeX spellings when it holds Greek letters or script digits."""
    forms = [""]
    for char in value:
        if char in _GREEK:
            options = [f"\\{name}" for name in _GREEK[char]]
        elif char in _SUBSCRIPT_DIGITS or char in _SUPERSCRIPT_DIGITS:
            options = [_SUBSCRIPT_DIGITS.get(char) or _SUPERSCRIPT_DIGITS[char]]
        else:
            options = [char]
        forms = [f + o for f in forms for o in options][:_MAX_FORMS]
    return list(dict.fromkeys([value, *forms]))


def build_select(terms: list[Term], now: datetime, leech_lapses: int = 8, dialect: str = "sqlite"):
    conditions = []
    wants_retired = any(t.field == "is" and t.value == "retired" and not t.negated for t in terms)
    if not wants_retired:
        conditions.append(Card.retired_at.is_(None))
    for term in terms:
        condition = _condition(term, now, leech_lapses, dialect)
        conditions.append(not_(condition) if term.negated else condition)
    return (
        select(Card.id, Deck.name, Card.question, Card.kind, CardState.phase, CardState.due, CardState.lapses,
               CardState.reps, CardState.stability, CardState.last_review, Card.suspended, Card.flagged,
               Card.retired_at, Card.snippet_id, Card.tags, Card.deck_id, Card.key, Card.cloze_index)
        .join(Deck, Deck.id == Card.deck_id)
        .outerjoin(CardState, CardState.card_id == Card.id)
        .where(and_(true(), *conditions))
    )


def _recall(stability: float | None, last_review: datetime | None, today: date, config: SchedulerConfig) -> float | None:
    """The scheduler's retrievability, with `today` (the study day of now) worked out once per search."""
    if stability is None or last_review is None:
        return None
    return forgetting_curve((today - study_day(last_review, config)).days, stability, config.weights)


def search(store, query: str, now: datetime | None = None, sort: str = "due", descending: bool = False,
           limit: int | None = 5000, config: SchedulerConfig | None = None) -> tuple[list[BrowseRow], int]:
    """Cards matching `query`, sorted; returns (rows shown, total matches). Raises QueryError."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("search needs a UTC-aware 'now'")
    if sort not in SORT_KEYS:
        raise QueryError(f"cannot sort by {sort!r}; choose one of {', '.join(SORT_KEYS)}")
    config = config or SchedulerConfig()
    terms = parse_query(query)
    with store.sessions() as session:
        raw = session.execute(build_select(terms, now, load_settings(session).leech_threshold,
                                           dialect_of(session))).all()
        twins = {(deck, note_key(key)) for deck, key in
                 session.execute(select(Card.deck_id, Card.key).where(Card.kind == "reversed"))}
    today = study_day(now, config)
    rows = [
        BrowseRow(card_id=r[0], deck_name=r[1], question=r[2], kind=r[3], phase=r[4] or "new", due=r[5],
                  lapses=r[6] or 0, reps=r[7] or 0, recall=_recall(r[8], r[9], today, config), suspended=bool(r[10]),
                  flagged=bool(r[11]), retired=r[12] is not None, snippet_id=r[13], tags=tuple(r[14] or ()),
                  note_mark=note_mark(r[3], r[17] or 0, (r[15], note_key(r[16])) in twins))
        for r in raw
    ]
    rows.sort(key=_sort_key(sort), reverse=descending)
    total = len(rows)
    return (rows if limit is None else rows[:limit]), total


def _sort_key(sort: str):
    far = datetime.max.replace(tzinfo=timezone.utc)
    if sort == "due":
        return lambda r: (r.due is None, r.due or far, r.card_id)
    if sort == "recall":
        return lambda r: (r.recall is None, r.recall if r.recall is not None else 0.0, r.card_id)
    if sort == "lapses":
        return lambda r: (r.lapses, r.card_id)
    if sort == "reps":
        return lambda r: (r.reps, r.card_id)
    return lambda r: (r.deck_name.lower(), r.card_id)


def first_line(markdown: str, width: int = 80) -> str:
    """A one-line preview of a card's question for a table cell."""
    text = " ".join(markdown.split())
    text = re.sub(r"\{\{(.+?)(::.*?)?\}\}", r"[\1]", text)
    return text if len(text) <= width else text[: width - 1] + "…"
