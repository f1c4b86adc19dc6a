"""LaTeX math as readable Unicode for the terminal (pure; no Textual).

Textual's Markdown widget silently drops `$...$` math, so card text goes through `render_math`
before it is displayed. `to_unicode` tries flatlatex first (best at fractions, scripts and
accents), then pylatexenc (maintained, but loses grouping), and finally shows the raw source:
anything that matters stays readable as plain LaTeX.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Commands flatlatex does not know, written as flatlatex \newcommand aliases.
_ALIASES = (
    r"\newcommand{\le}{\leq}",
    r"\newcommand{\ge}{\geq}",
    r"\newcommand{\ne}{\neq}",
    r"\newcommand{\to}{\rightarrow}",
    r"\newcommand{\gets}{\leftarrow}",
    r"\newcommand{\ldots}{\dots}",
    r"\newcommand{\top}{T}",
    r"\newcommand{\intercal}{T}",
    r"\newcommand{\dfrac}[2]{\frac{#1}{#2}}",
    r"\newcommand{\tfrac}[2]{\frac{#1}{#2}}",
    r"\newcommand{\boldsymbol}[1]{\mathbf{#1}}",
    r"\newcommand{\bm}[1]{\mathbf{#1}}",
    r"\newcommand{\widehat}[1]{\hat{#1}}",
    r"\newcommand{\widetilde}[1]{\tilde{#1}}",
    r"\newcommand{\lfloor}{⌊}",
    r"\newcommand{\rfloor}{⌋}",
    r"\newcommand{\lceil}{⌈}",
    r"\newcommand{\rceil}{⌉}",
    r"\newcommand{\langle}{⟨}",
    r"\newcommand{\rangle}{⟩}",
    r"\newcommand{\lVert}{‖}",
    r"\newcommand{\rVert}{‖}",
    r"\newcommand{\lvert}{|}",
    r"\newcommand{\rvert}{|}",
    r"\newcommand{\vert}{|}",
    r"\newcommand{\Vert}{‖}",
    r"\newcommand{\mid}{∣}",
)
# Text-like commands: their argument is shown as written, spaces kept.
_TEXT_COMMAND = re.compile(r"\\(?:text|textrm|textit|textbf|mathrm|mathit|operatorname\*?|mbox)\s*\{([^{}]*)\}")
# Function names typeset upright in LaTeX.
_FUNCTION = re.compile(
    r"\\(arg\s*max|arg\s*min|argmax|argmin|log|ln|exp|max|min|sin|cos|tan|tanh|sigmoid|sup|inf|det|lim|Pr|"
    r"softmax|diag|sign|var|Var|E)(?![A-Za-z])(\s*)"
)
# Sizing commands that carry no meaning in plain text.
_DROP = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)[lr]?(?![A-Za-z])|\\(?:displaystyle|textstyle|nolimits)(?![A-Za-z])")
# Spacing: \quad and \qquad separate formulas ("mu = ... \qquad sigma = ..."), so they become em
# spaces (not collapsed by _tidy, not Markdown whitespace); thin spaces (\, \; \:) become one space.
# A space right after an opening brace or a script mark is dropped (`^{\,y}` must stay a script).
_SPACING = re.compile(r"(?P<lead>[{^_]\s*)?\\(?P<cmd>(?:qquad|quad|enspace|thinspace)(?![A-Za-z])|[,;:>!])")
_SPACE_TEXT = {"qquad": "\u2003\u2003\u2003\u2003", "quad": "\u2003\u2003", "!": ""}
# Big operators with limits: flatlatex writes \sum_{i=1}^{m} as "(∑ᵢ₌₁)ᵐ"; we write "∑ᵢ₌₁ᵐ " instead,
# or "∑_{k=1..C} " when a limit has no Unicode sub/superscript form.
_OPEN, _CLOSE, _EQUALS = "\ue000", "\ue001", "\ue002"
_BIG_OPS = {"sum": "∑", "prod": "∏", "coprod": "∐", "int": "∫", "oint": "∮", "bigcup": "⋃", "bigcap": "⋂"}
_SCRIPT_ARG = r"(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[^\s{}\\])"
_BIG_OP = re.compile(
    rf"\\(?P<op>{'|'.join(_BIG_OPS)})(?![A-Za-z])(?:\s*\\limits)?"
    rf"(?:\s*_\s*(?P<lo>{_SCRIPT_ARG}))?(?:\s*\^\s*(?P<hi>{_SCRIPT_ARG}))?(?:\s*_\s*(?P<lo2>{_SCRIPT_ARG}))?")
_SUB = "ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"
_SUP = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵝᵞᵟᵠᵡ"
# flatlatex brackets any base longer than one character: x_i^2 becomes (xᵢ)² and v_t/2 becomes
# (vₜ)/2. Drop the brackets around one symbol with its scripts, unless they follow a function name.
_SCRIPT_PARENS = re.compile(
    rf"(?:(?<=^)|(?<=[\s/√(+\-=·×]))\(([^\s()][\u0300-\u036f\u20d7]?[{_SUB}{_SUP}]+)\)(?=$|[\s/)+\-=·×{_SUP}])")
_RELATION = re.compile(r"[ \t]*([=<>≤≥≈≠←→⇒∈∼∝∣])[ \t]*")
# flatlatex's subscript table lacks these letters although Unicode has them.
_EXTRA_SUBSCRIPTS = dict(zip("hklmnpst", "ₕₖₗₘₙₚₛₜ"))


def _converter_class():
    import flatlatex

    class Converter(flatlatex.converter):
        def _converter__indexed(self, a, b):  # flatlatex's private subscript step (name-mangled)
            """A subscript with no Unicode form: `v_dW`, `x_(i+1)`, never `v[dW]`, which reads like
            the course's layer superscript `W^[l]`."""
            from flatlatex import data
            from flatlatex.transliteration import transliterate

            sub, ok = transliterate(data.subscript)(b)
            if sum(1 for ch in a if not unicodedata.combining(ch)) > 1:
                a = "(" + a + ")"
            if ok:
                return a + sub
            return a + "_" + (b if re.fullmatch(r"[\w\u0370-\u03ff]+", b) else "(" + b + ")")

    return Converter


