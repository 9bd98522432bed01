"""Memory's keyword search: BM25 over an in-memory index per tenant, kept from shared rows.

The rows (each passage's analysed words, `storage.passage_terms`) live in the database, so
every process of a cluster searches the same passages. Each process ranks them in its own
memory with numpy: the query's postings are scored at once, where SQLite FTS5 scored every
row holding a query word through its own cursor. A process catches up on newer rows when it
has written some itself, or when `REFRESH_S` has passed since it last looked (so a document
ingested through another process is found within that time).

Words are analysed as FTS5's `porter unicode61 remove_diacritics 2` tokenizer analyses them
(letters and digits, lower-cased, diacritics removed, Porter stems) and scored with FTS5's
BM25 (k1 1.2, b 0.75, idf floored just above 0), so rankings match what FTS5 gave.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
import threading
import time
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from bot.memory.filters import Scope
from bot.memory.records import Kind, Record, tenant_key
from storage.passage_terms import PassageTerms, TermsRow

MAX_QUERY_TERMS = 32
REFRESH_S = 1.0  # how stale another process's writes may be when a search runs
K1, B = 1.2, 0.75
# NLTK's English list (as shipped by bm25s) plus question words common in chat.
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {"could", "would", "shall", "may", "might", "us"}
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits
_STEMMER = Stemmer.Stemmer("porter")
_KINDS = {kind.value: code for code, kind in enumerate(Kind)}
_ROOM_KINDS = [_KINDS[Kind.TURN.value], _KINDS[Kind.SUMMARY.value]]


def analysed(
    passage: str, text: str, kind: str, *, persona: str = "", room: str = "", doc: str = ""
) -> TermsRow:
    """Return a passage's keyword row: its stemmed words (no stopwords), its length, and
    the fields a Scope filters on."""
    found = words(text)
    kept = _STEMMER.stemWords([w for w in found if w not in _STOPWORDS])
    return TermsRow(passage, " ".join(kept), len(found), kind, persona, room, doc)


def row_of(record: Record) -> TermsRow:
    """Return a stored record's keyword row."""
    meta = record.meta
    return analysed(
        record.id,
        record.text,
        record.kind.value,
        persona=str(meta.get("persona", "")),
        room=str(meta.get("room", "")),
        doc=str(meta.get("doc_id", "")),
    )


