"""Alembic environment: uses the engine handed over by flashtrain.store.migrate.

SQLite cannot alter most things in place, so there (and only there) Alembic's batch mode copies
tables, which needs foreign keys off while it runs. PostgreSQL alters tables directly, inside the
migration's transaction.
"""

from alembic import context
from sqlalchemy import text

from flashtrain.store.models import Base

config = context.config
engine = config.attributes["engine"]
on_sqlite = engine.dialect.name == "sqlite"

with engine.connect() as connection:
    if on_sqlite:
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        connection.commit()
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=on_sqlite)
    with context.begin_transaction():
        context.run_migrations()
    if on_sqlite:
        connection.execute(text("PRAGMA foreign_keys=ON"))
    connection.commit()
