"""Add and edit cards (headless). The rule that keeps file and store in step:

- A card imported from one of our Markdown deck files is written back to that file (only its own
  lines change; `flashtrain.deck.writeback`), then the file is re-imported, so the store reads
  exactly what the file says. The card keeps its id and its whole review history, even when its
  question changes, because the store's row is re-keyed to the new identity before the re-import.
- A new card in a deck that comes from exactly one Markdown file is appended to that file.
- Cards of flashtrain's bundled decks (source path "bundled:<file>") are changed in the store only:
  those files belong to the install (the repo's cards/ or site-packages), and bundled decks are
  imported once, on first use, and never re-imported, so nothing overwrites the edit. Adding to or
  deleting from a bundled deck likewise never touches its file.
- Cards with no source file, or from formats we do not write (CSV, Anki text, ...), or whose file
  cannot be written, are changed in the store only and marked `edited_in_app_at`: a later import of
  a changed file keeps the edit with a warning, unless the learner imports with --prefer-file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from flashtrain.deck.markdown_format import CLOZE, cloze_numbers, parse_markdown_deck
from flashtrain.deck.model import CardSpec, DeckError, split_tags
from flashtrain.deck.writeback import WritebackError, append_note, note_key, replace_card
from flashtrain.store.models import Card, Deck, SourceFile, utcnow


class EditError(ValueError):
    """The edit cannot be saved; nothing was written. The message says why, in one line."""


DUPLICATE = "this deck already has a card with this question (or id)"


@dataclass(frozen=True)
class CardDraft:
    deck_id: int
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    snippet_id: str | None = None
    explicit_id: str | None = None
    kind: str = "basic"  # basic | cloze | reversed (the note's kind as stored on the edited card)


@dataclass(frozen=True)
class SaveResult:
    card_id: int  # 0 for a new card kept in the journal (it has no id until it is written)
    file: Path | None  # the deck file written, if any
    message: str
    kept_in: Path | None = None  # the journal, when the store could not take the change (written on next open)


def parse_tags(text: str) -> tuple[str, ...]:
    return split_tags(text)


def parse_hints(text: str) -> tuple[str, ...]:
    return tuple(" ".join(line.split()) for line in text.splitlines() if line.strip())


# -- reading ------------------------------------------------------------------------------------
def load_draft(store, card_id: int) -> tuple[CardDraft, str]:
    """The card as a draft, plus a line describing where saving will write."""
    with store.sessions() as session:
        card = session.get(Card, card_id)
        if card is None:
            raise EditError(f"card {card_id} does not exist")
        draft = CardDraft(deck_id=card.deck_id, question=card.question, answer=card.answer, tags=tuple(card.tags),
                          hints=tuple(card.hints), snippet_id=card.snippet_id, explicit_id=card.explicit_id,
                          kind=card.kind)
        source = session.get(SourceFile, card.source_id) if card.source_id else None
        return draft, _where(source, card.source_line)


def deck_target(store, deck_id: int) -> str:
    with store.sessions() as session:
        source = _single_markdown_source(session, deck_id)
        return _where(source, 0, adding=True)


BUNDLED_NOTE = "the deck file that ships with flashtrain is never changed (bundled decks are imported once, so yours stays)"


def is_bundled(source: SourceFile | None) -> bool:
    from flashtrain.services.imports import BUNDLED_PREFIX

    return source is not None and source.path.startswith(BUNDLED_PREFIX)


def _writable_markdown(source: SourceFile | None) -> Path | None:
    """The deck file an edit is written back to, or None when the store alone is changed."""
    if source is None or source.format != "markdown" or is_bundled(source):
        return None
    return source_file_path(source)


def _can_write(path: Path | None) -> bool:
    return path is not None and path.is_file() and os.access(path, os.W_OK)


def _where(source: SourceFile | None, line: int, adding: bool = False) -> str:
    if is_bundled(source):
        name = source.path.split(":", 1)[1]
        action = "Added to" if adding else "Saved in"
        return f"Bundled deck ({name}): {action.lower()} your store only; {BUNDLED_NOTE}."
    if source is None:
        return "Saved in the store only (this deck has no single Markdown file)." if adding else \
            "Saved in the store only (this card has no deck file)."
    path = source_file_path(source)
    if source.format != "markdown":
        return (f"From {path} ({source.format}): saved in the store only; a later import of that file keeps "
                "this edit (import --prefer-file takes the file's version).")
    if adding:
        return f"Appended to {path}."
    return f"Written back to {path}:{line} (only this card's lines change)."


def source_file_path(source: SourceFile) -> Path:
    """The file of a non-bundled source (bundled sources are never written, so never resolved here)."""
    return Path(source.path)


def _single_markdown_source(session, deck_id: int) -> SourceFile | None:
    sources = list(session.scalars(select(SourceFile).where(SourceFile.deck_id == deck_id)))
    if len(sources) == 1 and sources[0].format == "markdown":
        return sources[0]
    return None


# -- building card specs --------------------------------------------------------------------------
def note_specs(draft: CardDraft, reversed_twin: bool) -> list[CardSpec]:
    """The CardSpecs of the draft's note, as the deck parser would produce them."""
    question, answer = draft.question.strip(), draft.answer.strip()
    if not question:
        raise EditError("the question is empty")
    common = dict(tags=draft.tags, hints=draft.hints, explicit_id=draft.explicit_id or None,
                  snippet=draft.snippet_id or None)
    if draft.kind == "cloze" or (draft.kind == "basic" and not answer and CLOZE.search(question)):
        if not CLOZE.search(question):
            raise EditError("a cloze card needs at least one {{deletion}}")
        extra = answer if draft.kind == "cloze" else ""  # a cloze card's answer is extra shown on its back
        return [CardSpec(question=question, answer=extra, kind="cloze", cloze_index=i, **common)
                for i in cloze_numbers(question)]
    if not answer:
        raise EditError("the answer is empty")
    cards = [CardSpec(question=question, answer=answer, **common)]
    if reversed_twin or draft.kind == "reversed":
        cards.append(CardSpec(question=question, answer=answer, kind="reversed", **common))
    return cards


