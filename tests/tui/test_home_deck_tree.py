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
