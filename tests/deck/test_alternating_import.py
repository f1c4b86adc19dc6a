import pytest

from flashtrain.deck.importers import alternating
from flashtrain.deck.model import DeckError

from importer_fixtures import ALTERNATING


def test_cards_split_at_question_lines():
    deck = alternating.parse(ALTERNATING, "kitchen.txt")
    assert deck.name == "Kitchen Chemistry"
    assert [c.question for c in deck.cards] == [
        "Why does bread dough rise?",
        "What makes caramel brown",
        "Explain the Maillard reaction",
        "Emulsions",
        "How is baking soda different from baking powder?",
    ]
    assert deck.cards[0].answer == "Yeast ferments sugar and releases carbon dioxide\nThe gas is trapped by gluten strands"
    assert deck.cards[2].answer.endswith("- it creates roasted flavours\n- it needs dry surfaces")
    assert [c.line for c in deck.cards] == [2, 5, 7, 11, 13]


def test_uncertain_title_split_is_warned_with_its_line():
    deck = alternating.parse(ALTERNATING, "kitchen.txt")
    assert [(w.line, "Emulsions" in w.message) for w in deck.warnings] == [(11, True)]


@pytest.mark.parametrize("line, expected", [
    ("What is a mole?", "question"),
    ("why do onions sting", "question"),
    ("Where is the Krebs cycle run", "question"),
    ("Where A is the area of the plate", None),
    ("Define molarity", "question"),
    ("List of common acids", "title"),
    ("Does salt lower the freezing point?", "question"),
    ("Does salt lower the freezing point", None),
    ("- what about bases?", None),
    ("1) How to titrate", None),
    ("It is a long answer sentence that ends in a period.", None),
    ("What happens next is explained below.", None),
    ("Buffer solutions", "title"),
    ("But this is a continuation", None),
    ("In a cell with 2 electrodes what is the voltage", "embedded"),
])
def test_line_classification(line, expected):
    assert alternating.kind(line) == expected


def test_answer_line_that_looks_like_a_question_is_kept_with_warning():
    text = "What is the question?\nWhat, you ask?\nWhy is the sky blue?\nScattering\n"
    deck = alternating.parse(text, "q.txt")
    assert [(c.question, c.answer) for c in deck.cards] == [
        ("What is the question?", "What, you ask?"), ("Why is the sky blue?", "Scattering")]
    assert [w.line for w in deck.warnings] == [2]


def test_list_after_colon_is_not_split_into_cards():
    text = ("What goes into a pancake?\nIngredients:\nFlour\nMilk\nEggs\nButter\n"
            "How long do you cook it?\nAbout two minutes a side\n")
    deck = alternating.parse(text, "p.txt")
    assert len(deck.cards) == 2
    assert deck.cards[0].answer == "Ingredients:\nFlour\nMilk\nEggs\nButter"
    assert deck.warnings == ()


def test_run_of_short_lines_stays_in_the_answer():
    text = "Which metals are noble?\nGold\nPlatinum\nSilver\nWhat is rust?\nIron oxide\n"
    deck = alternating.parse(text, "m.txt")
    assert [c.answer for c in deck.cards] == ["Gold\nPlatinum\nSilver", "Iron oxide"]


def test_question_at_end_without_answer_is_warned():
    text = "What is an acid?\nA proton donor\nWhat is a base?\n"
    deck = alternating.parse(text, "a.txt")
    assert len(deck.cards) == 1
    assert any(w.line == 3 and "no answer" in w.message for w in deck.warnings)


def test_no_cards_is_an_error():
    with pytest.raises(DeckError):
        alternating.parse("What is lonely?\n", "one.txt")
    with pytest.raises(DeckError):
        alternating.parse("\n\n", "empty.txt")
