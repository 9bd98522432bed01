"""MemoryStore: per-tenant Chroma collections plus a BM25 index, searched together.

Isolation: each tenant gets its own Chroma collection (and its own keyword index), named by
a hash of the tenant id. A query runs inside one tenant's collection, so it cannot return
another tenant's passages whatever filter a caller passes (or forgets); forgetting a tenant
drops its collection; and the vector index and BM25 term statistics of one tenant are not
shaped by another's data.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from bot.memory import chroma
from bot.memory import documents as docs
from bot.memory.chunking import (
    CHUNK_TOKENS,
    OVERLAP_TOKENS,
    Spans,
    chunk_sentences,
    split_sentences,
)
from bot.memory.embedding import Embedder, LocalEmbedder
from bot.memory.filters import Scope
from bot.memory.fusion import ALPHA, fuse
from bot.memory.gate import gate
from bot.memory.interface import ChunkProgress, SearchMode
from bot.memory.lexical import LexicalIndex, query_terms, row_of, search_terms
from bot.memory.records import (
    DocumentInfo,
    Hit,
    Kind,
    MemoryStats,
    MetaValue,
    Record,
    chunk_record,
    digest,
    position_record,
    source_of,
    summary_record,
    tenant_key,
    turn_record,
)
from bot.memory.tokens import WordPieceSpans
from storage.passage_terms import TermsRow


class MemoryStore:
    """Remember turns, positions, summaries and documents per tenant; search them."""

    def __init__(
        self,
        client: ClientAPI,
        lexical: LexicalIndex,
        embedder: Embedder | None = None,
        *,
        clock: Callable[[], float] = time.time,
        chunk_tokens: int = CHUNK_TOKENS,
        overlap_tokens: int = OVERLAP_TOKENS,
        spans: Spans | None = None,
        batch_size: int = 32,
        alpha: float = ALPHA,
    ) -> None:
        self._client = client
        self._lexical = lexical
        self._embedder = embedder or LocalEmbedder()
        self._clock = clock
        self._chunking = (chunk_tokens, overlap_tokens)
        self._spans = spans or WordPieceSpans()
        self._batch_size = batch_size
        self._collections: dict[str, Collection] = {}
        self._lock = threading.Lock()
        self._alpha = alpha
        self._restored: set[str] = set()  # tenants whose keyword rows were checked here

    # -- writing ----------------------------------------------------------------------

    async def remember_turn(
        self, tenant: str, room_id: str, speaker: str, seq: int, text: str
    ) -> str:
        """Remember a persona's turn or a person's message; return its id."""
        return await self._remember(tenant, turn_record(room_id, speaker, seq, text))

    async def remember_turns(
        self, tenant: str, room_id: str, turns: Sequence[tuple[str, int, str]]
    ) -> list[str]:
        """Remember many (speaker, seq, text) turns of a room at once, e.g. a backlog."""
        records = [turn_record(room_id, speaker, seq, text) for speaker, seq, text in turns]
        for start in range(0, len(records), self._batch_size):
            await self._store(tenant, records[start : start + self._batch_size])
        return [r.id for r in records]

    async def remember_position(self, tenant: str, persona_id: str, topic: str, text: str) -> str:
        """Remember a stance a persona took on a topic; return its id."""
        return await self._remember(tenant, position_record(persona_id, topic, text))

    async def remember_summary(
        self, tenant: str, room_id: str, text: str, through_seq: int | None = None
    ) -> str:
        """Remember a summary of a room's older turns; return its id."""
        return await self._remember(tenant, summary_record(room_id, text, through_seq))

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> np.ndarray:
        """Return the unit vectors of texts (one batch, off the event loop)."""
        return await self._embedder.embed(list(texts), background=background)

    async def store_embedded(
        self, tenant: str, records: Sequence[Record], vectors: np.ndarray
    ) -> None:
        """Store records whose vectors the caller already has (a writer that batches)."""
        await self._write(tenant, self._stamped(tenant, records), vectors)

    async def ingest(
        self,
        tenant: str,
        name: str,
        data: str | bytes,
        kind: str | None = None,
        *,
        source: str | None = None,
        progress: ChunkProgress | None = None,
    ) -> DocumentInfo:
        """Extract, chunk, embed and store a document (text, markdown, html or pdf)."""
        fmt = kind or docs.guess_format(name, data)
        chunks = await asyncio.to_thread(self._chunk, data, fmt)
        if not chunks:
            raise docs.DocumentError(f"no text found in {name}")
        raw = data.encode() if isinstance(data, str) else data
        info = DocumentInfo(f"doc-{digest(name, raw)}", name, fmt, len(chunks), source or name)
        records = [chunk_record(info, c.index, c.text, c.page) for c in chunks]
        await _report(progress, 0, len(records))
        for start in range(0, len(records), self._batch_size):
            batch = records[start : start + self._batch_size]
            await self._store(tenant, batch)
            await _report(progress, start + len(batch), len(records))
        return info

    # -- reading ----------------------------------------------------------------------

    async def search(
        self,
        tenant: str,
        query: str,
        k: int = 5,
        *,
        kinds: Iterable[Kind | str] | None = None,
        persona_id: str | None = None,
        room_id: str | None = None,
        min_score: float = 0.0,
        mode: SearchMode = "hybrid",
        vector: np.ndarray | None = None,
        min_best: float = 0.0,
    ) -> list[Hit]:
        """Return up to k passages of this tenant relevant to `query`, best first.

        `min_best` is the prompt gate (`gate.gate`): nothing is returned unless the best
        hit's cosine reaches it (`interface.PROMPT_MIN_BEST` suits prompts); `min_score` is
        the least cosine each hit may have. A hit containing every distinctive word of the
        query passes both. `mode` picks hybrid, vector-only or lexical-only ranking;
        `vector`, when given, is the query's unit vector, computed by the caller (the query
        text still drives keywords).
        """
        if not query.strip() or k <= 0:
            return []
        scope = Scope.of(kinds, persona_id, room_id)
        if not scope.kinds:
            return []
        (qvec, near, known), (lexical, vectors) = await asyncio.gather(  # both at once
            self._vector_search(tenant, query, vector, k, scope, mode),
            self._keyword_search(tenant, query, k, scope, mode),
        )
        cosines = {i: float(np.dot(qvec, v)) for i, v in vectors.items()} | near
        fused = fuse(cosines if mode != "lexical" else {}, lexical, cosines, self._alpha)
        order = sorted(fused, key=lambda i: (-fused[i], -cosines[i]))
        # Ungated, only the top k are shown; a gate may look further down for their texts.
        wanted = order[:k] if min_best <= 0 and min_score <= 0 else order
        if missing := [i for i in wanted if i not in known]:
            known = known | await asyncio.to_thread(self._passages, tenant, missing)
        hits = [_hit(i, known[i], cosines[i], fused[i]) for i in wanted if i in known]
        return gate(hits, query_terms(query), min_best, min_score)[:k]

    async def documents(self, tenant: str) -> list[DocumentInfo]:
        """Return the tenant's ingested documents, by name."""
        return await asyncio.to_thread(self._documents, tenant)

    async def stats(self, tenant: str) -> MemoryStats:
        """Return how much the tenant's memory holds."""
        return await self._stats(tenant)

    # -- forgetting -------------------------------------------------------------------

    async def forget_document(self, tenant: str, doc_id: str) -> int:
        """Delete a document's chunks; return how many passages were removed."""
        return await self._forget(tenant, {"doc_id": doc_id}, "doc", doc_id)

    async def forget_room(self, tenant: str, room_id: str) -> int:
        """Delete a room's turns and summaries; return how many passages were removed."""
        return await self._forget(tenant, {"room": room_id}, "room", room_id)

    async def forget_tenant(self, tenant: str) -> int:
        """Delete everything the tenant's memory holds; return how many passages it had."""
        return await self._forget_tenant(tenant)

    async def close(self) -> None:
        """Release the embedding threads (Chroma and the database are closed by their owners)."""
        self._embedder.close()

    # -- internals (the sync ones run in worker threads) --------------------------------

    async def _remember(self, tenant: str, record: Record) -> str:
        await self._store(tenant, [record])
        return record.id

    async def _query_vector(self, query: str, given: np.ndarray | None) -> np.ndarray:
        if given is not None:
            return given
        return (await self._embedder.embed([query]))[0]

    def _stamped(self, tenant: str, records: Sequence[Record]) -> list[Record]:
        tenant_key(tenant)  # reject a missing tenant before any work
        if any(not r.text.strip() for r in records):
            raise ValueError("cannot remember empty text")
        created = self._clock()
        return [Record(r.id, r.text, r.kind, {**r.meta, "created": created}) for r in records]

    async def _store(self, tenant: str, records: Sequence[Record]) -> None:
        stamped = self._stamped(tenant, records)
        vectors = await self._embedder.embed([r.text for r in stamped])
        await self._write(tenant, stamped, vectors)

    async def _write(self, tenant: str, records: Sequence[Record], vectors: np.ndarray) -> None:
        """Write to Chroma, then the keyword rows: a keyword hit always has its passage."""
        rows = await asyncio.to_thread(self._write_vectors, tenant, records, vectors)
        await self._lexical.upsert(tenant, rows)

    def _write_vectors(
        self, tenant: str, records: Sequence[Record], vectors: np.ndarray
    ) -> list[TermsRow]:
        collection = self._collection(tenant, create=True)
        assert collection is not None
        collection.upsert(
            ids=[r.id for r in records],
            embeddings=list(vectors),
            documents=[r.text for r in records],
            metadatas=[r.metadata() for r in records],
        )
        return [row_of(r) for r in records]

    def _chunk(self, data: str | bytes, fmt: str) -> list[Any]:
        sentences = split_sentences(docs.extract_pages(data, fmt), fmt == "pdf", self._spans)
        return chunk_sentences(sentences, *self._chunking)

    async def _keyword_search(
        self, tenant: str, query: str, k: int, scope: Scope, mode: SearchMode
    ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """Rank by keywords, then read those passages' vectors (while the query is embedded)."""
        if mode == "vector":
            return {}, {}
        if tenant not in self._restored:
            await self._restore_keywords(tenant)
        terms = search_terms(query)
        index = await self._lexical.index(tenant)

        def rank_and_fetch() -> tuple[dict[str, float], dict[str, np.ndarray]]:
            lexical = dict(index.search(terms, _depth(k), scope))
            collection = self._collection(tenant, create=False)
            return lexical, chroma.vectors(collection, list(lexical)) if collection else {}

        return await asyncio.to_thread(rank_and_fetch)  # one trip to a worker thread

    async def _restore_keywords(self, tenant: str) -> None:
        """Re-index a tenant's passages if it has vectors but no keyword rows (a store kept
        before keyword rows lived in the database, or a new database beside an old Chroma)."""
        collection = await asyncio.to_thread(self._collection, tenant, False)
        if collection is not None and not await self._lexical.count(tenant):
            for page in await asyncio.to_thread(lambda: list(chroma.all_records(collection))):
                await self._lexical.upsert(tenant, [row_of(r) for r in page])
        self._restored.add(tenant)

    async def _vector_search(
        self,
        tenant: str,
        query: str,
        given: np.ndarray | None,
        k: int,
        scope: Scope,
        mode: SearchMode,
    ) -> tuple[np.ndarray, dict[str, float], dict[str, Passage]]:
        """Embed the query, then find its neighbours: (vector, their cosines, texts read)."""
        qvec = await self._query_vector(query, given)
        if mode == "lexical":  # the vector still scores the keyword hits' cosines
            return qvec, {}, {}
        return (qvec, *await asyncio.to_thread(self._nearest, tenant, qvec, _depth(k), scope))

    def _nearest(
        self, tenant: str, qvec: np.ndarray, n: int, scope: Scope
    ) -> tuple[dict[str, float], dict[str, Passage]]:
        collection = self._collection(tenant, create=False)
        if collection is None:
            return {}, {}
        if scope.is_everything:  # ids only: the few that win are read afterwards
            return chroma.nearest_scores(collection, qvec, n), {}
        found = chroma.nearest(collection, qvec, n, scope)  # filtered on their metadata
        return {i: c.score for i, c in found.items()}, {
            i: (c.text, c.meta) for i, c in found.items()
        }

    def _passages(self, tenant: str, ids: list[str]) -> dict[str, Passage]:
        collection = self._collection(tenant, create=False)
        return chroma.passages(collection, ids) if collection is not None else {}

    def _documents(self, tenant: str) -> list[DocumentInfo]:
        collection = self._collection(tenant, create=False)
        if collection is None:
            return []
        where = {"$and": [{"kind": Kind.DOCUMENT.value}, {"chunk": 0}]}
        infos = [DocumentInfo.of_meta(m) for m in chroma.metadatas_where(collection, where)]
        return sorted(infos, key=lambda d: (d.name, d.doc_id))

    async def _stats(self, tenant: str) -> MemoryStats:
        counts, documents = await asyncio.to_thread(self._counts, tenant)
        return MemoryStats(tenant, counts, documents, await self._lexical.count(tenant))

    def _counts(self, tenant: str) -> tuple[dict[Kind, int], int]:
        collection = self._collection(tenant, create=False)
        counts = {
            kind: len(chroma.ids_where(collection, {"kind": kind.value})) if collection else 0
            for kind in Kind
        }
        return counts, len(self._documents(tenant))

    async def _forget(
        self, tenant: str, where: dict[str, str], field: Literal["doc", "room"], value: str
    ) -> int:
        """Forget the keyword rows first: a keyword hit never outlives its passage."""
        await self._lexical.delete_by(tenant, field, value)
        return await asyncio.to_thread(self._forget_vectors, tenant, where)

    def _forget_vectors(self, tenant: str, where: dict[str, str]) -> int:
        collection = self._collection(tenant, create=False)
        if collection is None:
            return 0
        ids = chroma.ids_where(collection, where)
        if ids:
            collection.delete(ids=ids)
        return len(ids)

    async def _forget_tenant(self, tenant: str) -> int:
        await self._lexical.drop(tenant)
        return await asyncio.to_thread(self._drop_collection, tenant)

    def _drop_collection(self, tenant: str) -> int:
        collection = self._collection(tenant, create=False)
        count = collection.count() if collection is not None else 0
        with self._lock:
            self._collections.pop(tenant, None)
            if collection is not None:
                self._client.delete_collection(collection.name)
        return count

    def _collection(self, tenant: str, create: bool) -> Collection | None:
        """Return the tenant's collection (the only way any query reaches Chroma)."""
        with self._lock:
            if tenant in self._collections:
                return self._collections[tenant]
            function = self._embedder.function()
            collection = chroma.open_collection(self._client, tenant, function, create)
            if collection is not None:
                self._collections[tenant] = collection
        return collection


Passage = tuple[str, dict[str, MetaValue]]  # a stored passage's text and metadata


def _depth(k: int) -> int:
    """Return how many candidates each ranking contributes to the fusion."""
    return max(4 * k, 20)


def _hit(record_id: str, passage: Passage, cosine: float, fused: float) -> Hit:
    text, meta = passage
    kind = Kind(str(meta["kind"]))
    return Hit(record_id, text, source_of(kind, meta), cosine, kind, meta, fused)


async def _report(progress: ChunkProgress | None, done: int, total: int) -> None:
    if progress is not None and inspect.isawaitable(result := progress(done, total)):
        await result
