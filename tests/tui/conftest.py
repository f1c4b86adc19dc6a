"""Fixtures for the TUI area: a temporary store filled through the ORM (no shared data)."""

from __future__ import annotations


import pytest
from tui_fixtures import NOW, add_card, review_state

from flashtrain.store.engine import open_store
from flashtrain.store.models import Deck


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def filled_store(store_target):
    """Two decks: 'Optimizers' (due, new, leech, suspended, code card) and 'Regularization'."""
    s = open_store(store_target("t"))
    with s.sessions.begin() as session:
        opt = Deck(name="Optimizers", description="Momentum and Adam", origin="bundled", trusted=True)
        reg = Deck(name="Regularization", origin="imported")
        session.add_all([opt, reg])
        session.flush()
        add_card(session, opt, "What does $\\beta_1$ control in Adam?", "The momentum average.",
                 key="id:adam-beta1", explicit_id="adam-beta1", tags=["adam"], state=review_state(5, -1))
        add_card(session, opt, "Why bias correction?", "Because $v_0 = 0$.", tags=["ewa"],
                 state=review_state(2, 3, stability=3.0, last_rating=3))
        add_card(session, opt, "A new card about RMSprop", "Divide by the root mean square.", tags=["rmsprop"])
        add_card(session, opt, "Leechy momentum question", "Velocity.", tags=["momentum"],
                 state=review_state(1, -2, stability=1.0, lapses=9, reps=12, last_rating=1))
        add_card(session, opt, "Suspended card", "Hidden.", suspended=True, state=review_state(3, -1))
        add_card(session, opt, "Write the EWA", "See the snippet.", snippet_id="ewa", hints=["Start at 0"])
        add_card(session, opt, "Retired card", "Gone.", retired=True)
        add_card(session, reg, "What does dropout do?", "Zeroes activations at random.", tags=["dropout"],
                 state=review_state(10, 20, stability=30.0, last_rating=5))
    yield s
    s.close()

