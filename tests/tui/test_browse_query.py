"""The browser's query language against a real temporary store."""

from datetime import datetime, timezone

import pytest

from flashtrain.services.browse import QueryError, first_line, parse_query, search

pytestmark = pytest.mark.both_dialects  # these tests also run on PostgreSQL (tests/conftest.py)


NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)  # the fixtures' clock (conftest.NOW)


def questions(store, query, **kw):
    rows, total = search(store, query, now=NOW, **kw)
    assert total == len(rows)
    return [r.question for r in rows]


def test_empty_query_lists_active_cards_without_retired(filled_store):
    found = questions(filled_store, "")
    assert len(found) == 7
    assert "Retired card" not in found


def test_deck_tag_and_free_text(filled_store):
    assert set(questions(filled_store, "deck:regularization")) == {"What does dropout do?"}
    assert set(questions(filled_store, "deck:opt*")) >= {"Why bias correction?"}
    assert questions(filled_store, "tag:ADAM") == ["What does $\\beta_1$ control in Adam?"]
    assert questions(filled_store, "rmsprop") == ["A new card about RMSprop"]
    assert questions(filled_store, "zeroes") == ["What does dropout do?"]  # answer text counts


def test_is_words(filled_store):
    assert set(questions(filled_store, "is:due")) == {"What does $\\beta_1$ control in Adam?", "Leechy momentum question",
                                               "Suspended card"}
    assert set(questions(filled_store, "is:due -is:suspended")) == {"What does $\\beta_1$ control in Adam?",
                                                              "Leechy momentum question"}
    assert set(questions(filled_store, "is:new")) == {"A new card about RMSprop", "Write the EWA"}
    assert questions(filled_store, "is:leech") == ["Leechy momentum question"]
    assert questions(filled_store, "is:suspended") == ["Suspended card"]
    assert questions(filled_store, "is:retired") == ["Retired card"]
    assert questions(filled_store, "has:code") == ["Write the EWA"]
    assert questions(filled_store, "has:hints") == ["Write the EWA"]


def test_sorting_by_due_recall_and_lapses(filled_store):
    by_lapses = questions(filled_store, "", sort="lapses", descending=True)
    assert by_lapses[0] == "Leechy momentum question"
    rows, _ = search(filled_store, "-is:new", now=NOW, sort="recall")
    recalls = [r.recall for r in rows]
    assert recalls == sorted(recalls)
    assert all(0.0 < r <= 1.0 for r in recalls)
    rows, _ = search(filled_store, "-is:new", now=NOW, sort="due")
    dues = [r.due for r in rows]
    assert dues == sorted(dues)


def test_bad_queries_name_the_term():
    with pytest.raises(QueryError, match="is:soon"):
        parse_query("is:soon")
    with pytest.raises(QueryError, match="has:"):
        parse_query("has:pictures")
    with pytest.raises(QueryError, match="quotation|quote"):
        parse_query('deck:"unclosed')
    with pytest.raises(QueryError, match="deck:"):
        parse_query("deck:")


def test_quoted_values_and_literal_percent(filled_store):
    assert questions(filled_store, '"bias correction"') == ["Why bias correction?"]
    assert questions(filled_store, "100%") == []


def test_first_line_shortens_and_shows_cloze_gaps():
    assert first_line("Adam uses {{0.9}}\nand more", 80) == "Adam uses [0.9] and more"
    assert len(first_line("x" * 200, 20)) == 20


def test_deck_matches_the_start_of_a_name(filled_store):
    assert set(questions(filled_store, "deck:optim has:code")) == {"Write the EWA"}
    assert questions(filled_store, "deck:timizers") == []  # a start, not any substring
    assert set(questions(filled_store, "deck:*zation")) == {"What does dropout do?"}


def test_latex_typed_in_the_search_keeps_its_backslash(filled_store):
    """shlex.split used to eat the backslash: `$\\beta` searched for `$beta` and found nothing."""
    assert questions(filled_store, "$\\beta_1") == ["What does $\\beta_1$ control in Adam?"]
    assert questions(filled_store, '"\\beta_1$ control"') == ["What does $\\beta_1$ control in Adam?"]
    assert parse_query('"two words" \\frac')[1].value == "\\frac"


def test_unicode_math_as_the_app_shows_it_finds_the_latex(filled_store):
    """Cards show $\\beta_1$ as β₁: typing what is on screen finds the card."""
    assert questions(filled_store, "β₁") == ["What does $\\beta_1$ control in Adam?"]
    assert questions(filled_store, "β") == ["What does $\\beta_1$ control in Adam?"]
    assert questions(filled_store, "-β deck:optim") and "What does $\\beta_1$ control in Adam?" not in \
        questions(filled_store, "-β")


def test_is_leech_follows_the_leech_setting_and_the_leech_tag(filled_store):
    from sqlalchemy import select

    from flashtrain.store.models import Card
    from flashtrain.services.settings import save_setting

    with filled_store.sessions.begin() as session:
        save_setting(session, "leech_threshold", 20)
    assert questions(filled_store, "is:leech") == []  # 9 lapses is no longer a leech
    with filled_store.sessions.begin() as session:
        card = session.scalar(select(Card).where(Card.question == "Write the EWA"))
        card.tags = [*card.tags, "leech"]
    assert questions(filled_store, "is:leech") == ["Write the EWA"]  # the study service's mark
