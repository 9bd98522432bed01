"""Memory benchmark: ingest throughput and query latency at 10,000 (or 100,000) passages.

Usage: python bench/memory.py [--passages 10000] [--doc-chunks 96] [--queries 300]
                              [--embedded 2000]
       python bench/memory.py --passages 100000     # the 100k case, about 10 minutes

What is measured (all with the real int8 MiniLM model, embedded Chroma, and the keyword
index: its rows in SQLite, ranked by BM25 in memory):
- ingest_chunks_per_s: document chunks (~180 words each) through MemoryStore.ingest
  (extraction, chunking, embedding, Chroma and keyword-row writes);
- ingest_turns_per_s: chat turns (~20 words) through MemoryStore.remember_turns (the first
  --embedded turns, each really embedded);
- the tenant is then filled up to --passages with more turns whose vectors are computed
  cheaply: each reuses the vector of one of the really embedded turns plus a little Gaussian
  noise (sigma 0.02 per coordinate, renormalised), and has its own generated text, stored
  through MemoryStore.store_embedded (the same Chroma and keyword-row writes). Texts mix topic words
  with Zipf-distributed English words, so the keyword index sees realistic term statistics;
  the vectors cluster like real ones around the topics. Only the filling is cheap: every
  query below is the real path (its own model run, HNSW over all passages, BM25 over all);
- keyword_catch_up_after_fill_ms: the first search after the fill, which brings this
  process's keyword index up to date with every row written (in a running bot each search
  catches up on the few rows written since the last); keyword_index_load_ms: what a process
  that has just started pays to load the tenant's index on its first search;
- query_*: MemoryStore.search end to end (query embedding, Chroma HNSW, BM25, fusion),
  inside one tenant's collection; "filtered" adds metadata filters (kinds + room), and
  "persona" the persona scope the prompt path uses;
- chroma_* : the raw Chroma query alone with a precomputed vector, in the per-tenant
  collection, and in one shared collection of ten tenants filtered by `where tenant=`
  (the alternative design that per-tenant collections replace).
Prints progress lines, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import chromadb
import numpy as np

from bot.memory.chroma import collection_name
from bot.memory.embedding import LocalEmbedder, MiniLMEmbedding
from bot.memory.factory import chroma_client
from bot.memory.lexical import LexicalIndex
from bot.memory.model_files import default_tokenizer_path
from bot.memory.records import turn_record
from bot.memory.store import MemoryStore
from storage.db import Database
from storage.passage_terms import PassageTerms

TENANT = "discord:bench"
TOPICS = {
    "databases": "postgres mysql replication index query latency schema migration vacuum "
    "transaction backup replica shard partition jsonb planner",
    "astronomy": "telescope nebula galaxy jupiter saturn moon orbit comet meteor eclipse "
    "magnification eyepiece dobsonian aperture star",
    "cooking": "sourdough starter flour water dough oven bake crust yeast salt knead "
    "fermentation loaf butter recipe",
    "games": "dice board card strategy round score winner tournament champion rules turn "
    "player deck token campaign",
    "travel": "flight hotel train budget passport luggage airport itinerary booking visa "
    "museum beach city tour map",
    "finance": "invoice budget revenue cost margin forecast quarter pricing seat churn "
    "refund payment contract renewal audit",
}


def general_vocabulary() -> tuple[list[str], np.ndarray]:
    """Return whole English words from the model's vocabulary and Zipf weights for them."""
    vocab = json.loads(default_tokenizer_path().read_text())["model"]["vocab"]
    words = [w for w in vocab if w.isascii() and w.isalpha() and len(w) >= 3]
    weights = 1.0 / (np.arange(len(words)) + 10.0)  # the list is roughly by frequency
    return words, weights / weights.sum()


WORDS, WEIGHTS = general_vocabulary()


def sentence(rng: random.Random, topic: str, words: int) -> str:
    """Return a pseudo-sentence: a third topic words, the rest Zipf-distributed English."""
    vocab = TOPICS[topic].split()
    general = np.random.default_rng(rng.getrandbits(32)).choice(len(WORDS), words, p=WEIGHTS)
    picked = [rng.choice(vocab) if rng.random() < 0.33 else WORDS[g] for g in general]
    return " ".join(picked).capitalize() + "."


