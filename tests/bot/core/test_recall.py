"""Recall for turns: cited passages per tenant, cheap queries, nothing the prompt already holds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.base.rooms import (
    BranchKind,
    Lineage,
    Mode,
    Room,
    RoomKey,
    RoomSettings,
    RoomState,
    SpeakerKind,
    Turn,
)
from bot.base.tasks import TaskOwner
from bot.core.memory_writer import MemoryWriter
from bot.core.recall import MemoryRecall
from bot.memory.records import Kind
from bot.memory.store import MemoryStore
from storage.store import Store, open_store


class Counting:
    """The store, counting what it is asked to embed."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.embedded: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> np.ndarray:
        self.embedded += list(texts)
        return await self.store.embed(texts, background=background)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'chimera.sqlite3'}")
    yield store
    await store.db.close()


@pytest.fixture
async def recall(store: MemoryStore, db: Store) -> AsyncIterator[MemoryRecall]:
    tasks = TaskOwner()
    memory = Counting(store)
    writer = MemoryWriter(memory, db.marks, tasks)  # type: ignore[arg-type]
    await writer.start()
    yield MemoryRecall(memory, writer, k=2)  # type: ignore[arg-type]
    await writer.close()
    await tasks.close()


async def _room(db: Store, tenant: str, mode: Mode = Mode.DEBATE, topic: str = "") -> Room:
    key = RoomKey("discord", tenant, "c1")
    room = await db.rooms.create(
        key, mode, topic or "Should we adopt Postgres?", ("pro", "con"), RoomSettings()
    )
    await db.rooms.set_state(room.id, RoomState.RUNNING)
    return room


async def _say(db: Store, recall: MemoryRecall, room: Room, turn: Turn) -> Turn:
    stored = await db.rooms.append(room, turn, remember=True)
    recall.remember(room, stored)
    return stored


async def test_passages_are_numbered_cited_and_tenant_scoped(
    recall: MemoryRecall, store: MemoryStore, db: Store
) -> None:
    await store.ingest(
        "discord:g1", "db-plan.md", "Billing moves to PostgreSQL 16 in Q3 with logical replication."
    )
    question = "When does billing move to PostgreSQL?"
    mine = await _room(db, "g1", Mode.CHAT, question)
    [passage] = await recall.passages(mine, [], "pro")
    assert passage.n == 1 and passage.source == "db-plan.md, part 1/1"
    assert "logical replication" in passage.text
    assert await recall.passages(await _room(db, "g2", Mode.CHAT, question), [], "pro") == []


async def test_debate_turns_become_positions_and_system_turns_are_skipped(
    recall: MemoryRecall, store: MemoryStore, db: Store
) -> None:
    room = await _room(db, "g1")
    text = "Postgres costs us a quarter of migration work."
    await _say(db, recall, room, Turn(0, SpeakerKind.PERSONA, "con", "Con", text))
    await _say(db, recall, room, Turn(0, SpeakerKind.SYSTEM, "system", "Chimera", "Voting open."))
    await _say(db, recall, room, Turn(0, SpeakerKind.HUMAN, "u1", "Ana", "I like Postgres."))
    await db.rooms.set_summary(room.id, "The debate so far weighed migration cost.", 3)
    recall.remember_summary(await db.rooms.get(room.id))  # type: ignore[arg-type]
    assert await recall.writer.drained(20)
    stats = await store.stats("discord:g1")
    assert stats.by_kind == {Kind.TURN: 2, Kind.POSITION: 1, Kind.SUMMARY: 1, Kind.DOCUMENT: 0}
    [position] = await store.search(
        "discord:g1", "migration work", kinds=["position"], persona_id="con"
    )
    assert position.meta["topic"] == "Should we adopt Postgres?"


async def test_turns_inside_the_prompt_window_are_not_offered_but_earlier_rooms_are(
    recall: MemoryRecall, db: Store
) -> None:
    topic = "Postgres replication lag"
    earlier = await _room(db, "g1", Mode.CHAT, topic)
    said = "Postgres replication lag hit ten seconds during the billing migration."
    await _say(db, recall, earlier, Turn(0, SpeakerKind.HUMAN, "u1", "Ana", said))
    await db.rooms.set_state(earlier.id, RoomState.FINISHED)
    room = await _room(db, "g1", Mode.CHAT, topic)  # the same channel, a later conversation
    again = "Replication lag on Postgres reached ten seconds while billing migrated."
    window = [await _say(db, recall, room, Turn(0, SpeakerKind.HUMAN, "u2", "Bo", again))]
    assert await recall.writer.drained(20)
    texts = [p.text for p in await recall.passages(room, window, "pro")]
    assert texts == [said]  # the earlier room's line, not the one already in the window


async def test_a_fork_or_replay_does_not_recall_its_parent_room(
    recall: MemoryRecall, db: Store
) -> None:
    topic = "Postgres replication lag"
    parent = await _room(db, "g1", Mode.CHAT, topic)
    later = "Postgres replication lag hit ten seconds during the billing migration."
    await _say(db, recall, parent, Turn(0, SpeakerKind.HUMAN, "u1", "Ana", "Lag is fine."))
    await _say(db, recall, parent, Turn(0, SpeakerKind.HUMAN, "u1", "Ana", later))
    await db.rooms.set_state(parent.id, RoomState.FINISHED)
    assert await recall.writer.drained(20)
    unrelated = await _room(db, "g1", Mode.CHAT, topic)
    assert later in [p.text for p in await recall.passages(unrelated, [], "pro")]
    for kind, at in ((BranchKind.FORK, 1), (BranchKind.REPLAY, None)):
        branch = replace(unrelated, lineage=Lineage(kind, parent.id, at))
        assert await recall.passages(branch, [], "pro") == []


async def test_the_query_reuses_the_topic_and_turn_vectors(recall: MemoryRecall, db: Store) -> None:
    room = await _room(db, "g1", Mode.CHAT, "Tabs or spaces?")
    window = [
        await _say(db, recall, room, Turn(0, SpeakerKind.HUMAN, "u1", "Ana", f"Line {n}."))
        for n in (1, 2, 3)
    ]
    assert await recall.writer.drained(20)
    memory: Counting = recall.memory  # type: ignore[assignment]
    before = len(memory.embedded)
    await recall.passages(room, window, "pro")
    await recall.passages(room, window, "pro")
    assert memory.embedded[before:] == ["Tabs or spaces?"]  # the topic once; turns not again


async def test_passages_skip_what_the_query_already_says(recall: MemoryRecall, db: Store) -> None:
    room = await _room(db, "g1", Mode.CHAT, "Postgres")
    said = "Postgres replication lag was ten seconds yesterday."
    turn = await _say(db, recall, room, Turn(0, SpeakerKind.HUMAN, "u1", "Ana", said))
    assert await recall.writer.drained(20)
    await db.rooms.set_state(room.id, RoomState.FINISHED)
    other = await _room(db, "g1", Mode.CHAT, f"Postgres {said}")
    assert await recall.passages(other, [], "pro") == []
    assert turn.seq == 1
