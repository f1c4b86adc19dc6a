"""The PostgreSQL server goes away mid-session (issue 11 §3): one clean line naming the server
(password masked), no exception, the rating kept in the journal and written when the server is back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from flashtrain.store.engine import open_store
from flashtrain.store.models import Card, Deck, ReviewLog
from flashtrain.study.service import StudyService


@pytest.fixture
def own_server():
    from pg_server import PostgresServer

    server = PostgresServer.start()  # this test stops it: not the shared one
    server.create_database("ft")
    yield server
    server.remove()


def test_rating_while_the_server_is_down_is_kept_and_written_when_it_is_back(own_server, monkeypatch):
    monkeypatch.setenv("FLASHTRAIN_STORE_WAIT", "2")
    store = open_store(own_server.url("ft"))
    with store.sessions.begin() as s:
        deck = Deck(name="D")
        s.add(deck)
        s.flush()
        s.add_all([Card(deck_id=deck.id, key=f"k{i}", question=f"Q{i}?", answer="A", content_hash="h")
                   for i in range(3)])
    service = StudyService(store)
    first = service.next_card()
    service.rate(first.card_id, 4)
    second = service.next_card()
    own_server.stop(mode="fast")  # the server shuts down; every client connection is cut
    outcome = service.rate_detailed(second.card_id, 3)  # no exception: the rating is kept locally
    assert outcome.journal_path is not None and outcome.log_id == 0
    service.flag(second.card_id)  # a flag is kept the same way
    notices = service.take_notices()
    assert len(notices) == 2
    for notice in notices:
        assert "\n" not in notice and "\t" not in notice and "  " not in notice, repr(notice)
        assert "database server cannot be reached" in notice
        assert f"127.0.0.1:{own_server.port}" in notice and "***" in notice  # names the server ...
        assert own_server.password not in notice  # ... never its password
    own_server.restart()
    written, failed = service.replay_journal()
    assert (written, failed) == (2, 0)
    with store.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog)) == 2
        assert s.get(Card, second.card_id).flagged
    store.close()


def test_driver_messages_become_one_line_without_passwords():
    from flashtrain.store.faults import driver_reason, unavailable

    error = Exception('connection to server at "127.0.0.1", port 5432 failed: Connection refused\n\tIs the server '
                      "running on that host and accepting TCP/IP connections?\n"
                      "dsn: postgresql://ann:s3cret@127.0.0.1/ft password=s3cret host=x")
    reason = driver_reason(error)
    assert "\n" not in reason and "\t" not in reason and "s3cret" not in reason
    assert "Connection refused Is the server running" in reason and "ann:***@" in reason
    notice = str(unavailable(error, "postgresql+psycopg://ann:***@127.0.0.1:5432/ft"))
    assert notice.count("\n") == 0 and notice.startswith("postgresql+psycopg://ann:***@127.0.0.1:5432/ft: ")
