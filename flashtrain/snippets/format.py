"""Snippet files (cards/snippets/<id>.md, documented in cards/snippets/README.md), read WITHOUT
executing them: markdown-it-py's token stream gives the fences, hints and front matter, and
`ast.parse` (which compiles nothing and runs nothing) validates each code block. Snippets from
imported decks are untrusted, so this module must never exec/eval/import their code.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

_MD = MarkdownIt("commonmark").use(front_matter_plugin)
MUTANT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ROLES = ("starter", "reference", "checks", "mutant")
META_KEYS = {"id", "kind", "title", "tags", "rtol", "atol", "timeout"}
DEMO_PREFIX = "demo_"  # a demonstration's id starts with it, an exercise's never (demo_format.py)
DEFAULT_RTOL, DEFAULT_ATOL, DEFAULT_TIMEOUT = 1e-6, 1e-9, 2.0


class SnippetError(Exception):
    """A snippet file that cannot be used; str() is 'path:line: message'."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class Mutant:
    name: str
    code: str
    hint: str
    line: int  # 1-based line of the fence in the file


@dataclass(frozen=True)
class Snippet:
    id: str
    title: str
    path: str
    starter: str
    reference: str
    checks: str
    tags: tuple[str, ...] = ()
    description: str = ""
    hints: tuple[str, ...] = ()
    mutants: tuple[Mutant, ...] = ()
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    timeout: float = DEFAULT_TIMEOUT
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)  # role -> fence line

    kind = "exercise"  # a demonstration (demo_format.Demonstration) says "demonstration"

    def mutant(self, name: str) -> Mutant:
        for m in self.mutants:
            if m.name == name:
                return m
        raise KeyError(name)

    def to_request(self):
        """What the worker needs (protocol.SnippetSpec: code travels as text, runs only in children).
        Made once per snippet (it is frozen): the spec's key() is then hashed once too."""
        try:
            return _cached_request(self)
        except TypeError:  # a field holding something unhashable (a list for a tuple): not cached
            return _request_of(self)


def _request_of(snippet: Snippet):
    from flashtrain.snippets.protocol import MutantSpec, SnippetSpec

    return SnippetSpec(id=snippet.id, reference=snippet.reference, checks=snippet.checks, rtol=snippet.rtol,
                       atol=snippet.atol, timeout=snippet.timeout,
                       mutants=tuple(MutantSpec(m.name, m.code, m.hint) for m in snippet.mutants))


_cached_request = functools.lru_cache(maxsize=256)(_request_of)


def parse_snippet(text: str, path: str | Path = "<string>") -> Snippet:
    path = str(path)
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    tokens = _MD.parse(text)
    meta: dict = {}
    meta_line = 1
    key_lines: dict[str, int] = {}
    description: list[str] = []
    hints: list[str] = []
    blocks: dict[str, tuple[str, int]] = {}
    mutants: list[tuple[str, str, int]] = []
    mutant_hints: dict[int, str] = {}  # index in mutants -> hint
    awaiting_hint: int | None = None  # index of the mutant whose Hint: paragraph comes next
    seen_heading_or_fence = False
    in_hints_section = False
    hints_done = False
    for i, tok in enumerate(tokens):
        line = (tok.map[0] + 1) if tok.map else 0
        if tok.type == "front_matter":
            meta, meta_line = _front_matter(tok.content, path, key_lines=key_lines), line
        elif tok.level == 0 and tok.type == "heading_open":
            seen_heading_or_fence = True
            title = tokens[i + 1].content.strip().lower()
            in_hints_section = title == "hints" and not hints_done
        elif tok.level == 0 and tok.type in ("ordered_list_open", "bullet_list_open") and in_hints_section:
            hints = _list_items(tokens, i, lines)
            in_hints_section, hints_done = False, True
        elif tok.level == 0 and tok.type == "paragraph_open":
            body = _slice(lines, tok.map)
            if awaiting_hint is not None:
                if not re.match(r"(?i)^hint:", body):
                    raise SnippetError(path, line, f"mutant {mutants[awaiting_hint][0]!r} must be followed "
                                                   "by a paragraph starting with 'Hint:'")
                mutant_hints[awaiting_hint] = body.split(":", 1)[1].strip()
                awaiting_hint = None
            elif not seen_heading_or_fence:
                description.append(body)
        elif tok.type == "fence":
            seen_heading_or_fence = True
            info = tok.info.split()
            if len(info) >= 2 and info[0].lower() == "python" and info[1] in ROLES:
                role = info[1]
                if awaiting_hint is not None:
                    raise SnippetError(path, line, f"mutant {mutants[awaiting_hint][0]!r} needs a 'Hint:' "
                                                   "paragraph before the next block")
                if role == "mutant":
                    if len(info) != 3 or not MUTANT_NAME.match(info[2]):
                        raise SnippetError(path, line, "a mutant fence is '```python mutant NAME' with NAME "
                                                       "made of a-z, 0-9 and '-'")
                    if any(m[0] == info[2] for m in mutants):
                        raise SnippetError(path, line, f"duplicate mutant name {info[2]!r}")
                    mutants.append((info[2], tok.content, line))
                    awaiting_hint = len(mutants) - 1
                else:
                    if len(info) != 2:
                        raise SnippetError(path, line, f"unexpected words after 'python {role}'")
                    if role in blocks:
                        raise SnippetError(path, line, f"second 'python {role}' block (first at line "
                                                       f"{blocks[role][1]})")
                    blocks[role] = (tok.content, line)
    if awaiting_hint is not None:
        raise SnippetError(path, mutants[awaiting_hint][2], f"mutant {mutants[awaiting_hint][0]!r} must be "
                                                            "followed by a paragraph starting with 'Hint:'")
    if "id" not in meta:
        raise SnippetError(path, meta_line, "front matter must give 'id:' (the function name)")
    sid = meta["id"]
    kind = meta.get("kind", "exercise")
    if kind != "exercise" or sid.startswith(DEMO_PREFIX):
        raise SnippetError(path, key_lines.get("kind", key_lines["id"]), f"{sid!r} is read as an exercise, so its kind must be 'exercise' and "
                                            f"its id must not start with {DEMO_PREFIX!r}; a demonstration is a "
                                            f"file named {DEMO_PREFIX}<name>.md with 'kind: demonstration'")
    if not IDENTIFIER.match(sid):
        raise SnippetError(path, meta_line, f"id {sid!r} is not a Python function name")
    stem = Path(path).stem
    if path != "<string>" and stem != sid:
        raise SnippetError(path, meta_line, f"id {sid!r} must equal the file name ({stem}.md)")
    for role in ("starter", "reference", "checks"):
        if role not in blocks:
            raise SnippetError(path, 1, f"missing a '```python {role}' block")
    for role, (code, line) in blocks.items():
        _check_code(path, line, role, code, "cases" if role == "checks" else sid)
    for name, code, line in mutants:
        _check_code(path, line, f"mutant {name}", code, sid)
    return Snippet(
        id=sid, title=meta.get("title") or sid, path=path, tags=tuple(meta.get("tags", ())),
        description="\n\n".join(description), hints=tuple(hints),
        starter=blocks["starter"][0], reference=blocks["reference"][0], checks=blocks["checks"][0],
        mutants=tuple(Mutant(n, c, mutant_hints[k], ln) for k, (n, c, ln) in enumerate(mutants)),
        rtol=meta.get("rtol", DEFAULT_RTOL), atol=meta.get("atol", DEFAULT_ATOL),
        timeout=meta.get("timeout", DEFAULT_TIMEOUT),
        lines={role: ln for role, (_, ln) in blocks.items()})


