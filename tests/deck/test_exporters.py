"""Exporters: what they write, our importers read back to the same questions, answers and tags."""

from hypothesis import given, settings
from hypothesis import strategies as st

from flashtrain.deck.exporters import export_anki_txt, export_csv
from flashtrain.deck.importers import anki_txt, csv_format, detect_format
from flashtrain.deck.importers._common import clean_text
from flashtrain.deck.markdown_format import parse_markdown_deck, write_markdown_deck
from flashtrain.deck.model import CardSpec, DeckSpec

from importer_fixtures import ALTERNATING, ANKI, BRAINSCAPE, CSV_TEXT, NOTES_MARKDOWN, NOTES_PLAIN
from flashtrain.deck.importers import parse_text

field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=80,
).map(clean_text).filter(bool)
tag = st.from_regex(r"[a-z0-9][a-z0-9_:-]{0,10}", fullmatch=True)
card = st.builds(lambda q, a, tags: CardSpec(question=q, answer=a, tags=tuple(tags)),
                 field_text, field_text, st.lists(tag, unique=True, max_size=3))
deck = st.builds(lambda name, cards: DeckSpec(name=name, cards=tuple(cards)),
                 st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,20}", fullmatch=True), st.lists(card, min_size=1, max_size=6))


def triples(spec: DeckSpec):
    return [(c.question, c.answer, c.tags) for c in spec.cards]


@settings(max_examples=150, deadline=None)
@given(deck)
def test_anki_round_trip(original):
    text = export_anki_txt(original)
    assert detect_format(text, "export.txt") == "anki"
    back = anki_txt.parse(text, "export.txt")
    assert triples(back) == triples(original)
    assert back.name == " ".join(original.name.split())


@settings(max_examples=150, deadline=None)
@given(deck)
def test_csv_round_trip(original):
    back = csv_format.parse(export_csv(original), "export.csv")
    assert triples(back) == triples(original)


def test_csv_without_tags_is_headerless_two_columns():
    spec = DeckSpec(name="d", cards=(CardSpec("a, b", "line1\nline2"), CardSpec('say "x"', "y")))
    assert export_csv(spec) == '"a, b","line1\nline2"\r\n"say ""x""",y\r\n'


def test_csv_writes_header_when_first_card_reads_like_one():
    spec = DeckSpec(name="d", cards=(CardSpec("Question", "Answer"),))
    assert triples(csv_format.parse(export_csv(spec), "x.csv")) == [("Question", "Answer", ())]


def test_anki_export_of_cloze_and_reversed_reads_back():
    cards = (
        CardSpec("Ice melts at {{0}} °C and boils... {{no::hint}}", "", kind="cloze", cloze_index=1),
        CardSpec("Ice melts at {{0}} °C and boils... {{no::hint}}", "", kind="cloze", cloze_index=2),
        CardSpec("front <b>", "back & more", tags=("x",)),
        CardSpec("front <b>", "back & more", tags=("x",), kind="reversed"),
    )
    text = export_anki_txt(DeckSpec(name="Mixed", cards=cards))
    assert "{{c1::0}}" in text and "{{c2::no::hint}}" in text and "&lt;b&gt;" in text
    back = anki_txt.parse(text, "m.txt")
    assert [(c.question, c.answer, c.kind, c.cloze_index, c.tags) for c in back.cards] == [
        (c.question, c.answer, c.kind, c.cloze_index, c.tags) for c in cards]


def test_csv_export_turns_cloze_into_front_and_back():
    cards = (CardSpec("Water is {{H2O}}", "", kind="cloze", cloze_index=1),)
    back = csv_format.parse(export_csv(DeckSpec(name="c", cards=cards)), "c.csv")
    assert [(c.question, c.answer) for c in back.cards] == [("Water is […]", "Water is **H2O**")]


def test_imported_fixtures_survive_our_markdown_writer():
    """Whatever a foreign importer yields must be storable in our own deck format unchanged."""
    for text, path in [(BRAINSCAPE, "b.txt"), (ALTERNATING, "a.txt"), (NOTES_MARKDOWN, "n.md"),
                       (NOTES_PLAIN, "p.txt"), (ANKI, "k.txt"), (CSV_TEXT, "c.csv")]:
        imported = parse_text(text, path)
        again = parse_markdown_deck(write_markdown_deck(imported), "again.md")
        assert triples(again) == triples(imported), path
