"""A persisted, per-tenant BM25 keyword index on SQLite FTS5."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bm25s.stopwords import STOPWORDS_EN_PLUS

from bot.memory.filters import Scope
from bot.memory.records import Record, tenant_key

MAX_QUERY_TERMS = 32
CACHED_RESULTS = 512  # recent searches kept until the next write to any tenant
# NLTK's English list (as shipped by bm25s) plus question words common in chat.
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {"could", "would", "shall", "may", "might", "us"}
_SCHEMA = (
    """CREATE TABLE {t}_rows (
        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text TEXT NOT NULL,
        kind TEXT NOT NULL, persona TEXT NOT NULL, room TEXT NOT NULL, doc TEXT NOT NULL)""",
    "CREATE INDEX {t}_doc ON {t}_rows(doc)",
    "CREATE INDEX {t}_room ON {t}_rows(room)",
    """CREATE VIRTUAL TABLE {t}_fts USING fts5(
        text, content='{t}_rows', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER {t}_ai AFTER INSERT ON {t}_rows BEGIN
        INSERT INTO {t}_fts(rowid, text) VALUES (new.rowid, new.text); END""",
    """CREATE TRIGGER {t}_ad AFTER DELETE ON {t}_rows BEGIN
        INSERT INTO {t}_fts({t}_fts, rowid, text) VALUES ('delete', old.rowid, old.text); END""",
    """CREATE TRIGGER {t}_au AFTER UPDATE ON {t}_rows BEGIN
        INSERT INTO {t}_fts({t}_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO {t}_fts(rowid, text) VALUES (new.rowid, new.text); END""",
)
_FIELDS = {"doc": "doc", "room": "room"}  # the only columns delete_by may name
_DROP = ("DROP TABLE IF EXISTS {t}_fts", "DROP TABLE IF EXISTS {t}_rows")


@dataclass(frozen=True)
class LexicalRow:
    """The searchable text of one stored passage and the fields a Scope filters on."""

    id: str
    text: str
    kind: str
    persona: str = ""
    room: str = ""
    doc: str = ""

    @classmethod
    def of(cls, record: Record) -> LexicalRow:
        """Return a stored passage's searchable row."""
        meta = record.meta
        return cls(
            id=record.id,
            text=record.text,
            kind=record.kind.value,
            persona=str(meta.get("persona", "")),
            room=str(meta.get("room", "")),
            doc=str(meta.get("doc_id", "")),
        )


class LexicalIndex:
    """BM25 ranking by SQLite FTS5, one pair of tables per tenant (own term statistics)."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        self._known: set[str] = set()
        self._results: dict[tuple[object, ...], list[tuple[str, float]]] = {}
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; nested uses join the outer transaction; an error rolls back."""
        with self._lock:
            if self._depth:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._results.clear()  # nothing read inside the transaction outlives it
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def upsert(self, tenant: str, rows: Sequence[LexicalRow]) -> None:
        """Add rows, replacing any with the same id."""
        t = self._tables(tenant, create=True)
        sql = (
            f"INSERT INTO {t}_rows (id, text, kind, persona, room, doc) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET text=excluded.text, kind=excluded.kind, "
            "persona=excluded.persona, room=excluded.room, doc=excluded.doc"
        )
        values = [(r.id, r.text, r.kind, r.persona, r.room, r.doc) for r in rows]
        with self.transaction():
            self._results.clear()
            self._db.executemany(sql, values)

    def create(self, tenant: str) -> None:
        """Create a tenant's (empty) index if it has none."""
        self._tables(tenant, create=True)

    def delete_by(self, tenant: str, field: Literal["doc", "room"], value: str) -> None:
        """Remove the rows of one document or one room."""
        t = self._tables(tenant, create=False)
        if t is not None:
            with self.transaction():
                self._results.clear()
                self._db.execute(f"DELETE FROM {t}_rows WHERE {_FIELDS[field]} = ?", (value,))

    def search(
        self, tenant: str, query: str, limit: int, scope: Scope | None = None
    ) -> list[tuple[str, float]]:
        """Return (id, BM25 score) of the best matches for the query's terms, best first."""
        t = self._tables(tenant, create=False)
        match = match_expression(query)
        if t is None or not match:
            return []
        condition, params = (scope or Scope()).sql("r")
        key = (t, match, condition, tuple(params), limit)
        with self._lock:
            if (cached := self._results.get(key)) is not None:
                return list(cached)
            found = [
                (i, float(s))
                for i, s in self._db.execute(_search_sql(t, condition), [match, *params, limit])
            ]
            self._results[key] = found
            if len(self._results) > CACHED_RESULTS:
                self._results.pop(next(iter(self._results)))
            return found

    def clear_cache(self) -> None:
        """Forget the kept search results."""
        with self._lock:
            self._results.clear()

    def count(self, tenant: str) -> int:
        """Return how many rows a tenant has."""
        t = self._tables(tenant, create=False)
        if t is None:
            return 0
        with self._lock:
            return int(self._db.execute(f"SELECT count(*) FROM {t}_rows").fetchone()[0])

    def exists(self, tenant: str) -> bool:
        """Tell whether a tenant has an index (possibly empty)."""
        return self._tables(tenant, create=False) is not None

    def drop(self, tenant: str) -> None:
        """Delete a tenant's whole index."""
        t = _table_prefix(tenant)
        self._run(_DROP, t)
        self._known.discard(t)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _run(self, statements: Sequence[str], t: str) -> None:
        with self.transaction():
            self._results.clear()
            for statement in statements:
                self._db.execute(statement.format(t=t))

    def _tables(self, tenant: str, create: bool) -> str | None:
        t = _table_prefix(tenant)
        if t in self._known:
            return t
        with self._lock:
            if self._table_exists(f"{t}_rows"):
                self._known.add(t)
            elif create:
                self._run(_SCHEMA, t)
                self._known.add(t)
        return t if t in self._known else None

    def _table_exists(self, name: str) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return self._db.execute(sql, (name,)).fetchone() is not None


def _search_sql(t: str, condition: str) -> str:
    """Return the BM25 query; unscoped, it ranks in FTS5 alone and joins only the top rows."""
    if condition == "1":
        return (
            f"SELECT r.id, m.score FROM (SELECT rowid, -bm25({t}_fts) AS score FROM {t}_fts "
            f"WHERE {t}_fts MATCH ? ORDER BY bm25({t}_fts) LIMIT ?) m "
            f"JOIN {t}_rows r ON r.rowid = m.rowid ORDER BY m.score DESC"
        )
    return (
        f"SELECT r.id, -bm25({t}_fts) FROM {t}_fts JOIN {t}_rows r ON r.rowid = {t}_fts.rowid "
        f"WHERE {t}_fts MATCH ? AND {condition} ORDER BY bm25({t}_fts) LIMIT ?"
    )


def query_terms(query: str) -> list[str]:
    """Return the query's distinctive words: lower-cased, without stopwords, deduplicated."""
    terms: list[str] = []
    for word in re.findall(r"\w+", query.lower()):
        if len(word) > 1 and word not in _STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


def match_expression(query: str) -> str:
    """Return an FTS5 query that ORs the query's distinctive words (quoted, so never syntax)."""
    return " OR ".join(f'"{t}"' for t in query_terms(query))


def mentions_all(text: str, terms: list[str]) -> bool:
    """Tell whether a text contains every term as a whole word (an exact keyword hit)."""
    lowered = text.lower()
    return bool(terms) and all(re.search(rf"\b{re.escape(t)}\b", lowered) for t in terms)


def _table_prefix(tenant: str) -> str:
    return f"t{tenant_key(tenant)}"