@lru_cache(maxsize=1)
def _flatlatex():
    from flatlatex import data

    for letter, glyph in _EXTRA_SUBSCRIPTS.items():
        data.subscript.setdefault(letter, glyph)
    converter = _converter_class()()
    # no "¹⁄₁₋ᵦ": a fraction is written a/b, with brackets around a sum (1/(1-β)); ½ and friends stay
    converter.allow_zw = False
    for alias in _ALIASES:
        converter.add_newcommand(alias)
    return converter


def _unbrace(arg: str) -> str:
    return arg[1:-1] if arg.startswith("{") and arg.endswith("}") else arg


def _scripted(script: str, arg: str) -> str | None:
    """`arg` as Unicode sub/superscript characters, or None if some character has no such form."""
    try:
        out = _flatlatex().convert(f"{{}}{script}{{{arg}}}")
    except Exception:  # flatlatex raises plain Exceptions on syntax it cannot parse
        return None
    return out if out and not any(c in out for c in "_^[]()\\") else None


def _big_operator(match: re.Match) -> str:
    symbol = _BIG_OPS[match.group("op")]
    lower = match.group("lo") or match.group("lo2")
    upper = match.group("hi")
    if lower is None and upper is None:
        return symbol + " "
    low, high = _unbrace(lower or ""), _unbrace(upper or "")
    sub = _scripted("_", low) if low else ""
    sup = _scripted("^", high) if high else ""
    if sub is not None and sup is not None:
        return f"{symbol}{sub}{sup}\\ "
    try:  # limits as plain text: ∑_{k=1..C}
        limits = "..".join(_flatlatex().convert(part) for part in (low, high) if part)
    except Exception:
        limits = "..".join(part for part in (low, high) if part)
    limits = limits.replace(" ", "").replace("_", "\\_").replace("^", "").replace("=", _EQUALS)
    # flatlatex cannot print braces: private-use stand-ins, put back by _tidy
    return f"{symbol}\\_{_OPEN}{limits}{_CLOSE}\\ "


def _spacing(match: re.Match) -> str:
    if match.group("lead"):
        return match.group("lead").strip()  # `^{\,y}`: keep the script, drop the space
    return _SPACE_TEXT.get(match.group("cmd"), "\\ ")


# Commands after which + or - is a sign, not a binary operator (`a \cdot -b`, `x \le -1`).
_OPERATOR_COMMANDS = frozenset(
    "cdot times div pm mp le ge leq geq ne neq approx sim propto in to gets rightarrow leftarrow Rightarrow "
    "quad qquad frac sqrt left big Big".split())
