import io
from datetime import timedelta

import pytest
from sqlalchemy import select
from study_factories import START, add_deck, set_state

from flashtrain.store.models import Card, CardState, ReviewLog
from flashtrain.study.plain import run_plain_session
from flashtrain.study.service import QueueSpec

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)


def run(service, keys: str, spec=QueueSpec()):
    out = io.StringIO()
    code = run_plain_session(service, spec, io.StringIO(keys), out)
    return code, out.getvalue()


def test_reveal_rate_and_finish(store, service):
    a, b = add_deck(store, "A", 2)
    with store.sessions.begin() as s:
        s.get(Card, a).hints = ["think of zero"]
    code, text = run(service, "h\n\n4\n\n5\n")
    assert code == 0
    assert "A question 0?" in text and "A answer 0" in text and "Hint: think of zero" in text
    assert "1 Not at all (" in text and "5 Perfectly (" in text  # labels with when each comes back
    assert "[0 done, 2 to go]" in text and "[1 done, 1 to go]" in text
    assert "Nothing more to study now. Reviewed 2 card(s)" in text
    with store.sessions.begin() as s:
        assert [log.rating for log in s.scalars(select(ReviewLog).order_by(ReviewLog.id))] == [4, 5]


def test_undo_and_quit(store, service):
    a, b = add_deck(store, "A", 2)
    code, text = run(service, "\n3\nu\nq\n")
    assert code == 0 and "Undone" in text and "Bye. Reviewed 0 card(s)" in text
    with store.sessions.begin() as s:
        assert s.scalars(select(ReviewLog)).first() is None and s.get(CardState, a) is None


def test_end_of_input_quits_and_bad_keys_are_explained(store, service):
    add_deck(store, "A", 1)
    code, text = run(service, "x\n\n9\n")
    assert code == 0 and "Press Enter to see the answer" in text and "Type 1-5 to rate" in text


def test_leech_is_announced(store, service):
    (card,) = add_deck(store, "A", 1)
    set_state(store, card, stability=10.0, last_review=START - timedelta(days=10), due=START, lapses=7)
    _, text = run(service, "\n1\nq\n")
    assert "leech" in text and "suspended" in text


def test_drill_session_says_schedule_is_unchanged(store, service):
    add_deck(store, "A", 1)
    _, text = run(service, "\n5\n", spec=QueueSpec(mode="cram"))
    assert "drill: schedule unchanged" in text


def test_math_is_plain_unicode_without_markdown_escapes(store, service):
    (card,) = add_deck(store, "A", 1)
    with store.sessions.begin() as s:
        row = s.get(Card, card)
        row.question = "What is $\\|W^{[l]}\\|_F^2$?"
        row.answer = "The sum of squares:\n\n$$\\sum_i w_i^2$$"
        row.hints = ["Think of $W^{[l]}$"]
    _, text = run(service, "h\n\n4\n")
    assert "W^[l]" in text and "Hint: Think of W^[l]" in text
    assert "\\[" not in text and "\\_" not in text and "\u2800" not in text
