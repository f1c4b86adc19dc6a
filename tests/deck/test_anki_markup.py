"""Anki field HTML -> Markdown: the quick path for plain tags gives what HTMLParser gives."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_quick_path_equals_the_html_parser(fragment, monkeypatch):
    quick = html_to_markdown(fragment)
    monkeypatch.setattr(markup, "_feed_simple", lambda parser, text: False)
    assert quick == html_to_markdown(fragment)


def test_plain_tags_take_the_quick_path():
    parser = markup._ToMarkdown()
    assert markup._feed_simple(parser, "<div>a <b class='x'>b</b><br/>&amp;</div>")
    assert not markup._feed_simple(markup._ToMarkdown(), "<!-- c -->")
    assert not markup._feed_simple(markup._ToMarkdown(), "1 <2")
