"""An Anki collection as our decks: cards, their Anki status and review history, and media.

Each Anki card becomes one of our cards whose identity is the note's GUID and the card's ordinal
(`explicit_id` `anki:<guid>` for the first card of a note, `anki:<guid>/<n>` for card n), so a newer
export of the same collection updates the same cards. Its front and back are rendered from the
notetype's templates (see `render`). Cards of a notetype that is not one of Anki's stock ones are
imported the same way, with one warning naming the notetype.

Review rows: time from the row id (epoch ms), Anki's ease 1–4 mapped like `--scale anki`, duration
from `time`. Manual rows (ease 0: reschedules, "set due date", resets) and rows whose card no longer
exists are skipped and counted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple

from flashtrain.deck.anki.package import Collection, Notetype
from flashtrain.deck.anki.markup import html_to_markdown
from flashtrain.deck.anki.render import card_sides
from flashtrain.deck.model import CardSpec, ParseWarning
from flashtrain.deck.note import CLOZE, cloze_numbers, gap_number
from flashtrain.scheduler.core import RATING_SCALES

if TYPE_CHECKING:
    import numpy as np

ANKI_EASE_TO_RATING = RATING_SCALES["anki"]
STOCK_NAMES = {"basic", "basic (and reversed card)", "basic (optional reversed card)", "basic (type in the answer)",
               "cloze", "image occlusion"}
FLASHTRAIN_NOTETYPE_PREFIX = "flashtrain"


class Review(NamedTuple):  # a tuple: a collection holds hundreds of thousands
    stamp_ms: int  # Anki's revlog id: the review's time in epoch milliseconds
    rating: int
    duration_ms: int | None

    @property
    def reviewed_at(self) -> datetime:
        return datetime.fromtimestamp(self.stamp_ms / 1000, timezone.utc)


# Review times a collection can hold: revlog ids are epoch milliseconds (Anki 2.0 was 2012).
MIN_STAMP_MS, MAX_STAMP_MS = 0, 253402300799999  # up to 9999-12-31


class ReviewColumns(NamedTuple):
    """The rated reviews of every card of a collection as int64 columns, card after card, each card's
    oldest first: a collection holds hundreds of thousands, so no object is made per review."""

    stamp_ms: np.ndarray
    rating: np.ndarray  # on our 1-5 scale
    duration_ms: np.ndarray  # 0: none recorded


class Reviews:
    """One card's rated reviews, oldest first: a slice [start, stop) of the collection's columns.
    Iterating gives `Review` tuples; the bulk paths use the indices."""

    __slots__ = ("columns", "start", "stop", "repeats_a_time")

    def __init__(self, columns: ReviewColumns, start: int, stop: int, repeats_a_time: bool = False) -> None:
        self.columns, self.start, self.stop = columns, start, stop
        self.repeats_a_time = repeats_a_time  # two of them at the same millisecond

    def __len__(self) -> int:
        return self.stop - self.start

    def __iter__(self):
        columns, start, stop = self.columns, self.start, self.stop
        for stamp, rating, duration in zip(columns.stamp_ms[start:stop].tolist(), columns.rating[start:stop].tolist(),
                                           columns.duration_ms[start:stop].tolist()):
            yield Review(stamp, rating, duration or None)

    def indices(self) -> range:
        return range(self.start, self.stop)

    def __repr__(self) -> str:
        return f"Reviews({list(self)!r})"


@dataclass
class ImportedCard:
    spec: CardSpec
    anki_card_id: int
    suspended: bool
    buried: bool
    flagged: bool
    reviews: Reviews
    media: list[str]
    anki_state: tuple[int, int, int, int]  # (type, due, interval days, lapses) for cards without history
    own_key: str | None = None  # a card we exported: its key in our store before the trip to Anki
    factor: int = 0  # Anki's ease in per mille (2500 = 250 %)
    legacy_key: str | None = None  # the key an earlier flashtrain gave this card (a cloze imported as front/back)


@dataclass
class ImportedDeck:
    name: str
    cards: list[ImportedCard] = field(default_factory=list)
    reviews_skipped: int = 0
    media: set[str] = field(default_factory=set)


@dataclass
class ImportPlan:
    decks: dict[str, ImportedDeck]
    warnings: list[ParseWarning]
    media: dict[str, bytes]
    created: int = 0  # the collection's day 0 (epoch seconds): review cards' due days count from it
    manual_reviews_skipped: int = 0
    orphan_reviews_skipped: int = 0
    deck_ids: dict[str, int] = field(default_factory=dict)  # Anki's id of each deck (by name) in the collection
    reviews: ReviewColumns | None = None  # what every card's `reviews` slices


ANKI_ID_PREFIX = "anki:"  # explicit ids of cards that came from an Anki note


PLAIN_GUID = re.compile(r"[\w.:-]+")


def note_identity(guid: str, ordinal: int) -> str:
    """Our explicit id for card `ordinal` of the note with this GUID (stable across exports)."""
    token = guid if PLAIN_GUID.fullmatch(guid) else hashlib.sha1(guid.encode()).hexdigest()[:16]
    return f"{ANKI_ID_PREFIX}{token}" if ordinal == 0 else f"{ANKI_ID_PREFIX}{token}/{ordinal + 1}"


def plan_import(collection: Collection) -> ImportPlan:
    path = collection.path
    warnings = [ParseWarning(path, 0, message) for message in collection.media_errors]
    plan = ImportPlan({}, warnings, collection.media, collection.created)
    plan.deck_ids = {name: deck_id for deck_id, name in sorted(collection.decks.items(), reverse=True)}
    grouped = _group_reviews(collection)
    plan.reviews, plan.orphan_reviews_skipped = grouped.columns, grouped.orphans
    starts, rated, rows_of, repeats, out_of_range = (grouped.starts, grouped.rated, grouped.rows, grouped.repeats,
                                                     grouped.out_of_range)
    checked_notetypes: set[int] = set()  # each notetype is checked (and warned about) once
    missing_media: set[str] = set()
    for position, card in enumerate(collection.cards):
        note = collection.notes.get(card.note_id)
        notetype = collection.notetypes.get(note.notetype_id) if note else None
        deck_name = collection.decks.get(card.deck_id) or "Default"
        deck = plan.decks.setdefault(deck_name, ImportedDeck(deck_name))
        rows = rows_of[position]
        if note is None or notetype is None:
            plan.warnings.append(ParseWarning(path, 0, f"card {card.id} has no note or notetype in the collection; "
                                                       "skipped"))
            deck.reviews_skipped += rows
            continue
        if notetype.id not in checked_notetypes:
            checked_notetypes.add(notetype.id)
            if not _is_known(notetype):
                plan.warnings.append(ParseWarning(path, 0, f"notetype {notetype.name!r} is not one of Anki's stock "
                                                           "notetypes: its cards were imported as front/back "
                                                           "rendered from its templates"))
        spec, media, *own = _card_spec(card.ord, note, notetype, deck_name)
        if spec is None:
            plan.warnings.append(ParseWarning(path, 0, f"note {note.guid!r} ({notetype.name}) card {card.ord + 1} "
                                                       "renders an empty question; skipped"))
            deck.reviews_skipped += rows
            continue
        for name in media:
            if name in collection.media:
                deck.media.add(name)
            elif name not in missing_media and collection.media_errors == [] and not collection.path.endswith(
                    (".anki2", ".anki21", ".anki21b")):
                missing_media.add(name)
                plan.warnings.append(ParseWarning(path, 0, f"media file {name!r} (note {note.guid!r}) is not in the "
                                                           "package; the card refers to it but it will not show"))
        if position in out_of_range:
            _refuse_times(grouped.columns, starts[position], starts[position] + rated[position], card.id)
        reviews = Reviews(grouped.columns, starts[position], starts[position] + rated[position], position in repeats)
        if rated[position] < rows:
            plan.manual_reviews_skipped += rows - rated[position]
            deck.reviews_skipped += rows - rated[position]
        deck.cards.append(ImportedCard(spec=spec, anki_card_id=card.id, suspended=card.queue == -1,
                                       buried=card.queue in (-2, -3), flagged=bool(card.flags & 7),
                                       reviews=reviews, media=media,
                                       anki_state=(card.type, card.due, card.interval, card.lapses),
                                       own_key=own[0] if own else None, factor=card.factor,
                                       legacy_key=own[1] if len(own) > 1 else None))
    plan.decks = {name: deck for name, deck in plan.decks.items() if deck.cards or deck.reviews_skipped}
    return plan


class _Grouped(NamedTuple):
    columns: ReviewColumns
    starts: list[int]  # by card position in collection.cards: where its rated reviews start in `columns`
    rated: list[int]  # how many rated reviews it has
    rows: list[int]  # how many revlog rows it has (rated and manual)
    repeats: set[int]  # positions of cards with two rated reviews at the same millisecond
    out_of_range: set[int]  # positions of cards with a review time Anki does not write
    orphans: int  # rows of cards the collection no longer has


_EASE_TO_RATING = [0] + [ANKI_EASE_TO_RATING[ease] for ease in (1, 2, 3, 4)]


def _group_reviews(collection: Collection) -> _Grouped:
    """The revlog's rated rows grouped card by card (each card's in time order, as the revlog is
    read), with numpy rather than a Python step per row."""
    import numpy as np

    revlog, n_cards = collection.revlog, len(collection.cards)
    card_ids = np.fromiter((card.id for card in collection.cards), dtype=np.int64, count=n_cards)
    by_id = np.argsort(card_ids, kind="stable")
    found = revlog.card_known.copy()
    position = np.zeros(len(revlog), dtype=np.int64)
    if n_cards:
        slot = np.minimum(np.searchsorted(card_ids[by_id], revlog.card_id), n_cards - 1)
        position = by_id[slot]
        found &= card_ids[position] == revlog.card_id
    else:
        found[:] = False
    rows = np.bincount(position[found], minlength=n_cards)
    rated_rows = np.flatnonzero(found & (revlog.ease > 0))
    rated_rows = rated_rows[np.argsort(position[rated_rows], kind="stable")]  # card by card, time order kept
    rated_position = position[rated_rows]
    rated = np.bincount(rated_position, minlength=n_cards)
    stamp_ms = revlog.stamp_ms[rated_rows]
    columns = ReviewColumns(stamp_ms, np.asarray(_EASE_TO_RATING, dtype=np.int64)[revlog.ease[rated_rows]],
                            revlog.time_ms[rated_rows])
    same_time = (rated_position[1:] == rated_position[:-1]) & (stamp_ms[1:] == stamp_ms[:-1])
    bad_time = (stamp_ms < MIN_STAMP_MS) | (stamp_ms > MAX_STAMP_MS)
    starts = np.concatenate(([0], np.cumsum(rated)[:-1])) if n_cards else np.zeros(0, dtype=np.int64)
    return _Grouped(columns, starts.tolist(), rated.tolist(), rows.tolist(),
                    set(rated_position[1:][same_time].tolist()), set(rated_position[bad_time].tolist()),
                    int(len(revlog) - found.sum()))


def _refuse_times(columns: ReviewColumns, start: int, stop: int, card_id: int) -> None:
    stamps = columns.stamp_ms[start:stop]
    bad = int(stamps.min()) if stamps.min() < MIN_STAMP_MS else int(stamps.max())
    raise ValueError(f"review {bad} of card {card_id} is not a time Anki writes")


def _is_known(notetype: Notetype) -> bool:
    # A renamed copy of a stock notetype is the learner's own: it may have other fields and templates.
    return (notetype.name.casefold() in STOCK_NAMES
            or notetype.name.casefold().startswith(FLASHTRAIN_NOTETYPE_PREFIX))


def is_flashtrain_notetype(notetype: Notetype) -> bool:
    return notetype.name.casefold().startswith(FLASHTRAIN_NOTETYPE_PREFIX) and "Id" in notetype.fields


def _card_spec(ordinal: int, note, notetype: Notetype, deck_name: str):
    """(CardSpec or None, media names[, our key before an export to Anki, or None; the card's key
    from before cloze notes were imported as cloze cards])."""
    fields = dict(zip(notetype.fields, note.fields))
    tags = tuple(dict.fromkeys(note.tags))
    explicit_id = note_identity(note.guid, ordinal)
    if is_flashtrain_notetype(notetype):
        return _flashtrain_card(ordinal, fields, notetype, tags, explicit_id)
    if notetype.is_cloze:
        template = notetype.templates[0] if notetype.templates else ("", "{{cloze:Text}}", "{{cloze:Text}}")
        cloze_number = ordinal + 1
        made = _cloze_card(ordinal, template, fields, tags, note.guid)
        if made is not None:
            return made
    elif ordinal < len(notetype.templates):
        template, cloze_number = notetype.templates[ordinal], 0
    else:
        return None, []
    front, back, media = card_sides(template[1], template[2], fields, cloze_number)
    if not front.strip():
        return None, media
    return CardSpec(question=front, answer=back or " ", tags=tags, explicit_id=explicit_id), media


CLOZE_FIELD = re.compile(r"\{\{[^{}]*?\bcloze:([^{}:]+?)\s*\}\}")


def _cloze_card(ordinal: int, template: tuple[str, str, str], fields: dict[str, str], tags, guid: str):
    """Card `ordinal` of a cloze note as one of our cloze cards: the cloze field as Markdown with
    Anki's numbered gaps, the rest of the back (Back Extra) as its answer; all cards of the note
    share one id. None when the note does not fit (nested gaps, a front showing other fields, as
    Image Occlusion's): it is then imported as front/back rendered from its template."""
    _name, question_format, answer_format = template
    match = CLOZE_FIELD.search(question_format)
    if match is None:
        return None
    name = match.group(1).strip()
    text, media = html_to_markdown(fields.get(name, ""))
    gaps = CLOZE.findall(text)
    if (not gaps or any(gap_number(gap) is None or "{{" in gap for gap in gaps)
            or ordinal + 1 not in cloze_numbers(text)):
        return None
    without_text = dict(fields)
    without_text[name] = ""
    rest_front, extra, more = card_sides(question_format, answer_format, without_text, ordinal + 1)
    if rest_front.strip():
        return None
    spec = CardSpec(question=text, answer=extra, kind="cloze", cloze_index=ordinal + 1, tags=tags,
                    explicit_id=note_identity(guid, 0))
    return spec, list(dict.fromkeys(media + more)), None, "id:" + note_identity(guid, ordinal)


def _flashtrain_card(ordinal: int, fields: dict[str, str], notetype: Notetype, tags, explicit_id):
    """A note of our own notetypes (deck/anki/export.py): fields hold our card, hints, snippet and key."""
    spec, own_key, media = flashtrain_card_spec(ordinal, fields, notetype.is_cloze, tags)
    if spec is None:
        return None, media
    return spec, media, own_key


def flashtrain_card_spec(ordinal: int, fields: dict[str, str], is_cloze: bool, tags: tuple[str, ...]):
    """(CardSpec, our key of the card before the trip, media) for card `ordinal` of such a note."""

    base = _plain(fields.get("Id", ""))
    explicit_id = base[3:] if base.startswith("id:") else None
    hints = tuple(h for h in (html_to_markdown(x)[0] for x in re.split(r"<br\s*/?>", fields.get("Hints", ""))) if h)
    snippet = _plain(fields.get("Snippet", "")) or None
    common = dict(tags=tags, explicit_id=explicit_id, hints=hints, snippet=snippet)
    if is_cloze:
        text, media = html_to_markdown(fields.get("Text", ""))
        extra, more = html_to_markdown(fields.get("Back Extra", ""))
        text = _plain_gaps_if_in_order(text)
        spec = CardSpec(question=text, answer=extra, kind="cloze", cloze_index=ordinal + 1, **common)
        own_key = f"{base}#c{ordinal + 1}" if base else None
    else:
        front, media = html_to_markdown(fields.get("Front", ""))
        back, more = html_to_markdown(fields.get("Back", ""))
        spec = CardSpec(question=front, answer=back or " ", kind="reversed" if ordinal == 1 else "basic", **common)
        own_key = (base + ("#r" if ordinal == 1 else "")) if base else None
    if not spec.question.strip():
        return None, None, media + more
    return spec, own_key, media + more


OUR_GAPS = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.DOTALL)


def _plain_gaps_if_in_order(text: str) -> str:
    """Our export numbers plain `{{…}}` gaps c1, c2, … in order: such a note reads back as it was
    written; one with other numbers (gaps grouped into one card) keeps Anki's numbering."""
    numbers = [int(match.group(1)) for match in OUR_GAPS.finditer(text)]
    if numbers != list(range(1, len(numbers) + 1)):
        return text
    return OUR_GAPS.sub(lambda m: "{{" + m.group(2) + "}}", text)


def _plain(value: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", value)).strip()