def _siblings(session, card: Card) -> list[Card]:
    """Every stored card of the same note: cloze siblings, or the basic card and its reversed twin."""
    base = note_key(card.key)
    rows = session.scalars(select(Card).where(Card.deck_id == card.deck_id, Card.retired_at.is_(None)))
    return [row for row in rows if note_key(row.key) == base and row.source_id == card.source_id]


def _spec_for_row(row: Card, specs: list[CardSpec]) -> CardSpec | None:
    for spec in specs:
        if spec.kind == row.kind and (row.kind != "cloze" or spec.cloze_index == row.cloze_index):
            return spec
    return None


def _rekey(session, deck_id: int, rows: list[Card], specs: list[CardSpec]) -> None:
    """Give the note's rows their new identity so the re-import updates them instead of retiring them."""
    taken = {key for key in session.scalars(select(Card.key).where(Card.deck_id == deck_id))}
    own = {row.key for row in rows}
    planned = {}
    for row in rows:
        spec = _spec_for_row(row, specs)
        if spec is None:
            continue  # e.g. a cloze gap that was removed: the re-import retires it, history kept
        if spec.key in taken - own:
            raise EditError("another card in this deck already has this question (or id); give this one an id")
        planned[row.id] = spec.key
    # two steps so that swapping keys inside one note never trips the unique constraint
    for row in rows:
        if row.id in planned:
            row.key = f"tmp:{row.id}:{row.key}"
    session.flush()
    for row in rows:
        if row.id in planned:
            row.key = planned[row.id]
    session.flush()


# -- saving ---------------------------------------------------------------------------------------
def save_card(store, draft: CardDraft, card_id: int | None = None) -> SaveResult:
    """Save an edit (card_id given) or a new card. Raises EditError with nothing written.

    Waits out a busy store; when the store cannot take the change (disk full, read-only, server
    gone) it is kept in the journal and saved on the next open (services/kept_writes.py)."""
    return _or_keep(store, lambda: _save_card(store, draft, card_id), "card_edit", "edit",
                    card_id=card_id, draft=asdict(draft))


def retire_card(store, card_id: int) -> SaveResult:
    """'Delete' a card: it leaves study and its file, its review history stays in the store.

    A card from one of our Markdown files is removed from the file (its whole note), then the file is
    re-imported, which retires it; so a later re-import cannot bring it back. Other cards are retired
    in the store only. A store that cannot take it keeps it in the journal, as save_card does.
    """
    return _or_keep(store, lambda: _retire_card(store, card_id), "card_retire", "deletion", card_id=card_id)


def _or_keep(store, work, kind: str, what: str, **fields) -> SaveResult:
    from flashtrain.services import kept_writes
    from flashtrain.store.faults import StoreUnavailable, retry_while_busy

    try:
        return retry_while_busy(work, where=store.shown)
    except StoreUnavailable as trouble:
        kept = kept_writes.keep(store, kind, what, trouble, **fields)
        return SaveResult(fields.get("card_id") or 0, None, kept.notice, kept_in=kept.kept_in)