_BINARY = re.compile(r"\\(?:pm|mp)(?![A-Za-z])|[+-]")


def _operand_before(text: str, index: int) -> bool:
    """Whether the source before `index` ends with something a binary operator can follow."""
    before = text[:index].rstrip()
    if not before:
        return False
    last = before[-1]
    if last.isalpha():
        word = re.search(r"(\\?)([A-Za-z]+)$", before)
        return not (word.group(1) and word.group(2) in _OPERATOR_COMMANDS)
    return last.isdigit() or last in ")]}|'!."


def _space_binary_operators(latex: str) -> str:
    r"""`a+b` -> `a\ +\ b` for + - \pm \mp outside every brace group (scripts, fractions and roots stay
    compact): always at the top level, and inside parentheses where the source had a space around it."""
    out: list[str] = []
    braces = parens = 0
    i = 0
    while i < len(latex):
        char = latex[i]
        if char == "\\" and i + 1 < len(latex) and not latex[i + 1].isalpha():
            out.append(latex[i:i + 2])  # \{ \} \, ... are not groups
            i += 2
            continue
        match = _BINARY.match(latex, i)
        after = latex[match.end():].lstrip()[:1] if match else ""
        if match and braces == 0 and _operand_before(latex, i) and after and after not in ")]}":
            spaced = latex[i - 1:i].isspace() or latex[match.end():match.end() + 1].isspace()
            if parens == 0 or spaced:
                out.append("\\ " + match.group(0) + ("\\ " if match.group(0)[0] != "\\" else " \\ "))
                i = match.end()
                continue
        braces += (char == "{") - (char == "}")
        parens += (char in "([") - (char in ")]") if braces == 0 else 0
        parens = max(parens, 0)
        out.append(char)
        i += 1
    return "".join(out)


# Commands that are not operands: a space before or after them is only LaTeX syntax.
_NOT_OPERANDS = _OPERATOR_COMMANDS | frozenset(
    "right middle bigl bigr Bigl Bigr in notin subset subseteq cup cap land lor neg mid vert colon "
    "leftarrow Leftarrow Rightarrow leftrightarrow mapsto ldots cdots dots qquad quad limits "
    "lfloor rfloor lceil rceil langle rangle lVert rVert lvert rvert".split())
# Commands that stand for one symbol (a space after them may separate two factors: `\gamma z`).
_SYMBOL_OPERANDS = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
    "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega "
    "ell infty partial nabla".split())
# A fraction right before a factor gets brackets: `\frac{1}{m}\sum` -> "(1/m)∑", not "1/m∑".
_FRAC_FACTOR = re.compile(rf"\\[dt]?frac\s*{_SCRIPT_ARG}\s*{_SCRIPT_ARG}(?=\s*(?:\\[A-Za-z]|[A-Za-z0-9(]))")
_SOURCE_GAP = re.compile(r"(\\[A-Za-z]+|[A-Za-z0-9}\])'])(\s+)(?=(\\[A-Za-z]+|[A-Za-z0-9(]))")


def _bracket_fraction(match: re.Match) -> str:
    before = match.string[: match.start()].rstrip()
    if re.search(r"(?:[(\[|]|\\(?:left.|lfloor|lceil|langle|lVert|lvert|\|))$", before):
        return match.group(0)  # already bracketed
    return "(" + match.group(0) + ")"


def _keep_source_spaces(latex: str) -> str:
    r"""A space the author put between two operands outside any brace group is kept (`W^{[l]} a^{[l-1]}`
    -> "W^[l] a^[l-1]", `\gamma z` -> "γ z"); flatlatex drops every space. Spaces next to an operator
    or relation command, and between two commands (`\alpha \beta`), stay LaTeX syntax."""
    out: list[str] = []
    last = 0
    for match in _SOURCE_GAP.finditer(latex):
        before, after = match.group(1), match.group(3)
        prefix = latex[:match.start(2)]
        if prefix.count("{") - prefix.count("\\{") != prefix.count("}") - prefix.count("\\}"):
            continue  # inside a group: scripts, fractions and roots stay compact
        if before.startswith("\\") and (before[1:] not in _SYMBOL_OPERANDS or after.startswith("\\")):
            continue  # `\hat Z`: the space separates a command from its argument
        if after.startswith("\\") and after[1:] in _NOT_OPERANDS | _OPERATOR_COMMANDS:
            continue
        out.append(latex[last:match.start(2)] + "\\ ")
        last = match.end(2)
    return "".join(out) + latex[last:]


