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
    (r"v_t = \beta v_{t-1} + (1-\beta)\theta_t", "vₜ = βvₜ₋₁+(1-β)θₜ"),
    (r"a \le b", "a ≤ b"),
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
    assert "Because v₀ = 0, divide by 1-βᵗ." in out
    assert "$" not in out
    display = [line for line in out.split("\n") if "v̂" in line]
    assert display == ["\u2003\u2003v̂ₜ = vₜ/(1-βᵗ)"]
    assert out.endswith("End.")


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

    assert plain_math("Batch norm outputs $\\tilde z = \\gamma z_i$ here") == "Batch norm outputs z̃ = γzᵢ here"
    assert plain_math("no math, $5 only") == "no math, $5 only"
