"""Golden tests for LaTeX -> Unicode display (flashtrain.mathtext)."""

import subprocess
import sys

import pytest

from flashtrain.mathtext import render_math, to_unicode

GOLDEN = [
    (r"\beta_1", "β₁"),
    (r"\beta_2", "β₂"),
    (r"\sqrt{x}", "√x"),
    (r"\sqrt{v + \epsilon}", "√(v+ϵ)"),
    (r"\hat{x}", "x̂"),
    (r"\hat{y}_i^2", "ŷᵢ²"),
    (r"\frac{a+b}{c}", "(a+b)/c"),
    (r"\frac{1}{1-\beta^t}", "1/(1-βᵗ)"),
    (r"\frac{v_t}{\sqrt{s_t}+\epsilon}", "vₜ/(√sₜ+ϵ)"),
    (r"x_i^2", "xᵢ²"),
    (r"v_t = \beta v_{t-1} + (1-\beta)\theta_t", "vₜ = β vₜ₋₁ + (1-β)θₜ"),
    (r"a \le b", "a ≤ b"),
    # binary + and - spaced at the top level (or where the source spaced them); signs, scripts,
    # fractions and roots stay compact
    (r"a+b", "a + b"),
    (r"W^{[l]}a^{[l-1]}+b^{[l]}", "W^[l]a^[l-1] + b^[l]"),
    (r"z = w^\top x-b", "z = wᵀx - b"),
    (r"(1 - \beta_1) g", "(1 - β₁) g"),
    (r"x \le -y", "x ≤ -y"),
    (r"-x \pm 1", "-x ± 1"),
    (r"z_{norm}+", "zₙₒᵣₘ+"),
    (r"a \ge b", "a ≥ b"),
    (r"\mathrm{softmax}(z)", "softmax(z)"),
    (r"\text{if } x > 0", "if x > 0"),
    (r"\operatorname{diag}(v)", "diag(v)"),
    (r"\log x", "log x"),
    (r"x^\top y", "xᵀy"),
    (r"\left( \frac{a}{b} \right)", "(a/b)"),
    (r"\mathbf{A}^{-1}", "𝐀⁻¹"),
    (r"x \in \mathbb{R}^{n}", "x ∈ ℝⁿ"),
    (r"x^{(i)}", "x⁽ⁱ⁾"),
    # spacing commands are spaces; \quad and \qquad keep formulas apart (em spaces)
    (r"a = 1 \qquad b = 2", "a = 1\u2003\u2003\u2003\u2003b = 2"),
    (r"a = 1, \quad b = 2", "a = 1,\u2003\u2003b = 2"),
    (r"m\,d\hat Z", "m dẐ"),
    (r"\beta\;\text{running}", "β running"),
    (r"\hat y_j^{\,y_j}", "(ŷⱼ)^(yⱼ)"),
    # big operators with limits read left to right, the summand after a space
    (r"\sum_{i=1}^{m} z^{(i)}", "∑ᵢ₌₁ᵐ z⁽ⁱ⁾"),
    (r"\frac{1}{m}\sum_{i=1}^{m} z^{(i)}", "(1/m)∑ᵢ₌₁ᵐ z⁽ⁱ⁾"),
    (r"\prod_{t=1}^{n} x_t", "∏ₜ₌₁ⁿ xₜ"),
    (r"-\sum_{j=1}^{C} y_j \log \hat y_j", "-∑_{j=1..C} yⱼ log ŷⱼ"),  # no superscript C in Unicode
    (r"\sum_i x_i", "∑ᵢ xᵢ"),
    # words after a command stay (\cdot\text{epoch} once lost "epoch")
    (r"\alpha_0/(1 + \text{decay\_rate}\cdot\text{epoch})", "α₀/(1 + decay_rate·epoch)"),
    (r"P(y = 1 \mid x)", "P(y = 1 ∣ x)"),
    (r"W^{[l]}", "W^[l]"),
    (r"\|W\|_F^2", "‖W‖²_F"),
]


@pytest.mark.parametrize("latex, expected", GOLDEN)
def test_to_unicode_golden(latex, expected):
    assert to_unicode(latex) == expected


def test_unconvertible_falls_back_to_raw_source():
    # A command neither converter knows stays readable as its LaTeX source.
    assert to_unicode(r"\unknownthing") == r"\unknownthing"
    assert to_unicode("") == ""


def test_pylatexenc_is_the_second_chance():
    # flatlatex cannot do environments; pylatexenc flattens the matrix to something readable.
    out = to_unicode(r"\begin{pmatrix} a & b \end{pmatrix}")
    assert "\\" not in out and "a" in out and "b" in out


def test_render_math_inline_and_display():
    text = "Because $v_0 = 0$, divide by $1-\\beta^t$.\n\n$$\n\\hat{v}_t = \\frac{v_t}{1-\\beta^t}\n$$\n\nEnd."
    out = render_math(text)
    assert "Because v₀ = 0, divide by 1 - βᵗ." in out
    assert "$" not in out
    display = [line for line in out.split("\n") if "v̂" in line]
    assert display == ["v̂ₜ = vₜ/(1-βᵗ)"]  # its own paragraph, no blank-looking indent to copy along
    assert out.endswith("End.")


