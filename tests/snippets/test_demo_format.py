"""Demonstration files (cards/snippets/demo_*.md): parsing, errors with path:line, and how they are
told apart from exercises. Nothing here runs a program (test_demo_runs.py does, in the sandbox)."""

import textwrap

import pytest

from flashtrain.snippets.demo_format import (demo_files, is_demo_id, load_demonstration_file,
                                             load_demonstrations, parse_demonstration)
from flashtrain.snippets.format import SnippetError, parse_snippet, snippet_files
from flashtrain.snippets.library import bundled_snippets_dir

DEMO = textwrap.dedent('''\
    ---
    id: demo_square
    kind: demonstration
    title: Squares grow
    tags: [toy]
    timeout: 3
    ---

    Squares of numbers above one grow faster than the numbers.

    ## Try

    1. Set `x = 0.5`.
    2. Set `power = 3`.

    ```python params
    x = 2.0      # the number to square
    power = 2    # the exponent
    ```

    Some prose between the blocks.

    ```python demo
    y = x ** power
    print(y)
    claim("the power is larger than the number", y > x, detail=f"{y}")
    ```
    ''')


def parse(text=DEMO, path="<string>"):
    return parse_demonstration(text, path)


def test_parse_reads_metadata_params_code_and_suggestions():
    d = parse()
    assert (d.id, d.title, d.tags, d.timeout, d.kind) == ("demo_square", "Squares grow", ("toy",), 3.0,
                                                          "demonstration")
    assert d.description == "Squares of numbers above one grow faster than the numbers."
    assert d.suggestions == ("Set `x = 0.5`.", "Set `power = 3`.")
    assert [(p.name, p.value, p.comment) for p in d.params] == [("x", 2.0, "the number to square"),
                                                                ("power", 2, "the exponent")]
    assert d.params[0].line == 17 and d.lines == {"params": 16, "demo": 23}
    assert d.code.startswith("y = x ** power")


def test_program_is_params_then_code_and_maps_back_to_file_lines():
    d = parse()
    program = d.program()
    assert program.splitlines()[0] == "x = 2.0      # the number to square"
    assert program.splitlines()[3] == "y = x ** power"
    assert [d.file_line(n) for n in (1, 2, 3, 4, 6)] == [17, 18, 0, 24, 26]
    edited = d.program("x = 0.5\npower = 3\n")
    assert edited.startswith("x = 0.5\npower = 3\n\ny = x ** power")


@pytest.mark.parametrize("old, new, line, message", [
    ("id: demo_square\n", "", 1, "must give 'id:'"),
    ("id: demo_square", "id: square", 2, "id is demo_<name>"),
    ("kind: demonstration\n", "", 1, "says 'kind: demonstration'"),
    ("kind: demonstration", "kind: exercise", 3, "(found 'exercise')"),
    ("timeout: 3", "timout: 3", 6, "unknown front-matter key 'timout'"),
    ("timeout: 3", "timeout: 600", 6, "timeout out of range"),
    ("power = 2    # the exponent", "power = abs(-2)", 18, "power must be a plain value"),
    ("power = 2    # the exponent", "print(1)", 18, "only 'name = value' lines"),
    ("power = 2    # the exponent", "x = 3", 18, "x is set twice"),
    ("power = 2    # the exponent", "power = (2", 18, "params: syntax error"),
    ('claim("the power is larger than the number", y > x, detail=f"{y}")', "pass", 23, "at least one claim"),
    ('claim("the power is larger than the number", y > x, detail=f"{y}")', "claim(y > x)", 26, "needs the text"),
    ("y = x ** power", "y = x ** 2", 23, "parameter(s) power never used"),
    ("print(y)", "print(y", 25, "demo: syntax error"),
    ("```python demo", "```python reference", 23, "has no 'python reference' block"),
    ("```python demo", "```python demo extra", 23, "unexpected words after 'python demo'"),
    ("```python demo", "```python params", 23, "second 'python params' block (first at line 16)"),
])
def test_bad_files_are_reported_with_path_and_line(old, new, line, message):
    assert old in DEMO
    with pytest.raises(SnippetError) as info:
        parse(DEMO.replace(old, new, 1), "deck/snippets/demo_square.md")
    assert str(info.value).startswith(f"deck/snippets/demo_square.md:{line}: ")
    assert message in str(info.value)


def test_missing_blocks_and_file_name_mismatch():
    no_demo = DEMO[:DEMO.index("```python demo")]
    with pytest.raises(SnippetError, match=r"^<string>:1: missing a '```python demo' block"):
        parse(no_demo)
    with pytest.raises(SnippetError, match=r"^deck/snippets/demo_other.md:2: id 'demo_square' must equal"):
        parse(DEMO, "deck/snippets/demo_other.md")


def test_an_exercise_cannot_claim_to_be_a_demonstration(scale_text):
    with pytest.raises(SnippetError, match=r":3: .*kind must be 'exercise'"):
        parse_snippet(scale_text.replace("title:", "kind: demonstration\ntitle:"))
    with pytest.raises(SnippetError, match="must not start with 'demo_'"):
        parse_snippet(scale_text.replace("id: scale_rows", "id: demo_rows"))


def test_folders_list_each_kind_separately_and_loading_runs_nothing(tmp_path, scale_text):
    marker = tmp_path / "ran"
    (tmp_path / "demo_square.md").write_text(DEMO.replace("y = x ** power", f"open({str(marker)!r}, 'w')\n"
                                                                            "y = x ** power"))
    (tmp_path / "scale_rows.md").write_text(scale_text)
    (tmp_path / "README.md").write_text("not a snippet")
    assert [p.name for p in snippet_files(tmp_path)] == ["scale_rows.md"]
    assert [p.name for p in demo_files(tmp_path)] == ["demo_square.md"]
    assert list(load_demonstrations([tmp_path])) == ["demo_square"] and not marker.exists()


def test_bad_demonstrations_are_collected_not_raised_when_asked(tmp_path):
    (tmp_path / "demo_square.md").write_text(DEMO.replace("kind: demonstration\n", ""))
    errors = []
    assert load_demonstrations([tmp_path], errors) == {}
    assert len(errors) == 1 and str(errors[0]).startswith(str(tmp_path / "demo_square.md") + ":1:")
    with pytest.raises(SnippetError):
        load_demonstrations([tmp_path])


def test_unreadable_file_is_an_error_with_its_path(tmp_path):
    path = tmp_path / "demo_bad.md"
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(SnippetError, match=r"demo_bad.md:1: cannot read"):
        load_demonstration_file(path)


BUNDLED = demo_files(bundled_snippets_dir())


def test_there_are_bundled_demonstrations():
    assert len(BUNDLED) >= 40


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_demonstration_is_well_formed(path):
    d = load_demonstration_file(path)
    assert is_demo_id(d.id) and d.title != d.id, "a title"
    assert d.description, "says what the experiment shows"
    assert d.suggestions, "a Try list: what to change"
    assert d.params, "at least one parameter"