def _prepare(latex: str) -> str:
    latex = _FRAC_FACTOR.sub(_bracket_fraction, latex)
    latex = _keep_source_spaces(latex)
    latex = _space_binary_operators(latex)
    # braces keep the word apart from a command before it: `\cdot\text{epoch}` -> `\cdot{epoch}`
    text = _TEXT_COMMAND.sub(lambda m: "{" + re.sub(r"\s+", r"\\ ", m.group(1)) + "}", latex)
    text = _SPACING.sub(_spacing, text)
    text = _BIG_OP.sub(_big_operator, text)

    def function(match: re.Match) -> str:
        name = re.sub(r"\s+", "", match.group(1))
        rest = match.string[match.end():]
        needs_space = bool(rest) and (rest[0].isalpha() or rest[0] == "\\")
        before = match.string[: match.start()].rstrip()
        space_before = bool(before) and (before[-1].isalnum() or before[-1] in ")}]")  # `y_j \log` -> "yⱼ log"
        return (r"\ " if space_before else "") + name + (r"\ " if needs_space else "")

    text = _FUNCTION.sub(function, text)
    return _DROP.sub("", text)


# flatlatex's "W^([l])" (no superscript brackets exist) reads better as "W^[l]"; "(‖[F])²" from
# \|W\|_F^2 as "‖²_F".
_BRACKET_SUP = re.compile(r"\^\((\[[^\[\]()]*\])\)")
_NORM_SCRIPTS = re.compile(rf"\((‖)(?:\[([^\]]+)\]|_([^()]+))\)([{_SUP}]+)")


def _tidy(text: str) -> str:
    text = _SCRIPT_PARENS.sub(r"\1", text)
    text = _BRACKET_SUP.sub(r"^\1", text)
    text = _NORM_SCRIPTS.sub(lambda m: f"{m.group(1)}{m.group(4)}_{m.group(2) or m.group(3)}", text)
    text = _RELATION.sub(r" \1 ", text)
    text = text.replace(_OPEN, "{").replace(_CLOSE, "}").replace(_EQUALS, "=")
    text = re.sub(r" *\u2003[\u2003 ]*", lambda m: m.group(0).replace(" ", ""), text)  # em spaces stay exact
    return re.sub(r"  +", " ", text).strip()


@lru_cache(maxsize=4096)
def to_unicode(latex: str) -> str:
    """Readable Unicode for one LaTeX math expression; the raw source if nothing converts it cleanly."""
    source = latex.strip()
    if not source:
        return ""
    prepared = _prepare(source)
    try:
        converted = _flatlatex().convert(prepared)
        if "\\" not in converted:
            return _tidy(converted)
    except Exception:  # flatlatex raises plain Exceptions on syntax it cannot parse
        pass
    try:
        from pylatexenc.latex2text import LatexNodes2Text

        converted = LatexNodes2Text(math_mode="text").latex_to_text(prepared)
        if "\\" not in converted and converted.strip():
            return _tidy(converted)
    except Exception:  # pylatexenc may raise on malformed input; the raw source still reads fine
        pass
    return source


