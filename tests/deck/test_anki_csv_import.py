import pytest

from flashtrain.deck.importers import anki_txt, csv_format
from flashtrain.deck.importers._common import clean_text
from flashtrain.deck.importers.anki_txt import html_to_text
from flashtrain.deck.model import DeckError

from importer_fixtures import ANKI, CSV_TEXT


# -- Anki TXT -------------------------------------------------------------------------------------
def test_anki_headers_html_and_tags():
    deck = anki_txt.parse(ANKI, "planets.txt")
    assert deck.name == "Planets"  # the one deck named in the deck column
    assert [(c.question, c.answer, c.tags) for c in deck.cards] == [
        ("Which planet has the **largest** moon?", "Jupiter\n(Ganymede & friends)", ("astro", "moons")),
        ("Line one\nline two", 'A "quoted" answer', ("astro",)),
    ]
    assert [c.line for c in deck.cards] == [6, 7]


@pytest.mark.parametrize("fragment, text", [
    ("a<br>b<br/>c", "a\nb\nc"),
    ("<div>one</div><div>two</div>", "one\ntwo"),
    ("x &lt; y &amp;&amp; z&nbsp;w", "x < y && z\xa0w"),
    ("<ul><li>first</li><li>second</li></ul>", "- first\n- second"),
    ("<i>em</i> and <code>f(x)</code>", "*em* and `f(x)`"),
    ("<span style='color:red'>plain</span><script>alert(1)</script>", "plain"),
    ("<img src='cell.png'>", "[image: cell.png]"),
])
def test_html_to_text(fragment, text):
    assert clean_text(html_to_text(fragment)) == text


def test_anki_html_false_keeps_markup_as_text():
    deck = anki_txt.parse("#separator:comma\n#html:false\nwhat is <br>?,a tag\n", "t.txt")
    assert deck.cards[0].question == "what is <br>?"


@pytest.mark.parametrize("name, char", [("semicolon", ";"), ("Pipe", "|"), ("space", " "), ("tab", "\t"), ("%", "%")])
def test_anki_separators(name, char):
    deck = anki_txt.parse(f"#separator:{name}\nfront{char}back\n", "s.txt")
    assert (deck.cards[0].question, deck.cards[0].answer) == ("front", "back")


def test_anki_without_headers_guesses_tab_and_html():
    deck = anki_txt.parse("one<br>two\tthree\n", "plain.txt")
    assert (deck.cards[0].question, deck.cards[0].answer) == ("one\ntwo", "three")


def test_anki_several_decks_become_tags_with_warning():
    text = "#separator:tab\n#deck column:1\nGeo::Rivers\tlongest river\tNile\nGeo::Peaks\thighest peak\tEverest\n"
    deck = anki_txt.parse(text, "geo.txt")
    assert deck.name == "Geo"
    assert [c.tags for c in deck.cards] == [("deck::geo::rivers",), ("deck::geo::peaks",)]
    assert any("2 decks" in w.message and "--deck" in w.message for w in deck.warnings)


def test_anki_deck_option_picks_one_deck():
    text = "#separator:tab\n#deck column:1\nGeo::Rivers\tlongest river\tNile\nGeo::Peaks\thighest peak\tEverest\n"
    deck = anki_txt.parse(text, "geo.txt", "geo::peaks")
    assert [c.question for c in deck.cards] == ["highest peak"]
    assert deck.name == "geo::peaks" and deck.cards[0].tags == ()


def test_anki_guid_cloze_and_reversed_notetypes():
    text = ("#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n"
            "abc123\tCloze\tWater boils at {{c1::100::number}} °C at {{c2::sea level}}\t\n"
            "q!w\tBasic (and reversed card)\tfront side\tback side\n")
    deck = anki_txt.parse(text, "mix.txt")
    kinds = [(c.kind, c.cloze_index) for c in deck.cards]
    assert kinds == [("cloze", 1), ("cloze", 2), ("basic", 0), ("reversed", 0)]
    assert deck.cards[0].question == "Water boils at {{100::number}} °C at {{sea level}}"
    assert deck.cards[0].explicit_id == "anki:abc123"
    assert deck.cards[2].explicit_id.startswith("anki:") and "!" not in deck.cards[2].explicit_id