def load_snippet_file(path: Path) -> Snippet:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SnippetError(str(path), 1, f"cannot read: {error}") from error
    return parse_snippet(text, path)


def snippet_files(folder: Path) -> list[Path]:
    """The exercise files in a snippets folder (demonstrations, `demo_*.md`, are listed by
    demo_format.demo_files)."""
    return [p for p in markdown_files(folder) if not p.stem.startswith(DEMO_PREFIX)]


def markdown_files(folder: Path) -> list[Path]:
    """Every snippet file of either kind in a folder (README.md is not one)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")


def load_snippets(dirs, errors: list[SnippetError] | None = None) -> dict[str, Snippet]:
    """Every snippet in the given folders, by id; nothing is executed. The first folder wins on a
    duplicate id. Bad files raise SnippetError unless an `errors` list is given to collect them."""
    found: dict[str, Snippet] = {}
    for folder in dirs:
        for path in snippet_files(Path(folder)):
            try:
                snippet = load_snippet_file(path)
            except SnippetError as error:
                if errors is None:
                    raise
                errors.append(error)
                continue
            found.setdefault(snippet.id, snippet)
    return found


# -- helpers -------------------------------------------------------------------------------------
def _front_matter(content: str, path: str, keys: set[str] = META_KEYS, key_lines: dict | None = None) -> dict:
    """The front matter's values by key; `key_lines`, if given, receives each key's file line."""
    meta: dict = {}
    for k, raw in enumerate(content.splitlines()):
        line0 = k + 2  # line 1 is the opening '---'
        stripped = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not stripped:
            continue
        key, sep, value = stripped.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not sep:
            raise SnippetError(path, line0, f"expected 'key: value' in the front matter, found {stripped!r}")
        if key not in keys:
            raise SnippetError(path, line0, f"unknown front-matter key {key!r} (known: {', '.join(sorted(keys))})")
        if key_lines is not None:
            key_lines[key] = line0
        if key == "tags":
            value = value.strip("[]")
            meta[key] = tuple(t.strip().strip("'\"") for t in value.split(",") if t.strip())
        elif key in ("rtol", "atol", "timeout"):
            try:
                number = float(value)
            except ValueError:
                raise SnippetError(path, line0, f"{key} must be a number, found {value!r}") from None
            if not (number >= 0) or number == float("inf") or (key == "timeout" and not 0 < number <= 60):
                raise SnippetError(path, line0, f"{key} out of range: {value!r}")
            meta[key] = number
        else:
            meta[key] = value.strip("'\"")
    return meta


def _slice(lines: list[str], span) -> str:
    start, end = span
    return "\n".join(lines[start:end]).strip()


def _list_items(tokens, start: int, lines: list[str]) -> list[str]:
    items = []
    depth = tokens[start].level
    for tok in tokens[start + 1:]:
        if tok.level == depth and tok.type in ("ordered_list_close", "bullet_list_close"):
            break
        if tok.type == "list_item_open" and tok.level == depth + 1 and tok.map:
            text = _slice(lines, tok.map)
            text = re.sub(r"^\s*(?:\d+[.)]|[-*+])\s+", "", text)
            items.append("\n".join(part.strip() for part in text.splitlines()))
    return items


def _check_code(path: str, fence_line: int, role: str, code: str, must_define: str) -> None:
    try:
        tree = ast.parse(code, filename=path)
    except SyntaxError as error:
        raise SnippetError(path, fence_line + (error.lineno or 1), f"{role}: syntax error: {error.msg}") from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise SnippetError(path, fence_line, f"{role}: cannot parse: {error}") from None
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if must_define not in defined:
        raise SnippetError(path, fence_line, f"{role} block must define 'def {must_define}(...)'")
