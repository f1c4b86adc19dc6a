"""Writing an `.apkg` that Anki desktop, AnkiDroid and AnkiMobile import, in the legacy layout.

The legacy layout (schema 11 `collection.anki21`, JSON media map, media stored as they are) is the
one every current Anki client reads. Our cards travel as notes of three flashtrain notetypes whose
extra fields keep what Anki has no place for: `Hints` (one per line, shown on the front behind
Anki's hint link), `Snippet` (the code snippet id) and `Id` (the note's identity in flashtrain, so
that the phone round trip lands on the same cards). Markdown becomes HTML, math becomes MathJax,
code blocks `<pre><code>`.

Identity: a note's GUID, note id and card ids are hashes of the deck name and the note's key, so the
same card exported twice has the same GUID and Anki updates it instead of adding a duplicate.
Each review becomes a revlog row whose id is the review time in ms (bumped by 1 ms when two rows
would share an id); our 1–5 rating maps to Anki's ease as RATING_TO_EASE.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flashtrain.deck.anki.markup import markdown_to_html

# Our five grades onto Anki's four eases: 3 ("okay") and 4 ("good") are both Anki's Good.
RATING_TO_EASE = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4}
BASIC, REVERSED, CLOZE = "flashtrain Basic", "flashtrain Basic+Reverse", "flashtrain Cloze"
NOTETYPE_IDS = {BASIC: 1733000000001, REVERSED: 1733000000002, CLOZE: 1733000000003}
EXTRA_FIELDS = ("Hints", "Snippet", "Id")
MEDIA_REFERENCE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)|\[sound:([^\]]+)\]")
CSS = (".card { font-family: arial; font-size: 20px; text-align: center; color: black; background-color: white; }\n"
       ".cloze { font-weight: bold; color: blue; }\n.nightMode .cloze { color: lightblue; }\n"
       "pre { text-align: left; }\n.snippet { font-size: 14px; color: grey; }")
SNIPPET_LINE = "{{#Snippet}}<div class=snippet>code: {{Snippet}}</div>{{/Snippet}}"
HINTS_LINE = "{{#Hints}}<br>{{hint:Hints}}{{/Hints}}"


@dataclass
class ExportReview:
    reviewed_at: datetime
    rating: int
    duration_ms: int | None
    phase_before: str  # new | learning | review | relearning
    interval_before: timedelta | None
    interval_after: timedelta | None
    cram: bool = False


@dataclass
class ExportCard:
    deck: str
    key: str
    kind: str  # basic | reversed | cloze
    cloze_index: int
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    snippet: str | None = None
    suspended: bool = False
    buried: bool = False
    flagged: bool = False
    phase: str = "new"
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0
    stability: float | None = None
    difficulty: float | None = None
    reviews: list[ExportReview] = field(default_factory=list)


@dataclass
class ExportSummary:
    notes: int = 0
    cards: int = 0
    reviews: int = 0
    media: int = 0
    missing_media: list[str] = field(default_factory=list)


def stable_int(*parts: str, bits: int = 52) -> int:
    digest = hashlib.sha1("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (1 << bits) + 1


def stable_guid(deck: str, note_key: str) -> str:
    """A 10-character GUID for the note; stable as long as the deck and the note's key are."""
    digest = hashlib.sha1(f"flashtrain\x00{deck}\x00{note_key}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    number = int.from_bytes(digest[:8], "big")
    return "".join(alphabet[(number >> (6 * i)) & 63] for i in range(10))


def note_key(card: ExportCard) -> str:
    """The key of the note a card belongs to: a reversed twin and cloze siblings share it."""
    if card.kind == "reversed":
        return card.key.removesuffix("#r")
    if card.kind == "cloze":
        return card.key.rsplit("#c", 1)[0]
    return card.key


def anki_cloze_text(text: str) -> str:
    """Our `{{answer::hint}}` gaps numbered in order as Anki's `{{c1::answer::hint}}` (a note whose
    gaps carry Anki's numbers already keeps them)."""
    from flashtrain.deck.markdown_format import CLOZE, gap_number

    if any(gap_number(gap) is not None for gap in CLOZE.findall(text)):
        return text
    counter = 0

    def numbered(match: re.Match) -> str:
        nonlocal counter
        counter += 1
        return "{{c%d::%s}}" % (counter, match.group(1))

    return CLOZE.sub(numbered, text)


def note_fields(notetype: str, first: ExportCard) -> list[str]:
    """The field values (HTML) of the note `first` leads; importing compares against these."""
    extras = ["<br>".join(markdown_to_html(h) for h in first.hints), first.snippet or "", note_key(first)]
    if notetype == CLOZE:
        return [cloze_html(first.question), markdown_to_html(first.answer.strip())] + extras
    return [markdown_to_html(first.question), markdown_to_html(first.answer)] + extras


def cloze_html(question: str) -> str:
    """Our cloze Markdown as the HTML of an Anki Cloze field (every export writes clozes this way).

    The gaps are numbered before rendering: numbering after could meet a gap split by a tag."""
    return markdown_to_html(anki_cloze_text(question))


def media_references(text: str) -> list[str]:
    from urllib.parse import unquote

    return [unquote(a or b) for a, b in MEDIA_REFERENCE.findall(text) if "://" not in (a or b)]


def write_apkg(cards: list[ExportCard], media: dict[str, bytes], out: Path, now: datetime,
               notetype_names: dict[str, str] | None = None) -> ExportSummary:
    """Write `cards` (and the media they refer to) as a legacy-layout .apkg at `out`.

    `notetype_names` renames our notetypes (the import benchmark writes a package of plain "Basic"
    notes, as a learner's own Anki collection would have)."""
    summary = ExportSummary()
    with tempfile.TemporaryDirectory(prefix="flashtrain-apkg-") as folder:
        db_path = Path(folder) / "collection.anki21"
        db = sqlite3.connect(db_path)
        try:
            created = _create_schema(db, now)
            _write_content(db, cards, created, now, summary, notetype_names or {})
            db.commit()
        finally:
            db.close()
        wanted = list(dict.fromkeys(name for card in cards for name in
                                    media_references(card.question) + media_references(card.answer)))
        present = [name for name in wanted if name in media]
        summary.missing_media = [name for name in wanted if name not in media]
        summary.media = len(present)
        partial = out.with_name(out.name + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(db_path, "collection.anki21")
            archive.writestr("media", json.dumps({str(i): name for i, name in enumerate(present)}))
            for index, name in enumerate(present):
                archive.writestr(str(index), media[name])
        partial.replace(out)
    return summary


def _create_schema(db: sqlite3.Connection, now: datetime) -> int:
    db.executescript(SCHEMA11)
    created = int(datetime(2006, 1, 1, 4, tzinfo=timezone.utc).timestamp())
    return created


def _deck_tree(names: set[str]) -> dict[str, int]:
    full: set[str] = set()
    for name in names:
        parts = name.split("::")
        full.update("::".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {name: stable_int("deck", name, bits=40) + 1 for name in sorted(full)}


def _write_content(db: sqlite3.Connection, cards: list[ExportCard], created: int, now: datetime,
                   summary: ExportSummary, notetype_names: dict[str, str]) -> None:
    mod = int(now.timestamp())
    decks = _deck_tree({card.deck for card in cards})
    groups: dict[tuple[str, str], list[ExportCard]] = {}
    for card in cards:
        groups.setdefault((card.deck, note_key(card)), []).append(card)
    notes, anki_cards, revlog = [], [], []
    used_revlog_ids: set[int] = set()
    position = 0
    for (deck, key), members in groups.items():
        kinds = {card.kind for card in members}
        notetype = CLOZE if "cloze" in kinds else REVERSED if "reversed" in kinds else BASIC
        first = next((c for c in members if c.kind != "reversed"), members[0])
        if notetype == CLOZE:
            first = min(members, key=lambda c: c.cloze_index)
        fields = note_fields(notetype, first)
        guid = stable_guid(deck, key)
        note_id = stable_int("note", guid)
        tags = " ".join(dict.fromkeys(tag.replace(" ", "_") for tag in first.tags))
        sort_field = re.sub(r"<[^>]+>", "", fields[0])[:200]
        checksum = int(hashlib.sha1(sort_field.encode()).hexdigest()[:8], 16)
        notes.append((note_id, guid, NOTETYPE_IDS[notetype], mod, -1, f" {tags} " if tags else "",
                      "\x1f".join(fields), sort_field, checksum, 0, ""))
        summary.notes += 1
        for card in members:
            ordinal = card.cloze_index - 1 if card.kind == "cloze" else (1 if card.kind == "reversed" else 0)
            card_id = stable_int("card", guid, str(ordinal))
            position += 1
            anki_cards.append(_card_row(card, card_id, note_id, decks[deck], ordinal, position, created, mod))
            summary.cards += 1
            for review in sorted(card.reviews, key=lambda r: r.reviewed_at):
                revlog_id = int(review.reviewed_at.timestamp() * 1000)
                while revlog_id in used_revlog_ids:
                    revlog_id += 1
                used_revlog_ids.add(revlog_id)
                revlog.append(_revlog_row(review, revlog_id, card_id))
                summary.reviews += 1
    db.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)", notes)
    db.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", anki_cards)
    db.executemany("INSERT INTO revlog VALUES (?,?,?,?,?,?,?,?,?)", revlog)
    db.execute("INSERT INTO col VALUES (1,?,?,?,11,0,0,0,?,?,?,?,?)",
               (created, mod * 1000, mod * 1000, json.dumps(_col_conf()), json.dumps(_notetypes(mod, notetype_names)),
                json.dumps(_decks_json(decks, mod)), json.dumps(_dconf()), "{}"))


def _days(delta: timedelta | None) -> int:
    """Anki's interval: days when at least a day, else negative seconds."""
    if delta is None:
        return 0
    seconds = int(delta.total_seconds())
    return max(round(seconds / 86400), 1) if seconds >= 86400 else -max(seconds, 1)


def _revlog_row(review: ExportReview, revlog_id: int, card_id: int) -> tuple:
    revlog_type = {"new": 0, "learning": 0, "review": 1, "relearning": 2}.get(review.phase_before, 1)
    if review.cram:
        revlog_type = 3
    return (revlog_id, card_id, -1, RATING_TO_EASE[review.rating], _days(review.interval_after),
            _days(review.interval_before), 2500, max(min(review.duration_ms or 0, 60_000 * 60), 0), revlog_type)


def _card_row(card: ExportCard, card_id: int, note_id: int, deck_id: int, ordinal: int, position: int,
              created: int, mod: int) -> tuple:
    card_type, queue, due, interval, left = 0, 0, position, 0, 0
    data = {}
    if card.phase in ("learning", "relearning") and card.due is not None:
        card_type, queue, due, left = (1 if card.phase == "learning" else 3), 1, int(card.due.timestamp()), 1001
        if card.phase == "relearning":
            interval = 1
    elif card.phase == "review" and card.due is not None:
        card_type, queue = 2, 2
        due = (card.due - datetime.fromtimestamp(created, timezone.utc)).days
        if card.last_review is not None:
            interval = max((card.due - card.last_review).days, 1)
    if card.stability and card.difficulty:
        # Anki's FSRS reads its memory state from here (difficulty 1..10 in both models).
        data = {"s": round(card.stability, 4), "d": round(min(max(card.difficulty, 1.0), 10.0), 4)}
    if card.suspended:
        queue = -1
    elif card.buried:
        queue = -3
    return (card_id, note_id, deck_id, ordinal, mod, -1, card_type, queue, due, interval,
            2500 if card_type else 0, card.reps, card.lapses, left, 0, 0, 1 if card.flagged else 0,
            json.dumps(data) if data else "{}")


def _field(name: str, ordinal: int) -> dict:
    return {"name": name, "ord": ordinal, "sticky": False, "rtl": False, "font": "Arial", "size": 20, "media": []}


def _template(name: str, ordinal: int, question: str, answer: str) -> dict:
    return {"name": name, "ord": ordinal, "qfmt": question, "afmt": answer, "bqfmt": "", "bafmt": "", "did": None,
            "bfont": "", "bsize": 0}


def _notetypes(mod: int, names: dict[str, str]) -> dict:
    common = {"mod": mod, "usn": -1, "sortf": 0, "did": None, "css": CSS, "latexPre": LATEX_PRE,
              "latexPost": "\\end{document}", "latexsvg": False, "tags": [], "vers": []}
    front = "{{Front}}" + HINTS_LINE
    back_of_front = "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}" + SNIPPET_LINE
    basic_fields = [_field(name, i) for i, name in enumerate(("Front", "Back") + EXTRA_FIELDS)]
    out = {
        str(NOTETYPE_IDS[BASIC]): dict(common, id=NOTETYPE_IDS[BASIC], name=BASIC, type=0, flds=basic_fields,
                                       tmpls=[_template("Card 1", 0, front, back_of_front)], req=[[0, "any", [0]]]),
        str(NOTETYPE_IDS[REVERSED]): dict(
            common, id=NOTETYPE_IDS[REVERSED], name=REVERSED, type=0, flds=basic_fields,
            tmpls=[_template("Card 1", 0, front, back_of_front),
                   _template("Card 2", 1, "{{Back}}" + HINTS_LINE,
                             "{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}" + SNIPPET_LINE)],
            req=[[0, "any", [0]], [1, "any", [1]]]),
        str(NOTETYPE_IDS[CLOZE]): dict(
            common, id=NOTETYPE_IDS[CLOZE], name=CLOZE, type=1,
            flds=[_field(name, i) for i, name in enumerate(("Text", "Back Extra") + EXTRA_FIELDS)],
            tmpls=[_template("Cloze", 0, "{{cloze:Text}}" + HINTS_LINE,
                             "{{cloze:Text}}<br>\n{{Back Extra}}" + SNIPPET_LINE)],
            req=[[0, "any", [0]]]),
    }
    for notetype in out.values():
        notetype["name"] = names.get(notetype["name"], notetype["name"])
    return out


def _decks_json(decks: dict[str, int], mod: int) -> dict:
    out = {"1": _deck(1, "Default", mod)}
    for name, deck_id in decks.items():
        out[str(deck_id)] = _deck(deck_id, name, mod)
    return out


def _deck(deck_id: int, name: str, mod: int) -> dict:
    return {"id": deck_id, "mod": mod, "name": name, "usn": -1, "lrnToday": [0, 0], "revToday": [0, 0],
            "newToday": [0, 0], "timeToday": [0, 0], "collapsed": False, "browserCollapsed": False, "desc": "",
            "dyn": 0, "conf": 1, "extendNew": 0, "extendRev": 0}


def _col_conf() -> dict:
    return {"curDeck": 1, "activeDecks": [1], "nextPos": 1, "schedVer": 2, "sched2021": True, "sortType": "noteFld",
            "sortBackwards": False, "addToCur": True, "dueCounts": True, "estTimes": True, "collapseTime": 1200,
            "timeLim": 0, "newSpread": 0, "dayLearnFirst": False}


def _dconf() -> dict:
    return {"1": {"id": 1, "mod": 0, "name": "Default", "usn": 0, "maxTaken": 60, "autoplay": True, "timer": 0,
                  "replayq": True, "dyn": False,
                  "new": {"bury": False, "delays": [1.0, 10.0], "initialFactor": 2500, "ints": [1, 4, 0], "order": 1,
                          "perDay": 20},
                  "rev": {"bury": False, "ease4": 1.3, "ivlFct": 1.0, "maxIvl": 36500, "perDay": 200,
                          "hardFactor": 1.2},
                  "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0}}}


LATEX_PRE = ("\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n"
             "\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n")

# Anki's schema 11 (rslib/src/storage/schema11.sql), the layout every Anki client imports.
SCHEMA11 = """
CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
  ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL, conf text NOT NULL,
  models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL);
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
  usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL, csum integer NOT NULL,
  flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL, due integer NOT NULL,
  ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL, lapses integer NOT NULL,
  left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
  ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL,
  type integer NOT NULL);
CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
"""
