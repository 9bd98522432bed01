from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.shared_system_client import SharedSystemClient

from bot.memory.chroma import collection_name
from bot.memory.documents import DocumentError
from bot.memory.embedding import LocalEmbedder
from bot.memory.factory import open_memory
from bot.memory.records import Kind
from bot.memory.store import MemoryStore
from storage.db import Database
from tests.bot.memory.pdf import minimal_pdf
from tests.memory_fixtures import migrated
from tests.postgres_fixtures import postgres_database

A, B = "discord:111", "slack:T222"
HANDBOOK = (
    "Our on-call engineers acknowledge pages within fifteen minutes. "
    "The billing database moves to PostgreSQL 16 in the third quarter. "
    "Rollback keeps MySQL read-only for two weeks."
)


async def _lexical_count(store: MemoryStore, tenant: str) -> int:
    return await store._lexical.count(tenant)


def _vector_count(store: MemoryStore, tenant: str) -> int:
    collection = store._collection(tenant, create=False)
    return collection.count() if collection is not None else 0


async def test_ingest_then_search_cites_the_source(store: MemoryStore) -> None:
    seen: list[tuple[int, int]] = []
    info = await store.ingest(
        A,
        "handbook.md",
        HANDBOOK,
        source="https://wiki/handbook",
        progress=lambda d, t: seen.append((d, t)),
    )
    assert (info.format, info.chunks, info.source) == ("markdown", 1, "https://wiki/handbook")
    assert seen == [(0, 1), (1, 1)]
    [hit] = await store.search(A, "When is the Postgres migration?", k=1)
    assert hit.kind is Kind.DOCUMENT and "PostgreSQL 16" in hit.text
    assert hit.source == "handbook.md, part 1/1"
    assert hit.meta["doc_id"] == info.doc_id and hit.meta["source"] == "https://wiki/handbook"
    assert 0 < hit.score <= 1


async def test_pdf_pages_are_cited(store: MemoryStore) -> None:
    pages = ["Quasars are bright galactic nuclei.", "The observatory budget is 42 euros per night."]
    info = await store.ingest(A, "astro.pdf", minimal_pdf(pages))
    assert info.format == "pdf"
    [hit] = await store.search(A, "how much does the observatory cost", k=1)
    assert hit.meta["page"] in (1, 2) and hit.source.startswith("astro.pdf, p. ")


async def test_long_document_is_chunked_with_async_progress(store: MemoryStore) -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    seen: list[int] = []

    async def progress(done: int, total: int) -> None:
        seen.append(done)

    info = await store.ingest(A, "long.txt", text, progress=progress)
    assert info.chunks > 5 and seen[0] == 0 and seen[-1] == info.chunks
    assert _vector_count(store, A) == await _lexical_count(store, A) == info.chunks


async def test_reingesting_the_same_document_is_idempotent(store: MemoryStore) -> None:
    first = await store.ingest(A, "handbook.md", HANDBOOK)
    again = await store.ingest(A, "handbook.md", HANDBOOK)
    assert first == again and len(await store.documents(A)) == 1
    assert _vector_count(store, A) == await _lexical_count(store, A) == 1
    assert await store.search(A, "handbook", kinds=[]) == []


async def test_empty_document_is_refused(store: MemoryStore) -> None:
    with pytest.raises(DocumentError, match="no text"):
        await store.ingest(A, "blank.html", "<html><script>x()</script></html>")


async def test_tenant_b_never_sees_tenant_a(store: MemoryStore) -> None:
    await store.ingest(A, "secret-plan.md", HANDBOOK)
    await store.remember_position(A, "skeptic", "postgres", "PostgreSQL migration is reckless.")
    await store.remember_turn(A, "discord:111:9", "Ana", 1, "The PostgreSQL cut-over is on Friday.")
    await store.remember_turn(B, "slack:T222:C1", "Bo", 1, "We like cats.")
    for kinds in (None, [Kind.POSITION], [Kind.DOCUMENT], [Kind.TURN]):
        for mode in ("hybrid", "vector", "lexical"):
            hits = await store.search(B, "PostgreSQL migration plan", k=10, kinds=kinds, mode=mode)
            assert all("PostgreSQL" not in h.text for h in hits)
    hits = await store.search(B, "reckless skeptic", k=10, persona_id="skeptic")
    assert [h.text for h in hits] == ["We like cats."]
    assert await store.documents(B) == []
    assert (await store.stats(B)).total == 1


async def test_persona_and_room_filters(store: MemoryStore) -> None:
    await store.remember_position(A, "skeptic", "cats", "Cats are overrated pets.")
    await store.remember_position(A, "fan", "cats", "Cats are the best pets.")
    await store.remember_turn(A, "room-1", "Ana", 1, "My cat knocked over the pets' water.")
    await store.remember_turn(A, "room-2", "Bo", 1, "Cats again? Pets are pets.")
    hits = await store.search(A, "cats pets", k=10, persona_id="fan", room_id="room-1")
    assert sorted(h.text for h in hits) == [
        "Cats are the best pets.",
        "My cat knocked over the pets' water.",
    ]
    positions = await store.search(A, "cats", k=10, kinds=["position"])
    assert {h.kind for h in positions} == {Kind.POSITION} and len(positions) == 2


async def test_min_score_drops_unrelated_passages(store: MemoryStore) -> None:
    await store.ingest(A, "handbook.md", HANDBOOK)
    assert await store.search(A, "sourdough starter hydration", min_score=0.3) == []
    assert await store.search(A, "who acknowledges pages on call", min_score=0.3)


async def test_exact_identifier_survives_the_threshold(store: MemoryStore) -> None:
    await store.ingest(A, "dr.md", "Decision DR-17 moved billing off MySQL after the audit.")
    await store.ingest(A, "other.md", "Decision records are kept in the wiki.")
    [hit] = await store.search(A, "DR-17", min_score=0.9)
    assert hit.meta["name"] == "dr.md"


