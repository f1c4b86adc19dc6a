"""Anki packages: reading `.apkg`/`.colpkg`/bare collections, and writing `.apkg` for Anki to open.

`package` opens the container and the SQLite collection (both layouts), `render` turns a card of any
notetype into front/back Markdown, `convert` makes DeckSpecs plus scheduling facts the store applies,
and `export` writes a legacy-layout package. None of these touch our store.
"""