def test_anki_columns_header_names_pick_question_and_answer():
    deck = anki_txt.parse("#separator:tab\n#columns:Back\tFront\tTags\nthe answer\tthe question\tt1\n", "c.txt")
    card = deck.cards[0]
    assert (card.question, card.answer, card.tags) == ("the question", "the answer", ("t1",))


@pytest.mark.parametrize("text, line, words", [
    ("#separator:tab\na\tb\tc\nd\n", 3, "expected at least 2 tab-separated columns"),
    ("#separator:tab\n#tags column:x\na\tb\n", 2, "column number"),
    ("#separator:tab\n#html:maybe\na\tb\n", 2, "true or false"),
    ("#separator:tab\n#tags column:9\na\tb\n", 2, "more than 2 columns"),
    ("#separator:tab\n#deck column:3\na\tb\tD\nc\td\n", 4, "and the special columns"),
    ("#separator:tab\nonly one column\n", 2, "two note fields"),
    ('#separator:tab\n"open quote\tb\n', 2, "well-formed"),
    ("#separator:two\na\tb\n", 1, "'#separator:'"),
])
def test_anki_errors_name_the_line(text, line, words):
    with pytest.raises(DeckError) as caught:
        anki_txt.parse(text, "bad.txt")
    assert caught.value.line == line and words in caught.value.message


def test_anki_short_rows_are_padded_and_extra_fields_join_the_answer():
    text = "#separator:tab\n#tags column:4\nq1\ta1\textra\tt1\nq2\ta2\n"
    deck = anki_txt.parse(text, "pad.txt")
    assert [(c.question, c.answer, c.tags) for c in deck.cards] == [("q1", "a1\n\nextra", ("t1",)), ("q2", "a2", ())]


def test_anki_empty_fields_are_skipped_with_warning():
    deck = anki_txt.parse("#separator:tab\nq1\t\nq2\ta2\n", "e.txt")
    assert [c.question for c in deck.cards] == ["q2"]
    assert [w.line for w in deck.warnings] == [2]


# -- CSV ------------------------------------------------------------------------------------------
def test_csv_quoting_and_record_lines():
    deck = csv_format.parse(CSV_TEXT, "world.csv")
    assert deck.name == "World"
    assert [(c.question, c.answer) for c in deck.cards] == [
        ("capital of Peru", "Lima"),
        ("largest desert, by area", "Antarctica\nif cold deserts count"),
        ('a "quoted" word', "yes"),
    ]
    assert [c.line for c in deck.cards] == [1, 2, 4]  # a record spanning two lines pushes the next one down


@pytest.mark.parametrize("header", ["question,answer", "Question,Answer", "QUESTION, answer"])
def test_csv_header_row_is_skipped(header):
    deck = csv_format.parse(f"{header}\nq,a\n", "h.csv")
    assert [(c.question, c.answer) for c in deck.cards] == [("q", "a")]


def test_csv_tags_column_with_header():
    deck = csv_format.parse("question,answer,tags\nq,a,geo rivers\n", "t.csv")
    assert deck.cards[0].tags == ("geo", "rivers")


@pytest.mark.parametrize("text, line", [
    ("q,a\n\"multi\nline\",answer\nthree,columns,here\n", 4),
    ("only-one-column\n", 1),
    ("q,a\nq2,\"unterminated\n", 2),
])
def test_csv_wrong_records_name_the_starting_line(text, line):
    with pytest.raises(DeckError) as caught:
        csv_format.parse(text, "bad.csv")
    assert caught.value.line == line
    assert caught.value.path == "bad.csv"


def test_csv_empty_answer_is_skipped_with_warning():
    deck = csv_format.parse("q1,\nq2,a2\n", "e.csv")
    assert [c.question for c in deck.cards] == ["q2"]
    assert [w.line for w in deck.warnings] == [1]
