"""Anki field HTML <-> our Markdown.

In: line breaks, paragraphs and divs become line breaks; lists become `-`/`1.` items; bold, italic,
strike-through and code become Markdown; `<pre>` becomes a fenced code block; `<img src>` becomes
`![alt](file)`; entities are decoded; MathJax `\\(…\\)` / `\\[…\\]` become `$…$` / `$$…$$`. Scripts and
styles are dropped. The media files a field refers to (images, `[sound:…]`) are returned with it.

Out: our Markdown rendered to HTML by markdown-it, with math written back as MathJax (Anki does
not render `$…$`) and code blocks as `<pre><code>`.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

INLINE_MATH = re.compile(r"\\\((.+?)\\\)", re.DOTALL)
DISPLAY_MATH = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)
SOUND = re.compile(r"\[sound:([^\]]+)\]")
EMPTY_MARKER = re.compile(r"(\*\*|~~)\s*\1")
SPACES = re.compile(r"[ \t\r\n]{2,}|[\t\r\n]")
BLOCKS = {"div", "p", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article",
          "header", "footer", "dl", "dt", "dd", "figure", "hr"}
INLINE = {"b": "**", "strong": "**", "i": "*", "em": "*", "s": "~~", "strike": "~~", "del": "~~"}
SKIPPED = {"script", "style", "head", "title"}
VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr", "area", "col", "embed", "track"}


class _ToMarkdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.media: list[str] = []
        self.skipping = 0
        self.pre = 0
        self.pre_text: list[str] = []
        self.code = 0
        self.lists: list[list] = []  # [kind, counter]
        self.hidden: list[str] = []  # open tags of a display:none element

    # -- helpers
    def text_so_far(self) -> str:
        return "".join(self.out[-4:])

    def newline(self) -> None:
        if self.out and not self.text_so_far().endswith("\n"):
            self.out.append("\n")

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs) -> None:
        if self.hidden:
            if tag not in VOID:
                self.hidden.append(tag)
            return
        style = (dict(attrs).get("style") or "").replace(" ", "").lower()
        if "display:none" in style and tag not in VOID:
            self.hidden.append(tag)  # e.g. the occlusion data of Anki's Image Occlusion notetype
            return
        if tag in SKIPPED:
            self.skipping += 1
            return
        if self.pre:
            if tag == "br":
                self.pre_text.append("\n")
            return
        if tag == "br":
            self.out.append("\n")
        elif tag == "pre":
            self.newline()
            self.pre, self.pre_text = 1, []
        elif tag == "code":
            self.code += 1
            self.out.append("`")
        elif tag in ("ul", "ol"):
            self.newline()
            self.lists.append([tag, 0])
        elif tag == "li":
            self.newline()
            depth = max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                marker = f"{self.lists[-1][1]}. "
            else:
                marker = "- "
            self.out.append("  " * depth + marker)
        elif tag in BLOCKS:
            self.newline()
        elif tag in INLINE:
            self.out.append(INLINE[tag])
        elif tag == "img":
            attributes = dict(attrs)
            source = unquote(attributes.get("src") or "")
            if source:
                if "://" not in source and not source.startswith("data:"):
                    self.media.append(source)
                self.out.append(f"![{attributes.get('alt') or ''}]({source.replace(' ', '%20')})")

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            if tag in self.hidden:
                while self.hidden and self.hidden.pop() != tag:
                    pass
            return
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if tag == "pre" and self.pre:
            code = "".join(self.pre_text).strip("\n")
            fence = "````" if "```" in code else "```"
            self.newline()
            self.out.append(f"{fence}\n{code}\n{fence}\n")
            self.pre = 0
            return
        if self.pre:
            return
        if tag == "code" and self.code:
            self.code -= 1
            self.out.append("`")
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.newline()
        elif tag in BLOCKS or tag == "li":
            self.newline()
        elif tag in INLINE:
            self.out.append(INLINE[tag])

    def handle_data(self, data: str) -> None:
        if self.skipping or self.hidden:
            return
        if self.pre:
            self.pre_text.append(data)
            return
        data, media = _text_run(data)
        self.media += media
        if not self.out or self.text_so_far().endswith("\n"):
            data = data.lstrip(" ")
        self.out.append(data)


def _text_run(data: str) -> tuple[str, list[str]]:
    """A run of text between tags as Markdown (spaces collapsed), and the sounds it names."""
    data = data.replace("\xa0", " ")
    return SPACES.sub(" ", data), SOUND.findall(data) if "[sound:" in data else []


def _is_plain(fragment: str) -> bool:
    """No tags and no entities: the fragment is a single run of text."""
    return "<" not in fragment and "&" not in fragment


def html_to_markdown(fragment: str) -> tuple[str, list[str]]:
    """(Markdown, media file names referred to) for one rendered Anki field or card side."""
    if _is_plain(fragment):  # most fields: the one text run a parser would see, without the parser
        text, media = _text_run(fragment)
    elif (text := _inline_only(fragment)) is not None:
        media = []
    else:
        parser = _ToMarkdown()
        if not _feed_simple(parser, fragment):
            parser = _ToMarkdown()
            parser.feed(fragment)
            parser.close()
        if parser.pre:  # unclosed <pre>
            parser.handle_endtag("pre")
        text, media = "".join(parser.out), parser.media
    if "\\[" in text:
        text = DISPLAY_MATH.sub(lambda m: f"$${m.group(1).strip()}$$", text)
    if "\\(" in text:
        text = INLINE_MATH.sub(lambda m: f"${m.group(1).strip()}$", text)
    if "\n" in text or text.endswith(" "):
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        if "\n\n\n" in text:
            text = re.sub(r"\n{3,}", "\n\n", text)
        text = text.strip("\n")
    if "**" in text or "~~" in text:  # a bold/strike marker around nothing ("<b></b>") is noise
        text = EMPTY_MARKER.sub("", text)
    return text.strip(), list(dict.fromkeys(media))


# Many fields hold only bold/italic/strike-through and line breaks ("What is <b>x</b>?<br>…"). Their
# tags all write a marker that is neither empty nor a space, and <br> a newline that only strips the
# space right after it, so the text between tags can be decoded and collapsed in one go; with <br>
# held by a stand-in the collapsing cannot touch. Anything else (another tag, an attribute, </br>, a
# sound) goes the way below.
_INLINE_ONLY_TAG = re.compile(r"<(/?)(b|strong|i|em|s|strike|del|br)\s*(/?)>", re.IGNORECASE | re.ASCII)
_BREAK = "\x00"


def _inline_only(fragment: str) -> str | None:
    """The Markdown _ToMarkdown makes of a fragment of only those tags, or None for another fragment."""
    if _BREAK in fragment:
        return None
    pieces = _INLINE_ONLY_TAG.split(fragment)  # text, (closing, tag, self-closing, text)...
    for i in range(1, len(pieces), 4):
        closing, tag, self_closing = pieces[i], pieces[i + 1].lower(), pieces[i + 2]
        if tag == "br":
            if closing:
                return None  # </br> writes nothing
            pieces[i] = _BREAK
        else:
            pieces[i] = INLINE[tag] * 2 if self_closing and not closing else INLINE[tag]  # <b/> opens and closes
        pieces[i + 1] = pieces[i + 2] = ""
    text = "".join(pieces)
    if "<" in text:
        return None
    if "&" in text:
        text = html.unescape(text)
    if "[sound:" in text:
        return None
    text = SPACES.sub(" ", text.replace("\xa0", " "))
    if pieces[0]:  # the first text run starts the output: its spaces go (a parser's handle_data)
        text = text.lstrip(" ")
    return text.replace(_BREAK + " ", "\n").replace(_BREAK, "\n") if _BREAK in text else text


# Field HTML is mostly plain tags (<b>, <br>, <div>, <img src=...>): such a fragment is split with one
# regex and handed to the same callbacks HTMLParser would call, several times faster. Anything else
# (comments, <script>/<style> bodies, a stray "<") goes through HTMLParser itself.
_SIMPLE_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s\"'<>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|"
                         r"[^\s\"'=<>`]+))?)*)\s*(/?)>")
_ATTRIBUTE = re.compile(r"([^\s\"'<>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_RAW_TEXT = re.compile(r"<(script|style|textarea|title)\b", re.IGNORECASE)


def _feed_simple(parser: _ToMarkdown, fragment: str) -> bool:
    """Feed `fragment` to the parser's callbacks if it is plain tags and text; False (nothing fed)
    when it needs the full HTML parser."""
    if "<" in fragment and (_RAW_TEXT.search(fragment) or "<!" in fragment or "<?" in fragment):
        return False
    events = []
    pos = 0
    while True:
        start = fragment.find("<", pos)
        text = fragment[pos:] if start < 0 else fragment[pos:start]
        if text:
            events.append((None, html.unescape(text) if "&" in text else text, None, False))
        if start < 0:
            break
        match = _SIMPLE_TAG.match(fragment, start)
        if match is None:
            return False
        closing, tag, attributes, self_closing = match.groups()
        attrs = [(m.group(1).lower(), _attribute_value(m)) for m in _ATTRIBUTE.finditer(attributes)] \
            if attributes else []
        events.append((closing, tag.lower(), attrs, bool(self_closing)))
        pos = match.end()
    for closing, tag, attrs, self_closing in events:
        if closing is None:
            parser.handle_data(tag)
        elif closing:
            parser.handle_endtag(tag)
        elif self_closing:
            parser.handle_startendtag(tag, attrs)
        else:
            parser.handle_starttag(tag, attrs)
    return True


def _attribute_value(match: re.Match) -> str | None:
    for value in match.group(2, 3, 4):
        if value is not None:
            return html.unescape(value) if "&" in value else value
    return None


# -- Markdown -> Anki HTML ---------------------------------------------------------------------------
_renderer = None


def _markdown_renderer():
    global _renderer
    if _renderer is None:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.dollarmath import dollarmath_plugin

        md = MarkdownIt("commonmark", {"breaks": True, "html": False}).use(dollarmath_plugin, double_inline=True)
        md.enable("table").enable("strikethrough")

        def inline_math(self, tokens, idx, options, env):
            return "\\(" + html.escape(tokens[idx].content, quote=False) + "\\)"

        def block_math(self, tokens, idx, options, env):
            return "\\[" + html.escape(tokens[idx].content.strip(), quote=False) + "\\]"

        md.add_render_rule("math_inline", inline_math)
        md.add_render_rule("math_inline_double", block_math)
        md.add_render_rule("math_block", lambda self, t, i, o, e: block_math(self, t, i, o, e) + "\n")
        md.add_render_rule("math_block_label", lambda self, t, i, o, e: block_math(self, t, i, o, e) + "\n")
        _renderer = md
    return _renderer


def markdown_to_html(text: str) -> str:
    """Our Markdown as the HTML an Anki field holds (math as MathJax, code as <pre><code>)."""
    if not text.strip():
        return ""
    rendered = _markdown_renderer().render(text).strip()
    # A lone paragraph needs no <p>: Anki's own editor writes plain text with <br>.
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return rendered


# -- the exact Markdown behind a field ---------------------------------------------------------------
SOURCE_COMMENT = re.compile(r"<!--flashtrain-md:([A-Za-z0-9+/=]*)-->")


def source_comment(markdown: str) -> str:
    """An HTML comment holding our Markdown source: Anki does not show it, our importer reads it."""
    import base64

    return f"<!--flashtrain-md:{base64.b64encode(markdown.encode()).decode()}-->"


def markdown_source(field: str, shown: callable) -> str | None:
    """The Markdown a field was exported from, if it is there and the shown HTML was not edited since
    (`shown(markdown)` must render the HTML the export wrote)."""
    import base64
    import binascii

    match = SOURCE_COMMENT.search(field)
    if match is None:
        return None
    try:
        markdown = base64.b64decode(match.group(1), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    rest = (field[:match.start()] + field[match.end():]).strip()
    return markdown if rest == shown(markdown).strip() else None