# -- Markdown -----------------------------------------------------------------------------------
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# One scanner for the inline parts: code spans first (left alone), then $$display$$, then $inline$.
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+).+?(?P=ticks))"
    r"|(?P<escaped>\\\$)"
    r"|\$\$(?P<display>.+?)\$\$"
    r"|\$(?P<inline>[^\s$](?:[^$]*?[^$\\])?)\$(?!\d)",  # a space may end it, as in `$\beta_1 =$`
    re.DOTALL,
)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _escape_markdown(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _inline_math(latex: str) -> str:
    converted = to_unicode(latex)
    if converted == latex.strip() and "\\" in converted:
        return f"`{latex.strip()}`"  # raw fallback, shown as code so Markdown leaves it alone
    return _escape_markdown(converted)


def _top_level_parts(body: str) -> list[str]:
    """A display formula split at its top-level \\qquad: formulas set side by side, one line each
    (a narrow terminal would wrap them anywhere)."""
    parts = [part.strip() for part in re.split(r"\\qquad(?![A-Za-z])", body)]
    if len(parts) > 1 and all(part.count("{") == part.count("}") for part in parts):
        return [part for part in parts if part]
    return [body]


def _display_line(latex: str) -> str:
    converted = to_unicode(latex)
    if converted == latex and "\\" in converted:
        return f"`{latex}`"
    return _escape_markdown(converted)


def _display_math(latex: str) -> str:
    body = " ".join(latex.split())
    lines = [_display_line(part) for part in _top_level_parts(body)]
    # its own paragraph (no indentation made of blank-looking characters: they came along when the
    # formula was copied); several formulas side by side become lines (hard breaks)
    return _DISPLAY_START + "\\\n".join(lines) + "\n\n"


_DISPLAY_START = "\n\n\u2063"  # an invisible separator marks where display math was put (removed below)


def _render_prose(text: str) -> str:
    def replace(match: re.Match) -> str:
        if match.group("code") is not None or match.group("escaped") is not None:
            return match.group(0)
        if match.group("display") is not None:
            return _display_math(match.group("display"))
        return _inline_math(match.group("inline"))

    out = _INLINE.sub(replace, text)
    if _DISPLAY_START in out:  # display math added blank lines around itself
        out = re.sub(r"\n{3,}", "\n\n", out.replace(_DISPLAY_START, "\n\n")).strip("\n")
    return out


def render_math(markdown_text: str) -> str:
    """Markdown with `$...$` as inline Unicode and `$$...$$` as an indented line; code untouched."""
    if "$" not in markdown_text:
        return markdown_text
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    previous_blank = True
    in_list = False

    def flush() -> None:
        if prose:
            out.append(_render_prose("\n".join(prose)))
            prose.clear()

    for line in markdown_text.split("\n"):
        match = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            closing = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
            if closing and not line.strip().lstrip(fence[0]).strip():
                fence = None
            continue
        if match:
            flush()
            fence = match.group(1)
            out.append(line)
        elif line.startswith("    ") and previous_blank and not in_list:
            flush()
            out.append(line)  # an indented code block
        elif not line.strip():
            flush()
            out.append(line)
        else:
            if previous_blank:
                in_list = bool(re.match(r"^ {0,3}([-*+]|\d+[.)])\s", line)) or (in_list and line.startswith(" "))
            prose.append(line)
        previous_blank = not line.strip()
    flush()
    return "\n".join(out)


_PLAIN_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^\s$](?:[^$]*?[^$\\])?)\$(?!\d)", re.DOTALL)


def plain_math(text: str) -> str:
    """Text with `$...$` / `$$...$$` replaced by Unicode, no Markdown escaping (for table cells, hints)."""
    if "$" not in text:
        return text
    return _PLAIN_MATH.sub(lambda m: to_unicode(m.group(1) or m.group(2)), text)


# -- plain text (Brainscape, alternating Q/A, notes, CSV) ----------------------------------------
_NUMBERED = re.compile(r"^(\s{0,3})(\d{1,9})([.)])(?=\s|$)")
_BLOCK_START = re.compile(r"^\s{0,3}(?:[-*+•]\s|#{1,6}\s|>|```|~~~|\||\d{1,9}[.)]\s)")


def render_plain_text(text: str) -> str:
    """Card text imported from plain text, as Markdown that keeps its lines and numbering: Markdown
    would merge single line breaks into one paragraph and renumber `1) 2) 3) 5) 6)` as 1-5.
    Numbers at a line start are escaped (not a list), every line inside a paragraph ends in a hard
    break; math is converted as in `render_math`, code fences are left alone."""
    escaped = [_NUMBERED.sub(r"\1\2\\\3", line) for line in text.split("\n")]
    lines = render_math("\n".join(escaped)).split("\n")
    out: list[str] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is not None or match:
            if fence is None:
                fence = match.group(1)
            elif match and match.group(1)[0] == fence[0] and not line.strip().lstrip(fence[0]).strip():
                fence = None
            out.append(line)
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        continues = bool(line.strip()) and bool(following.strip()) and not _BLOCK_START.match(following) \
            and not _FENCE.match(following) and not line.endswith("\\")
        out.append(line + "\\" if continues else line)
    return "\n".join(out)
