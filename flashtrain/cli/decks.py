"""`flashtrain import | export | decks | locate`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flashtrain.cli import common
from flashtrain.cli.common import UserError

EXPORT_FORMATS = ("markdown", "anki", "csv", "apkg")
EXPORT_SUFFIX = {"markdown": ".md", "anki": ".txt", "csv": ".csv"}


# The importer registry's names, spelled out so that building the parser imports no importer
# (a test keeps the two equal).
IMPORT_FORMATS = ("alternating", "anki", "brainscape", "csv", "hashcards", "logseq", "markdown", "mochi", "notes",
                  "obsidian", "org-drill")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import deck files or folders into the store")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--deck", metavar="NAME", help="put the cards in this deck (default: from the file)")
    p.add_argument("--format", choices=IMPORT_FORMATS, help="input format (default: detected from content)")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("--trust", action="store_true", help="trust the deck's code snippets to run")
    p.add_argument("--prefer-file", action="store_true",
                   help="apply the file's version even to cards you edited in the app")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("export", help="export decks as Markdown, Anki TXT, CSV or an Anki package (.apkg)")
    p.add_argument("--deck", metavar="NAME", help="only this deck (default: all decks)")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="markdown")
    p.add_argument("--out", metavar="PATH", type=Path,
                   help="file for one deck, folder for several (default: standard output)")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("decks", help="list decks with card counts")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_decks)

    p = sub.add_parser("locate", help="print the paths flashtrain uses")
    common.add_json_option(p)
    p.set_defaults(handler=cmd_locate)


def answer_if_unchanged(args) -> int | None:
    """Files imported before with the same bytes: answered from the store with sqlite3 before the
    heavy modules load (services/import_check.py); None when the full import must run."""
    if args.dry_run or args.trust or args.prefer_file:
        return None
    store_path = common.quick_store_path(args)
    if store_path is None:
        return None
    from flashtrain.services.import_check import unchanged_imports

    reports = unchanged_imports(store_path, args.paths, args.format, args.deck)
    return None if reports is None else report_imports(args, reports)


def cmd_import(args: argparse.Namespace) -> int:
    # Without --deck/--format, cli.quick.try_quick_import already asked before the parser was built.
    answered = answer_if_unchanged(args) if (args.deck or args.format) else None
    if answered is not None:
        return answered
    from flashtrain.services.imports import import_paths

    # A dry run writes nothing, not even the bundled decks a new store would get on first use.
    store = common.open_store(args, bundled=not args.dry_run)
    reports = import_paths(store, args.paths, fmt=args.format, deck_name=args.deck, dry_run=args.dry_run,
                           trust=args.trust, prefer_file=args.prefer_file)
    warn_unknown_snippets(store, reports)
    return report_imports(args, reports)


def report_imports(args: argparse.Namespace, reports) -> int:
    rejected = [r for r in reports if r.status == "rejected"]
    skipped = [r for r in reports if r.status == "skipped"]
    if not rejected and skipped and len(skipped) == len(reports):
        rejected = skipped  # a folder with nothing to import is not a success
    if args.json:
        common.print_json({"dry_run": args.dry_run, "files": [r.to_dict() for r in reports]})
    else:
        for report in reports:
            for warning in report.warnings:
                print(warning, file=sys.stderr)
            if report.status in ("rejected", "skipped"):
                print(report.error, file=sys.stderr)
                continue
            changes = (f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
                       f"{report.retired} retired" + (f", {report.restored} restored" if report.restored else ""))
            if report.format == "apkg":
                changes += (f"; reviews {report.reviews_added} added, {report.reviews_duplicate} already stored, "
                            f"{report.reviews_skipped} skipped; {report.media_stored} media")
            note = " (file unchanged, skipped)" if report.status == "unchanged" else ""
            print(f"{report.deck}: {changes}{note}  [{report.path}, {report.format}]")
        if args.dry_run:
            print("dry run: nothing was written")
        if rejected and rejected is skipped:
            print("nothing to import: every file was skipped", file=sys.stderr)
        elif rejected:
            others = "; the others were imported" if len(rejected) < len(reports) - len(skipped) else ""
            print(f"{len(rejected)} of {len(reports) - len(skipped)} file(s) rejected{others}", file=sys.stderr)
    return common.EXIT_REJECTED if rejected else common.EXIT_OK


def warn_unknown_snippets(store, reports) -> None:
    """A `snippet:` link to a snippet that exists nowhere is imported, with a warning at its line."""
    linking = [r for r in reports if r.status != "rejected" and r.snippet_links]
    if not linking:
        return
    from flashtrain.deck.model import ParseWarning
    from flashtrain.snippets.library import SnippetLibrary, load_snippets

    known = set(SnippetLibrary.from_store(store).ids())
    for report in linking:
        beside = Path(report.path).parent / "snippets"
        local = set(load_snippets([beside], [])) if beside.is_dir() else set()
        for line, snippet_id in report.snippet_links:
            if snippet_id not in known and snippet_id not in local:
                report.warnings.append(ParseWarning(report.path, line, (
                    f"no snippet {snippet_id!r} (not bundled, not in {beside}); the card is imported without "
                    "code to run (`flashtrain snippets` lists the snippets and the links that point nowhere)")))


def cmd_export(args: argparse.Namespace) -> int:
    if args.format == "apkg":
        return _export_apkg(args)
    from flashtrain.services.decks import deck_specs

    store = common.open_store(args)
    try:
        specs = deck_specs(store, args.deck)
    finally:
        store.close()
    if not specs:
        raise UserError(f"no deck named {args.deck!r} (see `flashtrain decks`)" if args.deck else "no decks")
    write = _writer(args.format)
    if args.out is None:
        if len(specs) > 1 and args.format != "csv":
            raise UserError("several decks: give --deck NAME or --out FOLDER", common.EXIT_USAGE)
        if len(specs) > 1:
            # CSV has no deck column: one table of every card (one header), not one CSV per deck
            # glued together, which would not read back as CSV.
            from flashtrain.deck.model import DeckSpec

            specs = [DeckSpec(name="all decks", cards=tuple(card for spec in specs for card in spec.cards))]
        for spec in specs:
            sys.stdout.write(write(spec))
        return common.EXIT_OK
    targets = _export_targets(args.out, specs, args.format)
    for target, spec in targets:
        _write_atomically(target, write(spec))
        print(f"{spec.name}: {len(spec.cards)} cards -> {target}")
    return common.EXIT_OK


def _export_apkg(args: argparse.Namespace) -> int:
    """One package holding the chosen deck and its sub-decks, or every deck."""
    from flashtrain.services.anki_export import ExportError, export_apkg

    if args.out is None or args.out.is_dir():
        raise UserError("--format apkg writes one package file: give --out FILE.apkg", common.EXIT_USAGE)
    store = common.open_store(args)
    try:
        summary = export_apkg(store, args.out, args.deck)
    except ExportError as error:
        raise UserError(str(error)) from None
    for name in summary.missing_media:
        print(f"{args.out}: warning: media file {name!r} is not in the store; the card refers to it", file=sys.stderr)
    print(f"{summary.notes} notes, {summary.cards} cards, {summary.reviews} reviews, {summary.media} media "
          f"-> {args.out}")
    return common.EXIT_OK


def _writer(fmt: str):
    if fmt == "markdown":
        from flashtrain.deck.markdown_format import write_markdown_deck

        return write_markdown_deck
    from flashtrain.deck import exporters

    return {"anki": exporters.export_anki_txt, "csv": exporters.export_csv}[fmt]


def _export_targets(out: Path, specs: list, fmt: str) -> list[tuple[Path, object]]:
    if len(specs) == 1 and not out.is_dir():
        return [(out, specs[0])]
    if (out.exists() and not out.is_dir()) or (not out.exists() and out.suffix.lower() in EXPORT_SUFFIX.values()):
        raise UserError(f"{out}: several decks need a folder for --out, not a file (or give --deck NAME)",
                        common.EXIT_USAGE)
    out.mkdir(parents=True, exist_ok=True)
    return [(out / (_slug(spec.name) + EXPORT_SUFFIX[fmt]), spec) for spec in specs]


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^\w]+", "-", name.lower()).strip("-") or "deck"


def _write_atomically(target: Path, text: str) -> None:
    """Write beside the target and rename, so an interrupted export never leaves half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)


