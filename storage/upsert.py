"""Create-if-missing as one statement: INSERT … ON CONFLICT, in the session's own dialect.

A check-then-insert races when two first commands of a tenant arrive at once (both see no
row, both insert, one fails on the unique key). These statements let the database decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def upsert(
    session: Any,
    model: Any,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    keys: Iterable[str],
    update: Iterable[str] = (),
) -> Any:
    """Return an INSERT of `values` (one row, or several) that, on a clash of `keys`,
    updates `update` or skips."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(values)
    columns = list(update)
    if not columns:
        return statement.on_conflict_do_nothing(index_elements=list(keys))
    changes = {column: statement.excluded[column] for column in columns}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