def replay_edit(store, entry: dict) -> None:
    """Write a journaled edit or deletion (kept_writes.replay). A new card already in the store (the
    entry was written before a crash) counts as written; any other refusal raises ValueError."""
    try:
        if entry["kind"] == "card_retire":
            _retire_card(store, int(entry["card_id"]))
            return
        fields = dict(entry["draft"])
        draft = CardDraft(**{**fields, "tags": tuple(fields.get("tags") or ()),
                             "hints": tuple(fields.get("hints") or ())})
        card_id = entry.get("card_id")
        _save_card(store, draft, None if card_id is None else int(card_id))
    except EditError as error:
        if entry.get("card_id") is None and DUPLICATE in str(error):
            return
        raise ValueError(str(error)) from error


def _save_card(store, draft: CardDraft, card_id: int | None) -> SaveResult:
    if card_id is None:
        return _add(store, draft)
    with store.sessions() as session:
        card = session.get(Card, card_id)
        if card is None:
            raise EditError(f"card {card_id} does not exist")
        siblings = _siblings(session, card)
        has_twin = any(row.kind == "reversed" for row in siblings)
        if card.kind == "reversed":
            draft = CardDraft(**{**draft.__dict__, "kind": "basic"})
        specs = note_specs(draft, reversed_twin=has_twin)
        source = session.get(SourceFile, card.source_id) if card.source_id else None
        path = _writable_markdown(source)
        if draft.deck_id != card.deck_id:
            raise EditError("moving a card to another deck is not supported; add it there and retire this one")
        if _can_write(path):
            return _save_to_file(store, card_id, card, source, path, specs)
        bundled = is_bundled(source)
    if bundled:
        return _save_in_store(store, card_id, specs, note=f"Saved in your store; {BUNDLED_NOTE}.")
    return _save_in_store(store, card_id, specs, note=None if path is None else
                          f"{path} could not be written, so the edit is saved in the store only")


def _read(path: Path) -> tuple[str, bool]:
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig"), bom
    except UnicodeDecodeError as error:
        raise EditError(f"{path}: not UTF-8 text, not written") from error


