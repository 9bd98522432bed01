"""Thin helpers over a tenant's Chroma collection: open it, query it, page through it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.errors import InternalError, NotFoundError

from bot.memory.filters import Scope
from bot.memory.records import Kind, MetaValue, Record, tenant_key

log = logging.getLogger(__name__)
PAGE = 1000
OVERFETCH = 2  # how many more unfiltered neighbours a scoped search looks at
# Embedded Chroma answers a query that races a new collection's first write with this error
# (its HNSW segment's folder exists, its index file not yet). It passes within milliseconds.
UNWRITTEN = "Nothing found on disk"
UNWRITTEN_TRIES, UNWRITTEN_PAUSE_S = 3, 0.05


@dataclass(frozen=True)
class Candidate:
    """A passage found by either ranking, with its cosine similarity to the query."""

    text: str
    meta: dict[str, MetaValue]
    score: float


def collection_name(tenant: str) -> str:
    """Return the Chroma collection that holds a tenant's memory."""
    return f"chimera-{tenant_key(tenant)}"


def open_collection(
    client: ClientAPI, tenant: str, function: EmbeddingFunction[Documents], create: bool
) -> Collection | None:
    """Return a tenant's collection, creating it only when `create` (reads never create)."""
    name = collection_name(tenant)
    if create:
        return client.get_or_create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"tenant": tenant},
            embedding_function=function,  # type: ignore[arg-type]
        )
    try:
        return client.get_collection(name, embedding_function=function)  # type: ignore[arg-type]
    except NotFoundError:
        return None


def nearest(collection: Collection, qvec: np.ndarray, n: int, scope: Scope) -> dict[str, Candidate]:
    """Return the `n` passages nearest to a query vector within `scope`.

    Chroma's metadata filters cost far more than the vector search at 10k passages, so a
    scoped search first over-fetches without a filter and filters here; only when too few
    passages survive does it ask Chroma to filter.
    """
    if scope.is_everything:
        return _query(collection, qvec, n, None)
    wide = _query(collection, qvec, n * OVERFETCH, None)
    kept = {i: c for i, c in wide.items() if scope.accepts(c.meta)}
    if len(kept) >= n // 2 or len(wide) < n * OVERFETCH:  # enough, or everything was seen
        return dict(list(kept.items())[:n])
    return _query(collection, qvec, n, scope.where())


def _query(
    collection: Collection,
    qvec: np.ndarray,
    n: int,
    where: dict[str, Any] | None,
    *,
    texts: bool = True,
) -> dict[str, Candidate]:
    """Query the collection (in a worker thread: the pause between tries blocks no loop).

    Without `texts` the candidates' texts and metadata are left empty (a cheaper query).
    """
    include: Any = ["documents", "metadatas", "distances"] if texts else ["distances"]
    for attempt in range(1, UNWRITTEN_TRIES + 1):
        try:
            result = collection.query(
                query_embeddings=[qvec], n_results=n, where=where, include=include
            )
            break
        except InternalError as exc:
            if UNWRITTEN not in str(exc):
                raise
            if attempt == UNWRITTEN_TRIES:
                log.warning("%s: its first vectors are still being written; none found", exc)
                return {}
            time.sleep(UNWRITTEN_PAUSE_S)
    ids, dists = result["ids"][0], (result["distances"] or [[]])[0]
    if not texts:
        return {i: Candidate("", {}, 1.0 - d) for i, d in zip(ids, dists, strict=True)}
    found, metas = (result["documents"] or [[]])[0], (result["metadatas"] or [[]])[0]
    rows = zip(ids, found, metas, dists, strict=True)
    return {i: Candidate(t, _meta(m), 1.0 - d) for i, t, m, d in rows}


def nearest_scores(collection: Collection, qvec: np.ndarray, n: int) -> dict[str, float]:
    """Return the cosines of the `n` passages nearest to a query vector (ids only: the
    texts of the few that win are read afterwards, `passages`)."""
    return {i: c.score for i, c in _query(collection, qvec, n, None, texts=False).items()}


def vectors(collection: Collection, ids: list[str]) -> dict[str, np.ndarray]:
    """Return the stored vectors of passages by id."""
    if not ids:
        return {}
    got = collection.get(ids=ids, include=["embeddings"])
    embeddings: Any = got["embeddings"] if got["embeddings"] is not None else []
    return {i: np.asarray(e) for i, e in zip(got["ids"], embeddings, strict=True)}


def passages(collection: Collection, ids: list[str]) -> dict[str, tuple[str, dict[str, MetaValue]]]:
    """Return the text and metadata of passages by id."""
    if not ids:
        return {}
    got = collection.get(ids=ids, include=["documents", "metadatas"])
    rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
    return {i: (t, _meta(m)) for i, t, m in rows}


def ids_where(collection: Collection, where: dict[str, Any]) -> list[str]:
    """Return the ids of the passages matching a metadata filter."""
    return list(collection.get(where=where, include=[])["ids"])


def metadatas_where(collection: Collection, where: dict[str, Any]) -> list[dict[str, MetaValue]]:
    """Return the metadata of the passages matching a metadata filter."""
    got = collection.get(where=where, include=["metadatas"])
    return [_meta(m) for m in got["metadatas"] or []]


def all_records(collection: Collection) -> Iterator[list[Record]]:
    """Yield every passage of a collection, a page at a time."""
    for offset in range(0, collection.count(), PAGE):
        got = collection.get(limit=PAGE, offset=offset, include=["documents", "metadatas"])
        rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        yield [Record(i, t, Kind(str(m["kind"])), _meta(m)) for i, t, m in rows]


def _meta(meta: Any) -> dict[str, MetaValue]:
    return {k: v for k, v in dict(meta).items() if isinstance(v, str | int | float | bool)}
