import pytest

from flashtrain.deck.importers import brainscape
from flashtrain.deck.model import DeckError

from importer_fixtures import BRAINSCAPE, FOOTER


def test_every_card_keeps_its_full_answer_and_no_footer():
    deck = brainscape.parse(BRAINSCAPE, "rivers.txt")
    assert deck.name == "Rivers and Lakes"
    assert deck.format == "brainscape"
    assert [c.question for c in deck.cards] == [
        "which river flows through Cairo",
        "name three of the Great Lakes",
        "what feeds a glacial lake",
        "how deep is Lake Baikal roughly",
        "which sea is the saltiest large body of water on land?",
    ]
    assert deck.cards[0].answer == "the Nile\nit ends in a delta on the Mediterranean"
    assert deck.cards[1].answer == "Superior\n\nHuron and Erie"  # blank line inside the answer kept
    assert deck.cards[4].answer == "the Dead Sea\nits shore is far below sea level"
    for card in deck.cards:
        assert "How well" not in card.answer and "Perfectly" not in card.answer and "Not at all" not in card.answer


def test_card_lines_point_at_the_card_number():
    deck = brainscape.parse(BRAINSCAPE, "rivers.txt")
    lines = BRAINSCAPE.splitlines()
    for card in deck.cards:
        assert lines[card.line - 1].strip().isdigit()


def test_switch_to_compact_cards_is_reported():
    deck = brainscape.parse(BRAINSCAPE, "rivers.txt")
    messages = [w.message for w in deck.warnings]
    assert any("no Q/A markers" in m for m in messages)


def test_count_mismatch_warns_at_the_count_line():
    text = BRAINSCAPE.replace("(5 cards)", "(7 cards)")
    deck = brainscape.parse(text, "rivers.txt")
    count_line = text.splitlines().index("(7 cards)") + 1
    assert any(w.line == count_line and "7 cards" in w.message and "5" in w.message for w in deck.warnings)


def test_matching_count_gives_no_count_warning():
    deck = brainscape.parse(BRAINSCAPE, "rivers.txt")
    assert not any("cards but" in w.message for w in deck.warnings)


def test_footer_on_one_line_and_inline_markers():
    text = ("1\nQ: what colour is the sky\nA: blue\nmostly\nHow well did you know this? 1 Not at all 2 3 4 5 Perfectly\n"
            "2\nQ:\nwhy is grass green\nA:\nchlorophyll\n")
    deck = brainscape.parse(text, "sky.txt")
    assert [(c.question, c.answer) for c in deck.cards] == [
        ("what colour is the sky", "blue\nmostly"), ("why is grass green", "chlorophyll")]


def test_answer_line_that_is_just_a_number_is_kept():
    text = "1\nQ\nhow many legs has a spider\nA\n8\n\n" + FOOTER + "2\nQ\nhow many legs has an ant\nA\n6\n"
    deck = brainscape.parse(text, "legs.txt")
    assert [c.answer for c in deck.cards] == ["8", "6"]


def test_out_of_sequence_number_inside_compact_answer_is_warned_not_split():
    text = "1\nfirst question here\nfirst answer\n9\nnot a card\nstill answer\n2\nsecond question\nsecond answer\n"
    deck = brainscape.parse(text, "n.txt")
    assert len(deck.cards) == 2
    assert "9\nnot a card" in deck.cards[0].answer
    assert any(w.line == 4 and "numbering" in w.message for w in deck.warnings)


def test_question_without_answer_marker_is_an_error_with_line():
    text = "1\nQ\nwhat is missing\n\n2\nQ\nsecond\nA\nfine\n"
    with pytest.raises(DeckError) as caught:
        brainscape.parse(text, "bad.txt")
    assert caught.value.line == 1 and "no 'A' line" in caught.value.message


def test_empty_answer_is_skipped_with_warning():
    text = "1\nQ\nan unanswered question\nA\n\n" + FOOTER + "2\nQ\nanswered\nA\nyes\n"
    deck = brainscape.parse(text, "e.txt")
    assert [c.question for c in deck.cards] == ["answered"]
    assert any("empty answer" in w.message for w in deck.warnings)


def test_text_without_cards_is_an_error():
    with pytest.raises(DeckError) as caught:
        brainscape.parse("just a title\n\nand some words\n", "none.txt")
    assert "expected Brainscape cards" in caught.value.message


def test_answer_that_opens_with_a_number_line_is_not_split_into_cards():
    # "2 / hidden layers" right under 'A' once became card 2, and card 1 was skipped as empty
    text = ("1\nQ\n\nhow many hidden layers here\n\nA\n\n2\nhidden layers\n\n" + FOOTER +
            "2\nQ\n\nsecond question\n\nA\n\nsecond answer\n\n" + FOOTER)
    deck = brainscape.parse(text, "layers.txt")
    assert [(c.question, c.answer) for c in deck.cards] == [
        ("how many hidden layers here", "2\nhidden layers"), ("second question", "second answer")]
    assert not any("empty answer" in w.message for w in deck.warnings)


def test_compact_card_whose_answer_is_a_number():
    text = "1\nfirst question\nfirst answer\n2\nhow much is 2+3\n5\n3\nthird question\nthird answer\n"
    deck = brainscape.parse(text, "sum.txt")
    assert [(c.question, c.answer) for c in deck.cards][1] == ("how much is 2+3", "5")
