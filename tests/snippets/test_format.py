import pytest

from flashtrain.snippets.format import SnippetError, load_snippets, parse_snippet


def test_parse_reads_metadata_blocks_hints_and_mutants(scale_snippet):
    s = scale_snippet
    assert s.id == "scale_rows" and s.title == "Scale rows" and s.timeout == 0.75
    assert s.hints == ("Broadcasting.", "`f` has shape (n, 1).")
    assert s.description == "Multiply each row of X by its factor."
    assert "return X * f" in s.reference and "def cases" in s.checks and '"""X: (n, m)' in s.starter
    assert [m.name for m in s.mutants] == ["transposed", "in-place"]
    assert s.mutant("in-place").hint == "Do not modify X in place."


def test_loading_never_executes_code(tmp_path, scale_text):
    marker = tmp_path / "ran"
    text = scale_text.replace("def scale_rows(X, f):\n    return X * f",
                                 f"open({str(marker)!r}, 'w').write('x')\ndef scale_rows(X, f):\n    return X * f")
    (tmp_path / "scale_rows.md").write_text(text)
    found = load_snippets([tmp_path])
    assert "scale_rows" in found and not marker.exists()


@pytest.mark.parametrize("edit, message", [
    (("\nHint: Do not modify X in place.\n", "\n"), "must be followed by a paragraph starting with 'Hint:'"),
    (("timeout: 0.75", "timeout: 0.75\nrtoll: 1"), "unknown front-matter key 'rtoll'"),
    (("    return X * f\n", "    return X * (f\n"), "reference: syntax error"),
    (("```python checks\ndef cases(rng):", "```python checks\ndef kases(rng):"), "must define 'def cases(...)'"),
    (("```python mutant transposed", "```python mutant Bad_Name"), "a mutant fence is"),
    (("id: scale_rows", "id: 3x"), "is not a Python function name"),
])
def test_bad_files_are_reported_with_file_and_line(scale_text, edit, message):
    old, new = edit
    assert old in scale_text
    with pytest.raises(SnippetError) as info:
        parse_snippet(scale_text.replace(old, new, 1), "deck/snippets/x.md" if "3x" in new else "<string>")
    assert message in str(info.value)
    assert str(info.value).split(":")[1].isdigit()  # path:line:


def test_id_must_match_file_name(tmp_path, scale_text):
    (tmp_path / "other.md").write_text(scale_text)
    errors = []
    assert load_snippets([tmp_path], errors) == {}
    assert "must equal the file name" in str(errors[0])
