import pytest

from flashtrain.deck.importers import notes
from flashtrain.deck.model import DeckError

from importer_fixtures import NOTES_MARKDOWN, NOTES_PLAIN


def test_markdown_sections_become_cards_with_math_kept():
    deck = notes.parse(NOTES_MARKDOWN, "weather.md")
    assert deck.name == "Weather basics"
    assert [c.question for c in deck.cards] == ["Fronts", "Fronts: Occluded fronts", "Humidity"]
    occluded = deck.cards[1].answer
    assert "$\\nabla p$" in occluded
    assert "$$\n# not a heading, this is inside math\np = \\rho R T\n$$" in occluded
    assert deck.cards[2].answer.startswith("```text\n# a comment inside code, not a heading\n```")
    assert deck.cards[0].answer == ("A front is the border between two air masses.\n\n"
                                    "- cold fronts move fast\n- warm fronts bring long drizzle")
    assert [c.line for c in deck.cards] == [3, 10, 21]


def test_empty_section_is_skipped_with_warning():
    deck = notes.parse(NOTES_MARKDOWN, "weather.md")
    assert [(w.line, "Empty section" in w.message) for w in deck.warnings] == [(19, True)]


def test_parent_heading_without_text_is_silently_structure():
    deck = notes.parse("## Parent\n### Child\nbody text\n", "p.md")
    assert [(c.question, c.answer) for c in deck.cards] == [("Parent: Child", "body text")]
    assert deck.warnings == ()


def test_plain_notes_numbered_and_title_sections():
    deck = notes.parse(NOTES_PLAIN, "soil.txt")
    assert deck.name == "Soil science notes"
    assert [c.question for c in deck.cards] == ["Soil horizons", "Soil horizons: Summary", "Soil acidity"]
    horizons = deck.cards[0].answer
    assert horizons.startswith("Layers form as water carries minerals downwards\n  • topsoil is rich in humus")
    assert horizons.endswith("Horizon Colour\nTopsoil Dark\nSubsoil Lighter")  # a table run is not headings
    assert "$pH = -\\log_{10}[H^+]$" in deck.cards[2].answer


def test_plain_week_headings_and_lone_dash_bullets():
    text = ("Course diary\nWeek 1\n- soil forms slowly\n-\nHumus matters\nWeek 2 - Water\n"
            "- infiltration depends on texture\n")
    deck = notes.parse(text, "diary.txt")
    assert [c.question for c in deck.cards] == ["Week 1", "Week 2 - Water"]
    assert deck.cards[0].answer == "- soil forms slowly\n-\nHumus matters"  # text after a lone '-' is a bullet


def test_preamble_is_ignored_with_warning_and_noise_dropped():
    text = "Intro words that are not a section.\n\n## Topic\n\nUseful text\n\nTags:\n\nresults matching \"\"\n"
    deck = notes.parse(text, "t.md")
    assert [(c.question, c.answer) for c in deck.cards] == [("Topic", "Useful text")]
    assert any(w.line == 1 and "before the first heading" in w.message for w in deck.warnings)


def test_duplicate_headings_get_distinct_prompts():
    deck = notes.parse("## Summary\none\n## Summary\ntwo\n", "d.md")
    assert [c.question for c in deck.cards] == ["Summary", "Summary (2)"]
    assert len({c.key for c in deck.cards}) == 2


def test_no_headings_is_an_error():
    with pytest.raises(DeckError) as caught:
        notes.parse("just one long sentence of text that goes nowhere.\nand another one.\n", "x.txt")
    assert "headings" in caught.value.message


def test_only_empty_sections_is_an_error():
    with pytest.raises(DeckError):
        notes.parse("## One\n\n## Two\n", "x.md")
