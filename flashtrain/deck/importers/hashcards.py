"""hashcards decks (github.com/eudoxia0/hashcards), from its documented format.

`Q:`/`A:` cards (both sides may span lines), `C:` cloze cards whose deletions are `[square
brackets]` (a Markdown link `[text](url)` or image is not a deletion), and optional TOML front
matter between `---` lines (`name = "Deck"` names the deck). Cards are otherwise our own format's
`Q:`/`A:`/`C:` blocks, so the text is rewritten line for line into our format (clozes as `{{…}}`,
front matter as `name:`) and read by our parser: line numbers in messages stay the file's.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace

from flashtrain.deck.markdown_format import parse_markdown_deck
from flashtrain.deck.model import DeckError, DeckSpec
from flashtrain.deck.importers._common import split_lines

FORMAT = "hashcards"
TOML_LINE = re.compile(r"^\s*[A-Za-z_][\w-]*\s*=\s*\S")
BRACKET_CLOZE = re.compile(r"(?<![!\\\]])\[([^\[\]\n]+)\](?!\()")
CARD_START = re.compile(r"^(Q|C):(\s|$)")


def _front_matter(lines: list[str]) -> tuple[int, list[str]] | None:
    """(end line index, body lines) of a TOML front matter block, or None."""
    if not lines or lines[0].strip() != "---":
        return None
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() == "---":
            body = lines[1:end]
            if body and all(TOML_LINE.match(line) or not line.strip() or line.lstrip().startswith("#") for line in body):
                return end, body
            return None
    return None


def looks_like(text: str, path: str) -> float:
    lines = split_lines(text.lstrip("\ufeff")[:200_000])
    toml = _front_matter(lines) is not None
    cloze_brackets = any(line.startswith("C:") and BRACKET_CLOZE.search(line) and "{{" not in line for line in lines)
    cards = any(CARD_START.match(line) for line in lines)
    if cards and (toml or cloze_brackets):
        return 0.99  # our own format reads Q:/A: too (0.9), but neither TOML front matter nor [clozes]
    return 0.0


def parse(text: str, path: str = "<string>", deck_name: str | None = None) -> DeckSpec:
    path = str(path)
    lines = split_lines(text.lstrip("\ufeff"))
    matter = _front_matter(lines)
    name = deck_name
    if matter is not None:
        end, body = matter
        try:
            data = tomllib.loads("\n".join(body))
        except tomllib.TOMLDecodeError as error:
            raise DeckError(path, 2, f"expected TOML front matter (name = \"Deck\"): {error}") from None
        name = name or (str(data["name"]) if "name" in data else None)
        lines = ["---"] + ["# " + line for line in body] + ["---"] + lines[end + 1:]
    in_cloze = in_fence = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if CARD_START.match(line):
            in_cloze = line.startswith("C:")
        elif line.startswith("A:"):
            in_cloze = False
        if in_cloze and not in_fence:
            lines[i] = BRACKET_CLOZE.sub(lambda m: "{{" + m.group(1) + "}}", line)
    deck = parse_markdown_deck("\n".join(lines), path, name)
    return replace(deck, format=FORMAT)
