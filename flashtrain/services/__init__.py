"""The service layer: with `flashtrain.store`, the only code that imports SQLAlchemy or writes SQL.

Screens, CLI commands, bench and helpers call the named functions here and get plain, typed
results (dataclasses, lists, ints). Modules:
- `decks`: deck lists and counts (one definition of a new card), deck lookup by name, snippet links;
- `browse`: the browser's query language and search;
- `stats`: study statistics;
- `card_edit`: adding, editing and retiring cards (with write-back to deck files);
- `siblings`: burying a studied card's siblings until the next day (and undoing it), for the study service.
`tests/test_import_hygiene.py` fails when a module elsewhere imports sqlalchemy.
"""
