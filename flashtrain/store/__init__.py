"""The SQLite store: typed models, engine factory, migrations, and units of work."""
