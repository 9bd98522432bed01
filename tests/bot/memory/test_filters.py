from __future__ import annotations

import itertools

import chromadb
import numpy as np
import pytest

from bot.memory import chroma
from bot.memory.filters import Scope
from bot.memory.records import Kind

METAS = [
    {"kind": "turn", "room": "r1"},
    {"kind": "turn", "room": "r2"},
    {"kind": "summary", "room": "r1"},
    {"kind": "summary", "room": "r2"},
    {"kind": "position", "persona": "p1"},
    {"kind": "position", "persona": "p2"},
    {"kind": "document", "doc_id": "d"},
]
SCOPES = [
    Scope.of(kinds, persona, room)
    for kinds, persona, room in itertools.product(
        [None, [Kind.TURN], [Kind.POSITION, Kind.DOCUMENT], ["summary", "turn"]],
        [None, "p1"],
        [None, "r2"],
    )
]


@pytest.fixture(scope="module")
def collection() -> chromadb.Collection:
    client = chromadb.EphemeralClient(chromadb.Settings(anonymized_telemetry=False))
    col = client.get_or_create_collection("filters-test", embedding_function=None)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(METAS), 8)).astype(np.float32)
    col.add(ids=[str(i) for i in range(len(METAS))], embeddings=vectors, metadatas=METAS)
    return col


@pytest.mark.parametrize("scope", SCOPES)
def test_python_filter_matches_chroma_where(collection: chromadb.Collection, scope: Scope) -> None:
    where = scope.where()
    by_chroma = set(collection.get(where=where, include=[])["ids"]) if where else None
    by_python = {str(i) for i, m in enumerate(METAS) if scope.accepts(m)}
    assert by_python == (
        by_chroma if by_chroma is not None else {str(i) for i in range(len(METAS))}
    )


def test_scoped_nearest_falls_back_to_chroma_filter_when_rare() -> None:
    client = chromadb.EphemeralClient(chromadb.Settings(anonymized_telemetry=False))
    col = client.get_or_create_collection("rare-test", embedding_function=None)
    rng = np.random.default_rng(2)
    metas = [{"kind": "turn", "room": "r"} for _ in range(300)] + [
        {"kind": "position", "persona": "p"}
    ] * 3
    vectors = rng.normal(size=(len(metas), 8)).astype(np.float32)
    col.add(ids=[str(i) for i in range(len(metas))], embeddings=vectors, metadatas=metas)
    found = chroma.nearest(col, vectors[0], 20, Scope.of(["position"], "p", None))
    assert sorted(found) == ["300", "301", "302"]
    everything = chroma.nearest(col, vectors[0], 20, Scope())
    assert len(everything) == 20 and "0" in everything
