"""The schema revision this code expects: read without SQLAlchemy or Alembic by the quick paths
that answer from the store with the standard library's sqlite3 before any heavy module loads."""

HEAD_REVISION = "0006"  # the newest migration in store/migrations/versions (a test keeps them equal)
