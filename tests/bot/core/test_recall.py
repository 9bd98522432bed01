from __future__ import annotations

from bot.base.rooms import Mode, Room, RoomKey, RoomSettings, RoomState, SpeakerKind, Turn
from bot.core.recall import MemoryRecall
from bot.memory.records import Kind
from bot.memory.store import MemoryStore


def _room(tenant: str, mode: Mode = Mode.DEBATE) -> Room:
    key = RoomKey("discord", tenant, "c1")
    return Room(
        1, key, mode, "Should we adopt Postgres?", ("pro", "con"), RoomState.RUNNING, RoomSettings()
    )


async def test_passages_are_numbered_cited_and_tenant_scoped(store: MemoryStore) -> None:
    await store.ingest(
        "discord:g1", "db-plan.md", "Billing moves to PostgreSQL 16 in Q3 with logical replication."
    )
    recall = MemoryRecall(store, k=2)
    [passage] = await recall.passages("discord:g1", "When does billing move to PostgreSQL?", "pro")
    assert passage.n == 1 and passage.source == "db-plan.md, part 1/1"
    assert "logical replication" in passage.text
    assert await recall.passages("discord:g2", "When does billing move to PostgreSQL?", "pro") == []


async def test_debate_turns_become_positions_and_system_turns_are_skipped(
    store: MemoryStore,
) -> None:
    room = _room("g1")
    recall = MemoryRecall(store)
    await recall.remember(
        room,
        Turn(
            3, SpeakerKind.PERSONA, "con", "Con", "Postgres costs us a quarter of migration work."
        ),
    )
    await recall.remember(room, Turn(4, SpeakerKind.SYSTEM, "system", "Chimera", "Voting is open."))
    await recall.remember(room, Turn(5, SpeakerKind.HUMAN, "u1", "Ana", "I like Postgres."))
    await recall.remember_summary(room, "The debate so far weighed migration cost.", 5)
    stats = await store.stats("discord:g1")
    assert stats.by_kind == {Kind.TURN: 2, Kind.POSITION: 1, Kind.SUMMARY: 1, Kind.DOCUMENT: 0}
    [position] = await store.search(
        "discord:g1", "migration work", kinds=["position"], persona_id="con"
    )
    assert position.meta["topic"] == "Should we adopt Postgres?"


async def test_passages_skip_what_the_query_already_says(store: MemoryStore) -> None:
    room = _room("g1", Mode.CHAT)
    recall = MemoryRecall(store)
    said = "Postgres replication lag was ten seconds yesterday."
    await recall.remember(room, Turn(1, SpeakerKind.HUMAN, "u1", "Ana", said))
    assert await recall.passages("discord:g1", f"Postgres {said}", "pro") == []
