"""Alembic environment: uses the engine handed over by flashtrain.store.migrate."""

from alembic import context
from sqlalchemy import text

from flashtrain.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    # SQLite cannot alter tables in place; batch mode copies them, which needs foreign keys off.
    connection.execute(text("PRAGMA foreign_keys=OFF"))
    connection.commit()
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.execute(text("PRAGMA foreign_keys=ON"))
    connection.commit()
