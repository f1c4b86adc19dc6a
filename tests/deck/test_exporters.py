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


def test_csv_says_its_separator_and_columns_so_anki_does_not_guess():
    spec = DeckSpec(name="d", cards=(CardSpec("a; b, c", "line1\nline2"), CardSpec('say "x"', "y")))
    assert export_csv(spec) == ('#separator:comma\r\n#html:false\r\n#tags column:3\r\n'
                                '#columns:Front,Back,Tags,Hints,Snippet,Id\r\n'
                                '"a; b, c","line1\nline2",,,,\r\n"say ""x""",y,,,,\r\n')


OURS = (
    CardSpec("What does $\\beta_1$ do?\n\n- a list\n- of things", "It **averages**:\n\n$$m = \\beta m$$\n\n"
             "```python\nm = b * m + (1 - b) * g\n```", tags=("adam", "optim"), explicit_id="adam-b1",
             hints=("First moment.", "An average of $g$."), snippet="adam_update"),
    CardSpec("Plain <question> & more", "answer", hints=("one",)),
    CardSpec("Flip me", "Flipped", snippet="relu"),
    CardSpec("Flip me", "Flipped", snippet="relu", kind="reversed"),
    CardSpec("Adam uses {{0.9}} and {{0.999::beta two}}.", "", kind="cloze", cloze_index=1, explicit_id="adam-d",
             hints=("defaults",)),
    CardSpec("Adam uses {{0.9}} and {{0.999::beta two}}.", "", kind="cloze", cloze_index=2, explicit_id="adam-d",
             hints=("defaults",)),
)


def everything(cards):
    return [(c.question, c.answer, c.tags, c.hints, c.snippet, c.explicit_id, c.kind, c.cloze_index, c.key)
            for c in cards]


def test_anki_txt_export_is_html_with_mathjax_and_reads_back_whole():
    text = export_anki_txt(DeckSpec(name="Optim", cards=OURS))
    assert "\\(\\beta_1\\)" in text and "\\[m = \\beta m\\]" in text and "<pre><code" in text
    assert "<strong>averages</strong>" in text and "$\\beta_1$" not in text.split("<!--")[0]
    back = anki_txt.parse(text, "optim.txt")
    assert everything(back.cards) == everything(OURS)  # hints, snippet links and ids kept
    assert export_anki_txt(DeckSpec(name="Optim", cards=OURS)).split("\n")[7].split("\t")[0] == \
        text.split("\n")[7].split("\t")[0]  # stable GUID


def test_anki_txt_edited_in_anki_is_read_from_its_html():
    text = export_anki_txt(DeckSpec(name="Optim", cards=OURS[1:2]))
    edited = text.replace("answer<!--", "answer, edited in Anki <b>now</b> \\(x\\)<!--")
    [card] = anki_txt.parse(edited, "o.txt").cards
    assert card.answer == "answer, edited in Anki **now** $x$" and card.hints == ("one",)


def test_csv_export_reads_back_with_hints_snippets_and_ids():
    basic = [c for c in OURS if c.kind == "basic"]
    back = csv_format.parse(export_csv(DeckSpec(name="Optim", cards=tuple(basic))), "optim.csv")
    assert everything(back.cards) == everything(basic)
    assert detect_format(export_csv(DeckSpec(name="Optim", cards=tuple(basic))), "optim.csv") == "csv"


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
