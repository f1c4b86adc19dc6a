"""The home screen lists sub-decks (A::B, as Anki packages bring them) under their parent deck."""

from __future__ import annotations

from textual.widgets import DataTable

from tui_fixtures import running

from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, Deck


def add_deck(session, name: str) -> None:
    deck = Deck(name=name, description="", tags=[], origin="imported")
    session.add(deck)
    session.flush()
    session.add(Card(deck_id=deck.id, key=f"k-{name}", kind="basic", cloze_index=0, question=f"{name}?",
                     answer="yes", tags=[], hints=[], content_hash="h"))


async def test_sub_decks_are_indented_under_their_parent(tmp_path):
    store = open_store(tmp_path / "tree.db")
    with store.sessions.begin() as s:
        for name in ("Languages::French", "Math", "Languages", "Languages A"):
            add_deck(s, name)
    async with running(store) as (app, pilot):
        table = app.screen.query_one("#decks", DataTable)
        rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert rows[1:] == ["Languages", "  French", "Languages A", "Math"]
    store.close()


async def test_a_parent_known_only_as_a_prefix_is_a_row_that_studies_its_sub_decks(tmp_path):
    store = open_store(tmp_path / "prefix.db")
    with store.sessions.begin() as s:
        for name in ("Languages::French", "Languages::German", "Math"):
            add_deck(s, name)
        ids = dict(s.query(Deck.name, Deck.id).all())
    async with running(store) as (app, pilot):
        table = app.screen.query_one("#decks", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [str(r[0]) for r in rows[1:]] == ["[dim]Languages[/dim]", "  French", "  German", "Math"]
        assert [str(r[4]) for r in rows[1:]] == ["2", "1", "1", "1"]  # the parent sums its sub-decks
        started = []
        app.start_session = lambda spec: started.append(spec)
        table.move_cursor(row=1)
        await pilot.press("enter")
        await pilot.pause()
        table.move_cursor(row=2)
        await pilot.press("enter")
        await pilot.pause()
        assert [spec.deck_ids for spec in started] == [
            tuple(sorted((ids["Languages::French"], ids["Languages::German"]))), (ids["Languages::French"],)]
        assert app.screen.selected_deck_id() == ids["Languages::French"]
    store.close()