def test_display_formulas_side_by_side_become_lines_and_inline_gaps_survive_markdown():
    out = render_math("Per unit:\n\n$$\n\\mu = \\frac{1}{m}\\sum_{i=1}^{m} z^{(i)} \\qquad \\sigma^2 = 1\n$$\n\nEnd.")
    assert "\n\nμ = (1/m)∑ᵢ₌₁ᵐ z⁽ⁱ⁾\\\nσ² = 1\n\n" in out  # a hard line break between them
    inline = render_math("$a = 1 \\qquad b = 2$")
    assert inline == "a = 1" + "\u2003" * 4 + "b = 2"  # em spaces: real spaces when copied
    assert "\u2800" not in out + inline


def test_render_math_leaves_code_untouched():
    text = "Use `$x$` here and $\\alpha$.\n\n```python\ns = \"$a_1$\"\n```\n"
    out = render_math(text)
    assert "`$x$`" in out
    assert 's = "$a_1$"' in out
    assert "α" in out


def test_render_math_keeps_prices_and_escaped_dollars():
    assert render_math("costs \\$5 and $10 total") == "costs \\$5 and $10 total"
    assert render_math("no math here") == "no math here"


def test_render_math_escapes_markdown_in_output():
    # a_b^* must not start emphasis in the Markdown widget
    out = render_math("$x^*$ and $y^*$")
    assert "*" not in out.replace("\\*", "")


def test_raw_fallback_is_a_code_span():
    assert render_math(r"see $\unknownthing$") == "see `\\unknownthing`"


def test_mathtext_does_not_import_textual():
    code = "import flashtrain.mathtext, sys; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_plain_math_for_table_cells():
    from flashtrain.mathtext import plain_math

    assert plain_math("Batch norm outputs $\\tilde z = \\gamma z_i$ here") == "Batch norm outputs z̃ = γ zᵢ here"
    assert plain_math("no math, $5 only") == "no math, $5 only"


def _bundled_math() -> list[tuple[str, int, str]]:
    """(file, line, latex) for every $...$ and $$...$$ outside code in the bundled decks."""
    import re

    from flashtrain.mathtext import _FENCE, _INLINE
    from flashtrain.paths import bundled_cards_dir

    found = []
    for path in sorted(bundled_cards_dir().glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        fence = None
        kept = []
        for line in lines:  # blank out fenced code so its dollars are not math
            match = _FENCE.match(line)
            if fence is not None:
                if match and match.group(1)[0] == fence[0]:
                    fence = None
                kept.append("")
            elif match:
                fence = match.group(1)
                kept.append("")
            else:
                kept.append(line)
        prose = "\n".join(kept)
        for match in _INLINE.finditer(prose):
            latex = match.group("display") or match.group("inline")
            if latex is not None:
                found.append((path.name, prose.count("\n", 0, match.start()) + 1, " ".join(latex.split())))
        assert not re.search(r"\$\$", _INLINE.sub("", prose)), f"{path.name}: unmatched $$"
    return found


def test_every_formula_in_the_bundled_decks_converts():
    formulas = _bundled_math()
    assert len(formulas) > 50  # the decks are full of math; an empty list would hide a broken scan
    bad = [f"{name}:{line}: {latex!r} -> {to_unicode(latex)!r}" for name, line, latex in formulas
           if "\\" in to_unicode(latex) or not to_unicode(latex).strip()]
    assert not bad, "\n".join(bad)


# Issue 10: formulas that used to come out wrong or unreadable.
@pytest.mark.parametrize("latex, expected", [
    (r"\left\lfloor \frac{n+2p-f}{s} \right\rfloor + 1", "⌊(n+2p-f)/s⌋ + 1"),  # was ⌊n + 2p - f/s⌋ + 1
    (r"\lceil n/2 \rceil", "⌈n/2⌉"),
    (r"W^{[l]} a^{[l-1]} + b^{[l]}", "W^[l] a^[l-1] + b^[l]"),  # the author's space stays
    (r"\gamma z_{norm} + \beta", "γ zₙₒᵣₘ + β"),
    (r"\frac{1}{1-\beta}", "1/(1-β)"),  # not ¹⁄₁₋ᵦ
    (r"\frac{f-1}{2}", "(f-1)/2"),  # not ᶠ⁻¹⁄₂
    (r"v_{dW}", "v_dW"),  # not v[dW], which reads like the layer superscript W^[l]
    (r"\hat{y}_q", "ŷ_q"),
    (r"x_{i+q}", "x_(i+q)"),
    (r"\hat Z \alpha \beta", "Ẑ αβ"),  # after \hat (takes an argument) or between symbols: syntax
])
def test_issue_10_formulas(latex, expected):
    assert to_unicode(latex) == expected