async def test_forget_document_deletes_vectors_and_keywords(store: MemoryStore) -> None:
    info = await store.ingest(A, "handbook.md", HANDBOOK)
    await store.remember_turn(A, "room-1", "Ana", 1, "PostgreSQL is great.")
    assert await store.forget_document(A, info.doc_id) == 1
    hits = await store.search(A, "PostgreSQL billing database rollback", k=10)
    assert [h.kind for h in hits] == [Kind.TURN]
    assert await store.search(A, "MySQL read-only", k=10, kinds=["document"], mode="lexical") == []
    assert _vector_count(store, A) == await _lexical_count(store, A) == 1
    assert await store.documents(A) == []


async def test_forget_room_keeps_other_rooms_and_positions(store: MemoryStore) -> None:
    await store.remember_turn(A, "room-1", "Ana", 1, "First room talk.")
    await store.remember_summary(A, "room-1", "Room one discussed talk.", through_seq=1)
    await store.remember_turn(A, "room-2", "Bo", 1, "Second room talk.")
    await store.remember_position(A, "skeptic", "talk", "Talk is cheap.")
    assert await store.forget_room(A, "room-1") == 2
    stats = await store.stats(A)
    assert stats.by_kind[Kind.TURN] == 1 and stats.by_kind[Kind.SUMMARY] == 0
    assert stats.by_kind[Kind.POSITION] == 1 and stats.lexical_rows == 3 - 1


async def test_forget_tenant_drops_everything_of_that_tenant_only(store: MemoryStore) -> None:
    await store.ingest(A, "handbook.md", HANDBOOK)
    await store.remember_turn(B, "room-b", "Bo", 1, "PostgreSQL talk in B.")
    assert await store.forget_tenant(A) == 1
    assert await store.search(A, "PostgreSQL") == [] and await _lexical_count(store, A) == 0
    names = [c.name for c in store._client.list_collections()]
    assert collection_name(A) not in names and collection_name(B) in names
    assert len(await store.search(B, "PostgreSQL")) == 1


async def test_memory_persists_across_instances(
    tmp_path: Path, embedder: LocalEmbedder, memory_db: Database
) -> None:
    first = open_memory(tmp_path / "m", memory_db, embedder=embedder)
    info = await first.ingest(A, "handbook.md", HANDBOOK)
    await first.remember_turn(A, "room-1", "Ana", 7, "Remember the blue whale.")
    await first.close()
    SharedSystemClient.clear_system_cache()  # the next client must read from disk
    second = open_memory(tmp_path / "m", memory_db, embedder=embedder)
    assert [d.doc_id for d in await second.documents(A)] == [info.doc_id]
    [hit] = await second.search(A, "blue whale", k=1, kinds=["turn"], mode="lexical")
    assert hit.source == "Ana in room-1 (#7)"
    await second.close()
    SharedSystemClient.clear_system_cache()


async def test_lost_keyword_index_is_rebuilt_from_chroma(
    tmp_path: Path, embedder: LocalEmbedder, memory_db: Database
) -> None:
    first = open_memory(tmp_path / "m", memory_db, embedder=embedder)
    await first.ingest(A, "handbook.md", HANDBOOK)
    await first.close()
    SharedSystemClient.clear_system_cache()
    fresh = await migrated(tmp_path / "replaced.db")  # e.g. a store kept before keyword rows
    second = open_memory(tmp_path / "m", fresh, embedder=embedder)
    [hit] = await second.search(A, "MySQL read-only rollback", k=1, mode="lexical")
    assert "Rollback" in hit.text
    assert await _lexical_count(second, A) == _vector_count(second, A) > 0
    await second.close()
    await fresh.close()
    SharedSystemClient.clear_system_cache()


async def test_embedding_runs_off_the_event_loop_while_ingesting(
    store: MemoryStore, embedder: LocalEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = " ".join(f"Line {i} of a long report on harbour logistics." for i in range(150))
    encode, threads = embedder.model.encode, set()

    def recording(texts: list[str]) -> Any:
        threads.add(threading.get_ident())
        return encode(texts)

    monkeypatch.setattr(embedder.model, "encode", recording)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker(), name="test-ticker")
    await store.ingest(A, "report.txt", text)
    task.cancel()
    assert threads and threading.get_ident() not in threads  # never on the loop's thread
    assert ticks > 0  # and the loop kept turning meanwhile


async def test_a_tenant_is_required(store: MemoryStore) -> None:
    with pytest.raises(ValueError, match="tenant"):
        await store.remember_turn("", "room", "Ana", 1, "hello")
    with pytest.raises(ValueError, match="tenant"):
        await store.search(" ", "hello")


async def test_a_document_ingested_through_one_process_is_found_by_keyword_in_another(
    tmp_path: Path, embedder: LocalEmbedder
) -> None:
    """Two processes on one PostgreSQL database and one Chroma: the keyword rows are shared."""
    async with postgres_database() as url:
        first_db, second_db = Database(url), Database(url)
        await first_db.migrate()
        first = open_memory(tmp_path / "m", first_db, embedder=embedder)
        second = open_memory(tmp_path / "m", second_db, embedder=embedder)
        await first.ingest(A, "handbook.md", HANDBOOK)
        [hit] = await second.search(A, "MySQL read-only rollback", k=1, mode="lexical")
        assert "Rollback" in hit.text
        assert (await second.stats(A)).lexical_rows == _vector_count(second, A)
        for memory, db in ((first, first_db), (second, second_db)):
            await memory.close()
            await db.close()
    SharedSystemClient.clear_system_cache()
