"""Full-text search over turns: SQLite FTS5, or PostgreSQL's tsvector with a GIN index.

The index is not a table the models describe (an FTS5 virtual table and its shadow tables, or
an expression index), so `include_name` keeps it out of Alembic's model comparison.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal_column, text

from storage.models import TurnRow

FTS_TABLE = "turns_fts"
PG_INDEX = "ix_turns_search"
MARK_START, MARK_END = "\u27e6", "\u27e7"  # ⟦ ⟧ around each hit in a snippet
MAX_TERMS = 16


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Tell Alembic's comparison to skip the search index (not described by the models)."""
    return not (name and (name.startswith(FTS_TABLE) or name == PG_INDEX))


def fts_query(words: str) -> str:
    """Return an FTS5 query matching every word (each quoted: no operators from users)."""
    terms = re.findall(r"\w+", words)[:MAX_TERMS]
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def matches(dialect: str, terms: str) -> ColumnElement[bool]:
    """Return a condition true for the turns whose content matches the search terms."""
    if dialect == "sqlite":
        hits = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :terms")
        rowids = hits.bindparams(terms=terms).columns(literal_column("rowid"))
        found: ColumnElement[bool] = TurnRow.id.in_(rowids)
        return found
    english: ColumnElement[str] = literal_column("'english'")  # a literal: the GIN index applies
    query = func.plainto_tsquery(english, bindparam("terms", terms))
    said: ColumnElement[bool] = func.to_tsvector(english, TurnRow.content).op("@@")(query)
    return said


def snippet_sql(dialect: str) -> str:
    """Return SQL giving (room id, seq, snippet) of the matching turns of `:rooms`."""
    if dialect == "sqlite":
        return (
            f"SELECT t.room_id, t.seq, snippet({FTS_TABLE}, 0, '{MARK_START}', '{MARK_END}', "
            f"'…', 16) FROM {FTS_TABLE} JOIN turns t ON t.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH :q AND t.room_id IN :rooms ORDER BY t.room_id, t.seq"
        )
    return (
        "SELECT room_id, seq, ts_headline('english', content, plainto_tsquery('english', :q),"
        f" 'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=8') FROM turns "
        "WHERE to_tsvector('english', content) @@ plainto_tsquery('english', :q) "
        "AND room_id IN :rooms ORDER BY room_id, seq"
    )


def snippet_statement(dialect: str) -> Any:
    """Return the snippet query as a statement with an expanding `:rooms` parameter."""
    return text(snippet_sql(dialect)).bindparams(bindparam("rooms", expanding=True))
