"""Two machines on one PostgreSQL store, each with its own engine and connections: an import on
one is seen by the other's next pick without a restart."""

from __future__ import annotations

import pytest

from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, Deck
from flashtrain.study.queue import QueueSpec
from flashtrain.study.service import StudyService


def add_cards(store, deck_name: str, n: int) -> list[int]:
    with store.sessions.begin() as s:
        deck = Deck(name=deck_name)
        s.add(deck)
        s.flush()
        cards = [Card(deck_id=deck.id, key=f"{deck_name}-{i}", question=f"{deck_name} {i}?", answer="a",
                      content_hash="h") for i in range(n)]
        s.add_all(cards)
        s.flush()
        return [card.id for card in cards]


@pytest.fixture
def server_store(pg_databases):
    store = open_store(pg_databases.fresh("machines"))
    yield store
    store.close()


def test_an_import_on_one_machine_is_picked_next_on_the_other(server_store, tmp_path):
    (only,) = add_cards(server_store, "Laptop", 1)
    laptop = StudyService(server_store)
    assert laptop.next_card(QueueSpec()).card_id == only
    laptop.rate(only, 5)
    assert laptop.next_card(QueueSpec()) is None  # nothing left today
    deck = tmp_path / "imported.md"
    deck.write_text("---\nname: From the desktop\n---\nQ: What does Adam's beta2 average?\nA: Squared gradients.\n")
    desktop = open_store(server_store.location)  # another process's own engine and connections
    try:
        from flashtrain.store.sync import import_file

        import_file(desktop, deck)
    finally:
        desktop.close()
    picked = laptop.next_card(QueueSpec())
    assert picked is not None and picked.deck_name == "From the desktop"