class TermIndex:
    """One tenant's BM25 index in memory, built from its rows in version order."""

    def __init__(self) -> None:
        self.version = 0  # the newest row version applied
        self._lock = threading.Lock()
        self._slots: dict[str, int] = {}  # passage id -> slot of its live row
        self._ids: list[str] = []  # by slot; dead slots keep their id
        self._length = array("f")
        self._kind = array("b")
        self._persona = array("i")
        self._room = array("i")
        self._alive = array("b")
        self._codes: dict[str, int] = {}  # persona ids and room keys, interned
        self._postings: dict[str, _Postings] = {}
        self._total_length = 0.0
        self._columns: _Columns | None = None

    def __len__(self) -> int:
        return len(self._slots)

    @property
    def wasteful(self) -> bool:
        """Tell whether forgotten rows outnumber live ones (reloading would shrink it)."""
        dead = len(self._ids) - len(self._slots)
        return dead > max(1000, len(self._slots))

    def apply(self, rows: Sequence[TermsRow]) -> None:
        """Add, replace and remove passages as the rows (oldest first) say."""
        with self._lock:
            for row in rows:
                self._remove(row.passage)
                if not row.deleted:
                    self._add(row)
                self.version = max(self.version, row.version)
            self._columns = None

    def search(self, terms: Sequence[str], limit: int, scope: Scope) -> list[tuple[str, float]]:
        """Return (passage id, keyword share) of the best `limit` passages for stemmed terms.

        The share is the passage's BM25 score divided by the query's weight (the sum of its
        terms' idf, a term no passage holds counting as the rarest): about 1 for a passage of
        average length holding each query term once, whatever the size of the index.
        """
        with self._lock:
            live = len(self._slots)
            if not live or limit <= 0:
                return []
            cols = self._arrays()
            avgdl = self._total_length / live
            slots, weights, query_weight = [], [], 0.0
            for term in dict.fromkeys(terms):
                postings = self._postings.get(term)
                where, tf = postings.arrays() if postings else (_NO_SLOTS, _NO_TFS)
                alive = cols.alive[where]
                df = int(np.count_nonzero(alive))
                idf = max(math.log((live - df + 0.5) / (df + 0.5)), 1e-6)
                query_weight += idf
                if not df:
                    continue
                where, tf = where[alive], tf[alive]
                norm = K1 * (1 - B + B * cols.length[where] / avgdl)
                slots.append(where)
                weights.append(idf * tf * (K1 + 1) / (tf + norm))
            if not slots:
                return []
            slot_of, weight = np.concatenate(slots), np.concatenate(weights) / query_weight
            scores = np.bincount(slot_of, weight, len(self._ids))
            found = np.flatnonzero(scores)
            if not scope.is_everything:
                found = found[self._in_scope(found, scope, cols)]
            if len(found) > limit:
                found = found[np.argpartition(-scores[found], limit - 1)[:limit]]
            best = found[np.lexsort((found, -scores[found]))]  # best first, then oldest
            return [(self._ids[s], float(scores[s])) for s in best]

    def _add(self, row: TermsRow) -> None:
        slot = len(self._ids)
        self._ids.append(row.passage)
        self._slots[row.passage] = slot
        self._length.append(row.length)
        self._kind.append(_KINDS.get(row.kind, -1))
        self._persona.append(self._codes.setdefault(row.persona, len(self._codes)))
        self._room.append(self._codes.setdefault(row.room, len(self._codes)))
        self._alive.append(1)
        self._total_length += row.length
        for term, tf in Counter(row.terms.split()).items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = _Postings()
            postings.add(slot, tf)

    def _remove(self, passage: str) -> None:
        slot = self._slots.pop(passage, None)
        if slot is not None:
            self._alive[slot] = 0
            self._total_length -= self._length[slot]

    def _arrays(self) -> _Columns:
        if self._columns is None:
            self._columns = _Columns(
                np.array(self._length, dtype=np.float32),
                np.array(self._kind, dtype=np.int8),
                np.array(self._persona, dtype=np.int32),
                np.array(self._room, dtype=np.int32),
                np.array(self._alive, dtype=np.bool_),
            )
        return self._columns

    def _in_scope(self, slots: np.ndarray, scope: Scope, cols: _Columns) -> np.ndarray:
        """Return which slots the scope lets through (as `Scope.accepts` decides)."""
        kind = cols.kind[slots]
        keep = np.isin(kind, [_KINDS[k.value] for k in scope.kinds])
        if scope.persona_id is not None:
            own = cols.persona[slots] == self._codes.get(scope.persona_id, -1)
            keep &= (kind != _KINDS[Kind.POSITION.value]) | own
        if scope.room_id is not None:
            here = cols.room[slots] == self._codes.get(scope.room_id, -1)
            keep &= ~np.isin(kind, _ROOM_KINDS) | here
        return keep