def _write_atomic(path: Path, text: str, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _validate(text: str, path: Path, deck_name: str) -> None:
    try:
        parse_markdown_deck(text, path, deck_name)
    except DeckError as error:
        raise EditError(f"the edited file would not import: {error}") from error


def _write_and_reimport(store, path: Path, new_text: str, bom: bool, source: SourceFile, deck_name: str,
                        old_text: str | None = None) -> None:
    """Write the (validated) file, then re-import it so the store reads exactly what the file says.

    The store is asked for its write lock first (a locked, read-only or unreachable store says so
    before the file changes). If the re-import still fails because of the store (it filled up
    meanwhile), StoreUnavailable is raised so the edit is journaled; with `old_text` the file gets it
    back first (adding or removing a note: nothing else was written, and the replay writes it again)."""
    from flashtrain.store.faults import StoreUnavailable, kind_of, REASONS
    from flashtrain.services.imports import import_file

    with store.write():
        pass  # SQLite: BEGIN IMMEDIATE takes the write lock; PostgreSQL: the server answers
    _write_atomic(path, new_text, bom)
    report = import_file(store, path, fmt=source.format, deck_name=deck_name, source_key=source.path)
    if not report.error:
        return
    if STORE_REFUSED in report.error:
        if old_text is not None:
            _write_atomic(path, old_text, bom)
        reason = report.error.split(STORE_REFUSED, 1)[1].strip()
        kind = kind_of(Exception(reason)) or "gone"
        raise StoreUnavailable(kind, f"{store.shown}: {REASONS[kind]} ({' '.join(reason.split())})")
    raise EditError(f"written to {path}, but the re-import failed: {report.error}")


STORE_REFUSED = "the store refused the import:"  # services/imports.import_file's words for a store failure


def _save_to_file(store, card_id: int, card: Card, source: SourceFile, path: Path, specs: list[CardSpec]) -> SaveResult:
    text, bom = _read(path)
    try:
        new_text = replace_card(text, specs, key=card.key, explicit_id=card.explicit_id, line=card.source_line,
                                path=str(path))
    except WritebackError as error:
        raise EditError(str(error)) from error
    with store.sessions() as session:
        deck_name = session.get(Deck, card.deck_id).name
    _validate(new_text, path, deck_name)
    with store.sessions.begin() as session:
        row = session.get(Card, card_id)
        siblings = _siblings(session, row)
        _rekey(session, row.deck_id, siblings, specs)
        for sibling in siblings:  # the file now holds this note as the learner wants it
            sibling.edited_in_app_at = None
    _write_and_reimport(store, path, new_text, bom, source, deck_name)
    return SaveResult(card_id, path, f"Saved; {path.name} updated (only this card's lines).")


def _save_in_store(store, card_id: int, specs: list[CardSpec], note: str | None) -> SaveResult:
    now = utcnow()
    with store.sessions.begin() as session:
        card = session.get(Card, card_id)
        rows = _siblings(session, card)
        _rekey(session, card.deck_id, rows, specs)
        for row in rows:
            spec = _spec_for_row(row, specs)
            if spec is None:
                row.retired_at = now
                continue
            row.question, row.answer = spec.question, spec.answer
            row.tags, row.hints = list(spec.tags), list(spec.hints)
            row.snippet_id, row.explicit_id = spec.snippet, spec.explicit_id
            row.content_hash, row.updated_at = spec.content_hash, now
            row.edited_in_app_at = now
        present = {(row.kind, row.cloze_index) for row in rows}
        for spec in specs:  # a cloze gap added in the edit becomes a new card
            if (spec.kind, spec.cloze_index) not in present:
                added = _new_row(spec, card.deck_id, card.source_id, now)
                added.edited_in_app_at = now
                session.add(added)
    return SaveResult(card_id, None, note or "Saved in the store.")


def _new_row(spec: CardSpec, deck_id: int, source_id: int | None, now) -> Card:
    return Card(deck_id=deck_id, source_id=source_id, source_line=spec.line, key=spec.key, kind=spec.kind,
                cloze_index=spec.cloze_index, explicit_id=spec.explicit_id, question=spec.question,
                answer=spec.answer, tags=list(spec.tags), hints=list(spec.hints), snippet_id=spec.snippet,
                content_hash=spec.content_hash, created_at=now, updated_at=now)


def _add(store, draft: CardDraft) -> SaveResult:
    specs = note_specs(draft, reversed_twin=False)
    with store.sessions() as session:
        deck = session.get(Deck, draft.deck_id)
        if deck is None:
            raise EditError("choose a deck for the new card")
        if session.scalar(select(Card.id).where(Card.deck_id == deck.id, Card.key == specs[0].key)) is not None:
            raise EditError(DUPLICATE)
        source = _single_markdown_source(session, deck.id)
        deck_name = deck.name
    path = _writable_markdown(source)
    if _can_write(path):
        text, bom = _read(path)
        new_text = append_note(text, specs)
        _validate(new_text, path, deck_name)
        _write_and_reimport(store, path, new_text, bom, source, deck_name, old_text=text)
        with store.sessions() as session:
            card_id = session.scalar(select(Card.id).where(Card.deck_id == draft.deck_id, Card.key == specs[0].key))
        return SaveResult(card_id, path, f"Added; appended to {path.name}.")
    now = utcnow()
    with store.sessions.begin() as session:
        rows = [_new_row(spec, draft.deck_id, None, now) for spec in specs]
        session.add_all(rows)
        session.flush()
        card_id = rows[0].id
    if is_bundled(source):
        return SaveResult(card_id, None, f"Added to your store; {BUNDLED_NOTE}.")
    return SaveResult(card_id, None, "Added to the store.")


def _retire_card(store, card_id: int) -> SaveResult:
    from flashtrain.deck.writeback import remove_note

    with store.sessions() as session:
        card = session.get(Card, card_id)
        if card is None:
            raise EditError(f"card {card_id} does not exist")
        source = session.get(SourceFile, card.source_id) if card.source_id else None
        path = _writable_markdown(source)
        deck_name = session.get(Deck, card.deck_id).name
        key, explicit_id, line = card.key, card.explicit_id, card.source_line
    if _can_write(path):
        text, bom = _read(path)
        try:
            new_text = remove_note(text, key=key, explicit_id=explicit_id, line=line, path=str(path))
        except (WritebackError, DeckError) as error:
            raise EditError(str(error)) from error
        _validate(new_text, path, deck_name)
        with store.sessions.begin() as session:  # an earlier app edit must not keep the card alive
            for sibling in _siblings(session, session.get(Card, card_id)):
                sibling.edited_in_app_at = None
        _write_and_reimport(store, path, new_text, bom, source, deck_name, old_text=text)
        return SaveResult(card_id, path, f"Card retired and removed from {path.name}; its history is kept.")
    with store.sessions.begin() as session:
        session.get(Card, card_id).retired_at = utcnow()
    return SaveResult(card_id, None, "Card retired; its history is kept.")
