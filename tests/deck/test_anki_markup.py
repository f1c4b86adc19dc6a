"""Anki field HTML -> Markdown: the quick paths (plain tags; plain text) give what HTMLParser gives."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flashtrain.deck.anki import markup
from flashtrain.deck.anki.markup import html_to_markdown

FRAGMENTS = [
    "plain text", "", "What is <b>2</b> + 2?<br>Show \\(x^2\\) too",
    "<div>Four</div><div>&lt;four&gt; &amp; <i>cuatro</i></div><img src=\"dot.png\">",
    "<pre>def relu(x):\n    return np.maximum(x, 0)</pre>", "<ul><li>one<ul><li>deep</li></ul></li><li>two</li></ul>",
    "<ol><li>a</li><li>b</li></ol>", "<IMG SRC='my%20pic.png' ALT=\"a &quot;pic&quot;\"/>", "a<br/>b<BR >c",
    "<span style=\"display: none\">hidden <b>x</b></span>shown", "<code>x &lt; y</code> and \\[a\\]",
    "caf&eacute; &nbsp; &#x41;&#66; [sound:hello.mp3]", "<p>para</p><p>two</p>", "<b></b>nothing<i> </i>",
    "<img src=https://example.com/x.png>", "<a href=\"x\" data-x>link</a> <s>old</s> <strike>gone</strike>",
    "<div class=\"front\"><span>nested <em>em <strong>strong</strong></em></span></div>", "a < b and c > d",
    "<!-- comment --> text", "<script>alert('<b>')</script>after", "<style>b {}</style>x", "1 <2 3", "</ br>",
    "<pre>unclosed <b>code", "&amp;lt; double", "<input type=checkbox checked>", "x<hr id=answer>y",
]


# html_to_markdown's quick paths, each turned off in this order: plain text, inline tags only, plain tags
QUICK_PATHS = (("_is_plain", lambda fragment: False), ("_inline_only", lambda fragment: None),
               ("_feed_simple", lambda parser, fragment: False))


def assert_quick_paths_agree(fragment: str) -> None:
    """The text and media are the same with the quick paths turned off one after another, down to
    HTMLParser itself."""
    quick = html_to_markdown(fragment)
    saved = {name: getattr(markup, name) for name, _ in QUICK_PATHS}
    try:
        for name, off in QUICK_PATHS:
            setattr(markup, name, off)
            assert html_to_markdown(fragment) == quick, f"without {name}"
    finally:
        for name, function in saved.items():
            setattr(markup, name, function)


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_quick_path_equals_the_html_parser(fragment):
    assert_quick_paths_agree(fragment)


def test_plain_tags_take_the_quick_path():
    parser = markup._ToMarkdown()
    assert markup._feed_simple(parser, "<div>a <b class='x'>b</b><br/>&amp;</div>")
    assert not markup._feed_simple(markup._ToMarkdown(), "<!-- c -->")
    assert not markup._feed_simple(markup._ToMarkdown(), "1 <2")


PLAIN_PIECES = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2003", "\x1f", "**", "~~", "* *", "\\(",
                                "\\)", "\\[", "\\]", "[sound:a b.mp3]", "[sound:", "]", "$", "x", "Wort", "é", ">"])


@given(st.lists(PLAIN_PIECES | st.text(max_size=4), max_size=12).map("".join))
@example("  \\( x^2 \\)  and \\[ y \\] ** ** ~~\t~~ [sound:hi.mp3]\xa0 end  ")
@example("\n\nline one\nline two\n\n\n")
def test_plain_text_fast_path_equals_the_parser(text):
    """A field without tags or entities skips the parser: the result (text and media) is the same."""
    if markup._is_plain(text):
        assert_quick_paths_agree(text)


def test_plain_text_takes_the_fast_path():
    assert markup._is_plain("It is 0.143, see rule 1.\n") and markup._is_plain("a > b")
    assert not markup._is_plain("a <b>b</b>") and not markup._is_plain("caf&eacute;")


INLINE_PIECES = st.sampled_from([
    "<b>", "</b>", "<B>", "</STRONG>", "<strong>", "<i>", "</i>", "<em >", "</em>", "<s>", "</s>", "<strike>",
    "</del>", "<b/>", "</i/>", "<br>", "<br/>", "<BR />", "</br>", "<br\n>", "<u>", "<span>", "<b class=x>",
    "<div>", "<code>", "<ſ>", " ", "  ", "\t", "\n", "\xa0", "&nbsp;", "&amp;", "&lt;b&gt;", "&#42;", "&lt",
    "&#10;", "&", "<", ">", "**", "~~", "*", "_", "\\", "$", "\\(x_1\\)", "\\[y\\]", "{{c1::gap}}", "[sound:",
    "[sound:a.mp3]", "]", "\x00", "x", "Wort", "é"])


@given(st.lists(INLINE_PIECES | st.text(max_size=3), max_size=14).map("".join))
@example("What is quantity <strong>17</strong> with \\(x_{3}\\)?")
@example("  a  <b> b </b>\xa0<br>  c&nbsp;<br/> <br>d<i></i>  ")
@example("<b></b>&nbsp;<br>\n <s>x</s>[sound:<b>a</b>.mp3]")
@example("{{c1::<b>bold</b> gap::a <i>hint</i>}} \\(a*b\\) _x_ \\\\ $5")
def test_inline_tags_fast_path_equals_the_parser(fragment):
    """A fragment of only bold/italic/strike-through tags and line breaks skips the tag-by-tag walk:
    the result (text and media) is what the plain-tag splitter and HTMLParser give."""
    assert_quick_paths_agree(fragment)


def test_inline_tags_take_the_fast_path():
    assert markup._inline_only("What is <b>2</b> + 2?<br>Show <I>x</I>") == "What is **2** + 2?\nShow *x*"
    for other in ("a <u>b</u>", "<b class=x>b</b>", "a</br>b", "<div>a</div>", "1 <2", "[sound:a.mp3]<b>x</b>"):
        assert markup._inline_only(other) is None, other