class LexicalIndex:
    """Keyword search over every tenant's rows in the database, ranked in this process."""

    def __init__(
        self,
        rows: PassageTerms,
        *,
        clock: Callable[[], float] = time.monotonic,
        refresh_s: float = REFRESH_S,
    ) -> None:
        self._rows = rows
        self._clock = clock
        self._refresh_s = refresh_s
        self._indexes: dict[str, TermIndex] = {}
        self._checked: dict[str, float] = {}  # when each tenant's index last caught up
        self._stale: set[str] = set()  # tenants this process wrote since then
        self._locks: dict[str, asyncio.Lock] = {}

    async def upsert(self, tenant: str, rows: Sequence[TermsRow]) -> None:
        """Store analysed rows, replacing any with the same passage id."""
        key = tenant_key(tenant)
        await self._rows.write(key, rows)
        self._stale.add(key)

    async def delete_by(self, tenant: str, field: Literal["doc", "room"], value: str) -> int:
        """Forget the rows of one document or one room; return how many there were."""
        key = tenant_key(tenant)
        forgotten = await self._rows.forget(key, field, value)
        self._stale.add(key)
        return forgotten

    async def drop(self, tenant: str) -> None:
        """Forget all of a tenant's rows."""
        key = tenant_key(tenant)
        await self._rows.forget(key)
        self._stale.add(key)

    async def search(
        self, tenant: str, query: str, limit: int, scope: Scope | None = None
    ) -> list[tuple[str, float]]:
        """Return (id, keyword share) of the best matches for the query's terms, best first.

        The share is BM25 scaled by the query's weight (`TermIndex.search`).
        """
        terms = search_terms(query)
        if not terms or limit <= 0:
            return []
        index = await self.index(tenant)
        return await asyncio.to_thread(index.search, terms, limit, scope or Scope())

    async def count(self, tenant: str) -> int:
        """Return how many passages a tenant's index holds."""
        return len(await self.index(tenant))

    async def index(self, tenant: str) -> TermIndex:
        """Return the tenant's index, caught up if it may have fallen behind."""
        key = tenant_key(tenant)
        async with self._locks.setdefault(key, asyncio.Lock()):
            index = self._indexes.get(key)
            now = self._clock()
            if (
                index is not None
                and key not in self._stale
                and now - self._checked[key] < self._refresh_s
            ):
                return index
            if index is None or index.wasteful:
                index = TermIndex()
            self._stale.discard(key)  # a write finishing during the read marks it again
            rows = await self._rows.since(key, index.version)
            if rows:
                await asyncio.to_thread(index.apply, rows)
            self._indexes[key], self._checked[key] = index, now
            return index


_NO_SLOTS, _NO_TFS = np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class _Columns:
    length: np.ndarray
    kind: np.ndarray
    persona: np.ndarray
    room: np.ndarray
    alive: np.ndarray


class _Postings:
    """The slots holding one term and how often each holds it (compact, growable)."""

    __slots__ = ("_arrays", "slots", "tfs")

    def __init__(self) -> None:
        self.slots = array("i")
        self.tfs = array("f")
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, slot: int, tf: int) -> None:
        self.slots.append(slot)
        self.tfs.append(tf)
        self._arrays = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            self._arrays = (np.array(self.slots, dtype=np.intp), np.array(self.tfs, np.float32))
        return self._arrays


def words(text: str) -> list[str]:
    """Return a text's words: letters and digits, lower-cased, without diacritics."""
    lowered = text.lower()
    if not lowered.isascii():
        lowered = unicodedata.normalize("NFKD", lowered).translate(_combining_marks())
    return _WORD.findall(lowered)


@functools.cache
def _combining_marks() -> dict[int, None]:
    """Return a `str.translate` table that deletes Unicode's combining marks (all below U+20000)."""
    return {cp: None for cp in range(0x20000) if unicodedata.combining(chr(cp))}


def query_terms(query: str) -> list[str]:
    """Return the query's distinctive words: lower-cased, without stopwords, deduplicated."""
    terms: list[str] = []
    for word in words(query):
        if len(word) > 1 and word not in _STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


def search_terms(query: str) -> list[str]:
    """Return the stems the keyword index is searched for."""
    return list(dict.fromkeys(_STEMMER.stemWords(query_terms(query))))


def mentions_all(text: str, terms: list[str]) -> bool:
    """Tell whether a text contains every term as a whole word (an exact keyword hit)."""
    found = set(words(text))
    return bool(terms) and all(t in found for t in terms)