def cmd_decks(args: argparse.Namespace) -> int:
    from flashtrain.services.decks import deck_counts

    store = common.open_store(args)
    try:
        decks = [d.to_dict() for d in deck_counts(store)]
    finally:
        store.close()
    if args.json:
        common.print_json({"decks": decks})
        return common.EXIT_OK
    if not decks:
        print("no decks yet: `flashtrain import PATH` adds some")
        return common.EXIT_OK
    from flashtrain.deck.tree import deck_tree

    columns = ("cards", "new", "code_backed", "suspended", "retired")
    # Sub-decks (A::B) as a tree; a deck's counts include its sub-decks', as in Anki.
    tree = deck_tree([(d["name"], {k: d[k] for k in columns}) for d in decks])
    labels = ["  " * node.depth + node.label for node in tree]
    width = max(len(label) for label in labels + ["deck"])
    print(f"{'deck':<{width}}  cards    new  code  suspended  retired")
    for label, node in zip(labels, tree):
        c = node.counts
        print(f"{label:<{width}}  {c['cards']:>5}  {c['new']:>5}  {c['code_backed']:>4}  {c['suspended']:>9}  "
              f"{c['retired']:>7}")
    return common.EXIT_OK


def cmd_locate(args: argparse.Namespace) -> int:
    from flashtrain.paths import bundled_cards_dir, data_dir

    location = common.store_location(args)
    source = "--db" if getattr(args, "db", None) else ("FLASHTRAIN_DB" if _env_db() else "default")
    paths = {"db": location.shown, "db_source": source, "db_dialect": location.dialect, "data_dir": str(data_dir()),
             "bundled_cards": str(bundled_cards_dir())}
    if args.json:
        common.print_json(paths)
    else:
        print(f"store:         {paths['db']}  ({source})")
        print(f"data dir:      {paths['data_dir']}")
        print(f"bundled decks: {paths['bundled_cards']}")
    return common.EXIT_OK


def _env_db() -> bool:
    import os

    return bool(os.environ.get("FLASHTRAIN_DB"))
