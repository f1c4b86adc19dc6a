"""The siblings of a card are the other cards of its note, found the same way on both dialects
(PostgreSQL looks a basic note's two keys up exactly and a cloze note's gaps by prefix)."""

from __future__ import annotations

import pytest

from flashtrain.services import siblings
from flashtrain.services import study_db as sdb
from flashtrain.services.imports import import_file
from flashtrain.store.engine import open_store

pytestmark = pytest.mark.both_dialects

DECK = """# Siblings

Q: What does the learning rate scale?
A: The step along the negative gradient.
id: lr
reversed: yes

---

C: Adam keeps {{a first moment}} and {{a second moment}} and {{a step count}}.
id: adam

---

Q: An unrelated card?
A: Yes.
id: lr2

---

Q: A card whose key starts like another note's?
A: It is not its sibling.
id: lr_x
reversed: yes
"""


def test_each_card_finds_exactly_the_other_cards_of_its_note(store_target, tmp_path):
    path = tmp_path / "siblings.md"
    path.write_text(DECK, encoding="utf-8")
    store = open_store(store_target("siblings"))
    try:
        assert import_file(store, path).error is None
        with sdb.reading(store) as db:
            cards = [dict(id=r[0], key=r[1], deck_id=r[2]) for r in db.rows("SELECT id, key, deck_id FROM cards")]
            by_id = {card["id"]: card["key"] for card in cards}
            found = {card["key"]: sorted(by_id[i] for i, _ in siblings.sibling_cards(db, card)) for card in cards}
    finally:
        store.close()
    keys = sorted(found)
    notes = {key: sorted(k for k in keys if k.split("#")[0] == key.split("#")[0] and k != key) for key in keys}
    assert found == notes
    assert len(found) == 8 and found["id:lr"] == ["id:lr#r"] and found["id:lr2"] == []
    assert found["id:adam#c1"] == ["id:adam#c2", "id:adam#c3"]
