"""Demonstration files (cards/snippets/demo_<name>.md, documented in cards/snippets/README.md):
a short NumPy experiment that shows a card's claim, with the parameters a learner may change and
the claims it asserts. Read WITHOUT executing anything, like exercises (format.py): markdown-it-py's
token stream gives the front matter and fences, `ast` checks the code. The program runs only in
the sandbox (demo_run.py).
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from flashtrain.snippets.format import (_MD, DEMO_PREFIX, IDENTIFIER, SnippetError, _front_matter, _list_items,
                                        _slice, markdown_files)

DEMO_KEYS = {"id", "kind", "title", "tags", "timeout"}
DEMO_ROLES = ("params", "demo")
EXERCISE_ROLES = ("starter", "reference", "checks", "mutant")
DEFAULT_DEMO_TIMEOUT = 5.0
KIND = "demonstration"


@dataclass(frozen=True)
class Param:
    """One knob of a demonstration: `name = value  # comment` in its params block."""
    name: str
    value: object
    comment: str
    line: int  # 1-based line in the file


@dataclass(frozen=True)
class Demonstration:
    id: str
    title: str
    path: str
    params_code: str
    code: str
    params: tuple[Param, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    suggestions: tuple[str, ...] = ()  # the "Try" list: changes worth making, shown beside the code
    timeout: float = DEFAULT_DEMO_TIMEOUT
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)  # role -> fence line

    kind = KIND

    def program(self, params_code: str | None = None) -> str:
        """What runs in the sandbox: the parameters (the learner's edited ones if given), then the
        experiment. This is also the text the app lets the learner edit."""
        params = self.params_code if params_code is None else params_code
        return params.rstrip("\n") + "\n\n" + self.code

    def file_line(self, program_line: int) -> int:
        """The line of this file that line `program_line` of `program()` came from (0 if none)."""
        n_params = len(self.params_code.rstrip("\n").splitlines())
        if 1 <= program_line <= n_params:
            return self.lines["params"] + program_line
        if program_line > n_params + 1:
            return self.lines["demo"] + program_line - n_params - 1
        return 0


def is_demo_id(snippet_id: str) -> bool:
    return snippet_id.startswith(DEMO_PREFIX)


def demo_files(folder: Path) -> list[Path]:
    return [p for p in markdown_files(folder) if is_demo_id(p.stem)]


def parse_demonstration(text: str, path: str | Path = "<string>") -> Demonstration:
    path = str(path)
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    meta: dict = {}
    meta_line = 1
    key_lines: dict[str, int] = {}
    description: list[str] = []
    suggestions: list[str] = []
    blocks: dict[str, tuple[str, int]] = {}
    seen_heading_or_fence = in_try = try_done = False
    tokens = _MD.parse(text)
    for i, tok in enumerate(tokens):
        line = (tok.map[0] + 1) if tok.map else 0
        if tok.type == "front_matter":
            meta, meta_line = _front_matter(tok.content, path, DEMO_KEYS, key_lines), line
        elif tok.level == 0 and tok.type == "heading_open":
            seen_heading_or_fence = True
            in_try = tokens[i + 1].content.strip().lower() == "try" and not try_done
        elif tok.level == 0 and tok.type in ("ordered_list_open", "bullet_list_open") and in_try:
            suggestions = _list_items(tokens, i, lines)
            in_try, try_done = False, True
        elif tok.level == 0 and tok.type == "paragraph_open" and not seen_heading_or_fence:
            description.append(_slice(lines, tok.map))
        elif tok.type == "fence":
            seen_heading_or_fence = True
            _take_fence(tok, line, path, blocks)
    _check_meta(meta, {"": meta_line, **key_lines}, path)
    for role in DEMO_ROLES:
        if role not in blocks:
            raise SnippetError(path, 1, f"missing a '```python {role}' block")
    params = _parse_params(*blocks["params"], path)
    _check_demo_code(*blocks["demo"], path, {p.name for p in params})
    return Demonstration(
        id=meta["id"], title=meta.get("title") or meta["id"], path=path, params_code=blocks["params"][0],
        code=blocks["demo"][0], params=params, tags=tuple(meta.get("tags", ())),
        description="\n\n".join(description), suggestions=tuple(suggestions),
        timeout=meta.get("timeout", DEFAULT_DEMO_TIMEOUT), lines={r: ln for r, (_, ln) in blocks.items()})


def load_demonstration_file(path: Path) -> Demonstration:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SnippetError(str(path), 1, f"cannot read: {error}") from error
    return parse_demonstration(text, path)


def load_demonstrations(dirs, errors: list[SnippetError] | None = None) -> dict[str, Demonstration]:
    """Every demonstration in the given folders, by id (the first folder wins on a duplicate)."""
    found: dict[str, Demonstration] = {}
    for folder in dirs:
        for path in demo_files(Path(folder)):
            try:
                demo = load_demonstration_file(path)
            except SnippetError as error:
                if errors is None:
                    raise
                errors.append(error)
                continue
            found.setdefault(demo.id, demo)
    return found


# -- helpers -------------------------------------------------------------------------------------
def _take_fence(tok, line: int, path: str, blocks: dict) -> None:
    info = tok.info.split()
    if len(info) < 2 or info[0].lower() != "python":
        return  # a plain example fence in the prose
    role = info[1]
    if role in EXERCISE_ROLES:
        raise SnippetError(path, line, f"a demonstration has no 'python {role}' block (only 'python params' and "
                                       "'python demo'); exercises are files without the demo_ prefix")
    if role not in DEMO_ROLES:
        return
    if len(info) != 2:
        raise SnippetError(path, line, f"unexpected words after 'python {role}'")
    if role in blocks:
        raise SnippetError(path, line, f"second 'python {role}' block (first at line {blocks[role][1]})")
    blocks[role] = (tok.content, line)


def _check_meta(meta: dict, key_lines: dict[str, int], path: str) -> None:
    """`key_lines`: each key's line, and under "" the front matter's first line."""
    line = lambda key: key_lines.get(key, key_lines[""])  # noqa: E731
    if "id" not in meta:
        raise SnippetError(path, line(""), "front matter must give 'id:' (demo_<name>, the file name)")
    sid = meta["id"]
    if not IDENTIFIER.match(sid) or not is_demo_id(sid) or sid == DEMO_PREFIX:
        raise SnippetError(path, line("id"), f"a demonstration's id is {DEMO_PREFIX}<name> (letters, digits, _), "
                                            f"found {sid!r}")
    stem = Path(path).stem
    if path != "<string>" and stem != sid:
        raise SnippetError(path, line("id"), f"id {sid!r} must equal the file name ({stem}.md)")
    if meta.get("kind") != KIND:
        raise SnippetError(path, line("kind"), f"a demonstration's front matter says 'kind: {KIND}'"
                                            + (f" (found {meta['kind']!r})" if "kind" in meta else ""))
    timeout = meta.get("timeout")
    if timeout is not None and not 0 < timeout <= 60:
        raise SnippetError(path, line("timeout"), f"timeout out of range: {timeout!r} (0 < timeout <= 60 s)")


def _syntax_tree(code: str, fence_line: int, role: str, path: str) -> ast.Module:
    try:
        return ast.parse(code, filename=path)
    except SyntaxError as error:
        raise SnippetError(path, fence_line + (error.lineno or 1), f"{role}: syntax error: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise SnippetError(path, fence_line, f"{role}: cannot parse: {error}") from None


def _parse_params(code: str, fence_line: int, path: str) -> tuple[Param, ...]:
    """Only `NAME = literal` statements: the knobs must be plain values a learner can change."""
    tree = _syntax_tree(code, fence_line, "params", path)
    comments = _comments(code)
    params: list[Param] = []
    for node in tree.body:
        line = fence_line + node.lineno
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise SnippetError(path, line, "params: only 'name = value' lines (one name, a literal value)")
        name = node.targets[0].id
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise SnippetError(path, line, f"params: {name} must be a plain value (number, string, True/False/None, "
                                           "or a list/tuple of these)") from None
        if any(p.name == name for p in params):
            raise SnippetError(path, line, f"params: {name} is set twice")
        params.append(Param(name, value, comments.get(node.lineno, ""), line))
    if not params:
        raise SnippetError(path, fence_line, "params: a demonstration needs at least one parameter to change")
    return tuple(params)


def _comments(code: str) -> dict[int, str]:
    found: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                found[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _check_demo_code(code: str, fence_line: int, path: str, param_names: set[str]) -> None:
    tree = _syntax_tree(code, fence_line, "demo", path)
    claims = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Name) and node.func.id == "claim"]
    if not claims:
        raise SnippetError(path, fence_line, "demo: state at least one claim(text, holds) about the card's idea")
    for node in claims:
        if len(node.args) + len(node.keywords) < 2:
            raise SnippetError(path, fence_line + node.lineno, "demo: claim() needs the text and the condition")
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    unused = sorted(param_names - loaded)
    if unused:
        raise SnippetError(path, fence_line, f"demo: parameter(s) {', '.join(unused)} never used by the experiment")
