"""The few pieces of SQL that SQLite and PostgreSQL spell differently, in one place.

Everything else flashtrain writes is common SQL. These differ:
- JSON: SQLite's json_each / json_extract against PostgreSQL's json_array_elements_text / ->>;
- study days: SQLite's julianday against PostgreSQL's EXTRACT(EPOCH …); both give the same day
  numbers (days since 1970-01-01 after shifting by the learner's offset and day start);
- result types: SQLite hands back stored datetimes as text, PostgreSQL as datetime objects;
  `stored_time` brings both to the text form the queue compares.

Functions named `…_sql` return SQL text for hand-written queries (`dialect` is "sqlite" or
"postgresql"); the others return SQLAlchemy expressions and compile on either.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import ColumnElement

# SQLAlchemy is imported by the functions that build expressions: the hand-written SQL helpers
# serve the study app's start-up path, which runs before SQLAlchemy is loaded.

STORED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy's DateTime stores naive UTC in SQLite


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


# -- hand-written SQL --------------------------------------------------------------------------------

def json_elements_sql(dialect: str, column: str) -> str:
    """A FROM item with one row per element of a JSON list of strings, in a column named `value`."""
    if dialect == "postgresql":
        return f"json_array_elements_text({column}) AS json_element(value)"
    return f"json_each({column})"


def json_field_sql(dialect: str, column: str, key: str) -> str:
    """The text of one top-level field of a JSON object column."""
    if dialect == "postgresql":
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def day_number_sql(dialect: str, moment: str, shift: str) -> str:
    """Study-day number of a stored UTC time (a column or a bound parameter) shifted by `shift` days."""
    if dialect == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM CAST({moment} AS TIMESTAMP)) / 86400.0 + {shift}) AS INTEGER)"
    # julianday of 1970-01-01 00:00 is 2440587.5; CAST truncates, which is floor for these positive values
    return f"(CAST(julianday({moment}) + {shift} + 0.5 AS INTEGER) - 2440588)"


_ID_LIST = re.compile(r"(?P<column>[\w.]+) (?P<op>NOT IN|IN) :(?P<name>\w+)\b")


def bind_id_lists(dialect: str, sql: str, params: dict) -> tuple[str, dict]:
    """Rewrites `col IN :name` / `col NOT IN :name` for list parameters into ONE bound value each:
    a PostgreSQL array (`= ANY`, `<> ALL`) or a JSON text read by SQLite's json_each. A list of
    thousands of ids stays one parameter, which both planners handle in microseconds."""
    if not any(isinstance(value, (list, tuple)) for value in params.values()):
        return sql, params  # nothing to rewrite: skip the pattern search (the answer path runs this a lot)
    original, params = params, dict(params)

    def rewrite(match: re.Match) -> str:  # a list used twice in the SQL is rewritten at both places
        column, op, name = match["column"], match["op"], match["name"]
        value = original.get(name)
        if not isinstance(value, (list, tuple)):
            return match[0]
        if dialect == "postgresql":
            params[name] = [int(v) for v in value]
            return f"{column} {'<> ALL' if op == 'NOT IN' else '= ANY'}(:{name})"
        params[name] = json.dumps([int(v) for v in value])
        return f"{column} {op} (SELECT value FROM json_each(:{name}))"

    return _ID_LIST.sub(rewrite, sql), params


# -- SQLAlchemy expressions ------------------------------------------------------------------------

def json_list_has(dialect: str, column, value) -> ColumnElement[bool]:
    """The JSON list in `column` holds the string `value` (exactly: no substring matches)."""
    from sqlalchemy import exists, func, literal_column, select

    elements = (func.json_array_elements_text(column) if dialect == "postgresql" else func.json_each(column))
    element = elements.table_valued("value")
    return exists(select(literal_column("1")).select_from(element).where(element.c.value == value))


def study_date_text(dialect: str, column, shift_seconds: float) -> ColumnElement[str]:
    """The study day of a stored UTC datetime column as 'YYYY-MM-DD' text on both dialects."""
    from sqlalchemy import func, literal_column

    if dialect == "postgresql":
        # literals, not parameters: PostgreSQL matches GROUP BY expressions only when they are identical
        shifted = column + literal_column(f"INTERVAL '{int(round(shift_seconds))} seconds'")
        return func.to_char(shifted, literal_column("'YYYY-MM-DD'"))
    return func.date(column, literal_column(f"'{shift_seconds:+.0f} seconds'"))


def stored_time(value) -> str | None:
    """A fetched datetime in the stored text form (SQLite returns that text already)."""
    if value is None or isinstance(value, str):
        return value
    return value.strftime(STORED_TIME_FORMAT)


def json_field(column, key: str) -> ColumnElement[str]:
    """One top-level field of a JSON object column as text (SQLAlchemy spells it per dialect)."""
    return column[key].as_string()