def document(rng: random.Random, topic: str, chunks: int) -> str:
    """Return a document that chunks into about `chunks` chunks of 180 words."""
    return " ".join(sentence(rng, topic, 12) for _ in range(chunks * 140 // 12))


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) of some values."""
    return float(np.percentile(np.array(values), q))


async def ingest_documents(
    store: MemoryStore, rng: random.Random, chunks: int
) -> tuple[int, float, float]:
    """Ingest documents of about `chunks` chunks in all; return chunks, chunks/s, CPU ms each."""
    started, cpu_started, stored = time.perf_counter(), time.process_time(), 0
    for i, topic in enumerate(sorted(TOPICS)):
        info = await store.ingest(TENANT, f"{topic}-{i}.txt", document(rng, topic, chunks // 6))
        stored += info.chunks
    cpu_ms = (time.process_time() - cpu_started) * 1000 / stored
    return stored, stored / (time.perf_counter() - started), cpu_ms


async def fill_turns(store: MemoryStore, rng: random.Random, count: int) -> float:
    """Store `count` short turns over several rooms, each embedded; return turns/s."""
    started = time.perf_counter()
    for start in range(0, count, 500):
        turns = [turn(rng, n) for n in range(start, min(start + 500, count))]
        await store.remember_turns(TENANT, f"room-{start // 2500}", turns)
        print(f"  stored {min(start + 500, count)}/{count} turns", file=sys.stderr)
    return count / (time.perf_counter() - started)


def turn(rng: random.Random, n: int) -> tuple[str, int, str]:
    """Return the n-th generated (speaker, seq, text) turn."""
    return f"speaker-{n % 9}", n, sentence(rng, sorted(TOPICS)[n % 6], rng.randint(14, 26))


async def fill_cheaply(store: MemoryStore, rng: random.Random, first: int, count: int) -> None:
    """Store turns `first`..`count` with perturbed copies of the stored turns' vectors."""
    collection = store._collection(TENANT, create=False)  # the bench reads what is stored
    assert collection is not None
    base = np.array(collection.get(limit=first, include=["embeddings"])["embeddings"])
    noise = np.random.default_rng(11)
    for start in range(first, count, 2000):
        numbers = range(start, min(start + 2000, count))
        records = [turn_record(f"room-{n // 2500}", *turn(rng, n)) for n in numbers]
        vectors = base[noise.integers(0, len(base), len(records))]
        vectors = vectors + noise.normal(0.0, 0.02, vectors.shape)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        await store.store_embedded(TENANT, records, vectors.astype(np.float32))
        print(f"  stored {numbers[-1] + 1}/{count} passages", file=sys.stderr)


async def timed(call: Awaitable[object], cpu: list[float] | None = None) -> float:
    """Return how long an awaitable took, in ms; append the CPU ms it used to `cpu`.

    CPU time counts every thread of this process, so on a shared, loaded machine it shows
    the work a query needs even when waiting for a core inflates the wall-clock time.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    await call
    if cpu is not None:
        cpu.append((time.process_time() - cpu_started) * 1000)
    return (time.perf_counter() - started) * 1000


async def time_searches(
    store: MemoryStore, embedder: LocalEmbedder, lexical: LexicalIndex, queries: list[str]
) -> dict[str, list[float]]:
    """Time every kind of search on each query in turn, so load changes hit all alike."""
    variants: dict[str, Callable[[str], Awaitable[object]]] = {
        "hybrid": lambda q: store.search(TENANT, q, k=5),
        "repeated": lambda q: store.search(TENANT, q, k=5),  # the same text again: cached vector
        "filtered": lambda q: store.search(TENANT, q, k=5, kinds=["turn"], room_id="room-1"),
        "persona": lambda q: store.search(TENANT, q, k=5, persona_id="speaker-1"),
        "vector": lambda q: store.search(TENANT, q, k=5, mode="vector"),
        "embed": lambda q: embedder.embed([q]),  # uncached: see the loop below
        "keyword": lambda q: lexical.search(TENANT, q, 20),
    }
    latencies: dict[str, list[float]] = {name: [] for name in variants}
    for q in list(queries):
        for name, search in variants.items():
            if name != "repeated":  # every other variant embeds and keyword-searches afresh
                embedder.clear_cache()
            cpu = latencies.setdefault(f"{name}_cpu", [])
            latencies[name].append(await timed(search(q), cpu))
    return latencies


def time_raw_queries(
    collection: object, vectors: np.ndarray, where: list[dict | None]
) -> list[float]:
    """Return the latency in ms of raw Chroma queries with precomputed vectors."""
    latencies = []
    for vector, w in zip(vectors, where, strict=True):
        started = time.perf_counter()
        collection.query(query_embeddings=[vector], n_results=20, where=w)  # type: ignore[attr-defined]
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def shared_collection(client: chromadb.api.ClientAPI, source: object, tenants: int) -> object:
    """Copy the tenant's vectors into one collection shared by `tenants` tenants."""
    shared = client.create_collection("bench-shared", configuration={"hnsw": {"space": "cosine"}})
    for offset in range(0, source.count(), 1000):  # type: ignore[attr-defined]
        got = source.get(limit=1000, offset=offset, include=["embeddings"])  # type: ignore[attr-defined]
        ids = got["ids"]
        metas = [{"tenant": f"t{(offset + n) % tenants}"} for n in range(len(ids))]
        shared.add(ids=ids, embeddings=got["embeddings"], metadatas=metas)
    return shared


def summary(values: list[float]) -> tuple[float, float]:
    """Return the median and the 99th percentile, rounded."""
    return round(statistics.median(values), 2), round(percentile(values, 99), 2)


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the whole benchmark in a temporary data directory."""
    rng = random.Random(7)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        client = chroma_client(Path(tmp) / "chroma")
        embedder = LocalEmbedder(MiniLMEmbedding(threads=args.threads))
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'memory.db'}")
        await db.migrate()
        lexical_index = LexicalIndex(PassageTerms(db))
        store = MemoryStore(client, lexical_index, embedder)
        await store.search(TENANT, "warm up the model", k=1)
        doc_chunks, chunks_per_s, chunk_cpu_ms = await ingest_documents(store, rng, args.doc_chunks)
        print(
            f"ingested {doc_chunks} document chunks: {chunks_per_s:.1f} chunks/s", file=sys.stderr
        )
        embedded = min(args.embedded, args.passages - doc_chunks)
        turns_per_s = await fill_turns(store, rng, embedded)
        await fill_cheaply(store, rng, embedded, args.passages - doc_chunks)
        collection = client.get_collection(collection_name(TENANT))
        assert collection.count() == args.passages
        catch_up_ms = await timed(lexical_index.search(TENANT, "catch up", 1))
        load_ms = await timed(LexicalIndex(PassageTerms(db)).count(TENANT))
        topics = sorted(TOPICS)
        queries = [sentence(rng, topics[i % 6], rng.randint(5, 10)) for i in range(args.queries)]
        times = await time_searches(store, embedder, lexical_index, queries)
        vectors = await embedder.embed(queries)
        raw = time_raw_queries(collection, vectors, [None] * len(queries))
        shared = shared_collection(client, collection, args.tenants)
        tenant_where = [{"tenant": f"t{i % args.tenants}"} for i in range(len(queries))]
        raw_shared = time_raw_queries(shared, vectors, tenant_where)
        await store.close()
        await db.close()
    p50, p99 = summary(times["hybrid"])
    f50, f99 = summary(times["filtered"])
    return {
        "passages": args.passages,
        "really_embedded_turns": embedded,
        "document_chunks": doc_chunks,
        "queries": len(queries),
        "ingest_chunks_per_s": round(chunks_per_s, 2),
        "ingest_cpu_ms_per_chunk": round(chunk_cpu_ms, 1),
        "ingest_turns_per_s": round(turns_per_s, 1),
        "query_p50_ms": p50,
        "query_p99_ms": p99,
        "query_cpu_p50_ms": summary(times["hybrid_cpu"])[0],
        "query_cpu_p99_ms": summary(times["hybrid_cpu"])[1],
        "query_repeated_p50_ms": summary(times["repeated"])[0],
        "embed_query_cpu_p50_ms": summary(times["embed_cpu"])[0],
        "keyword_search_cpu_p50_ms": summary(times["keyword_cpu"])[0],
        "query_filtered_p50_ms": f50,
        "query_filtered_p99_ms": f99,
        "query_persona_p50_ms": summary(times["persona"])[0],
        "vector_query_p50_ms": summary(times["vector"])[0],
        "embed_query_p50_ms": summary(times["embed"])[0],
        "keyword_search_p50_ms": summary(times["keyword"])[0],
        "keyword_catch_up_after_fill_ms": round(catch_up_ms, 1),
        "keyword_index_load_ms": round(load_ms, 1),
        "chroma_tenant_collection_p50_ms": summary(raw)[0],
        "chroma_shared_collection_tenant_where_p50_ms": summary(raw_shared)[0],
        "embedding_threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    """Parse arguments, run, print the JSON figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--doc-chunks", type=int, default=96)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--embedded", type=int, default=2000, help="turns really embedded")
    parser.add_argument(
        "--threads", type=int, default=1, help="embedding threads (CHIMERA_EMBEDDING_THREADS)"
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
