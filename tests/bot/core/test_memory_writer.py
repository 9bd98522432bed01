"""Memory's writer: batches off the turns' path, a bounded queue, and nothing lost on a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.base.rooms import Mode, Room, RoomKey, RoomSettings, RoomState, SpeakerKind, Turn
from bot.base.tasks import TaskOwner
from bot.core.memory_writer import MemoryWriter, of_turn
from bot.memory.records import Kind, Record
from storage.store import Store, open_store


class SlowMemory:
    """A memory that records what it stores, with an embedding that can be held."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.stored: dict[str, list[Record]] = {}
        self.gate = asyncio.Event()
        self.gate.set()

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> np.ndarray:
        assert background, "the writer's batches yield the cores to the rooms"
        await self.gate.wait()
        self.batches.append(len(texts))
        return np.ones((len(texts), 4), dtype=np.float32) / 2

    async def store_embedded(
        self, tenant: str, records: Sequence[Record], vectors: np.ndarray
    ) -> None:
        assert len(records) == len(vectors)
        self.stored.setdefault(tenant, []).extend(records)

    def texts(self, tenant: str) -> list[str]:
        return [r.text for r in self.stored.get(tenant, []) if r.kind is Kind.TURN]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'chimera.sqlite3'}")
    yield store
    await store.db.close()


async def _room(db: Store, mode: Mode = Mode.CHAT) -> Room:
    room = await db.rooms.create(
        RoomKey("slack", "T1", "C1"), mode, "Topic", ("a",), RoomSettings()
    )
    await db.rooms.set_state(room.id, RoomState.RUNNING)
    return room


async def _turns(db: Store, room: Room, count: int) -> list[Turn]:
    return [
        await db.rooms.append(
            room, Turn(0, SpeakerKind.PERSONA, "a", "A", f"Line {n}."), remember=True
        )
        for n in range(count)
    ]


async def test_many_turns_are_embedded_in_few_batches_and_marked(db: Store) -> None:
    memory, tasks = SlowMemory(), TaskOwner()
    writer = MemoryWriter(memory, db.marks, tasks, batch=32)  # type: ignore[arg-type]
    room = await _room(db)
    memory.gate.clear()  # the writer is busy: turns pile up without waiting for it
    await writer.start()
    for turn in await _turns(db, room, 100):
        writer.submit(of_turn(room, turn))
    assert writer.backlog == 100
    memory.gate.set()
    assert await writer.drained(10)
    assert sum(memory.batches) == 100 and max(memory.batches) <= 32 and len(memory.batches) <= 5
    assert len(memory.texts("slack:T1")) == 100
    assert await db.marks.to_remember(limit=10) == []
    await writer.close()
    await tasks.close()


async def test_a_full_queue_never_blocks_and_loses_nothing(db: Store) -> None:
    memory, tasks = SlowMemory(), TaskOwner()
    writer = MemoryWriter(memory, db.marks, tasks, queue_size=10, batch=4)  # type: ignore[arg-type]
    room = await _room(db)
    memory.gate.clear()
    await writer.start()
    for turn in await _turns(db, room, 50):
        writer.submit(of_turn(room, turn))  # returns at once even with the queue full
    assert writer.backlog > 10
    memory.gate.set()
    assert await writer.drained(20)
    assert sorted(memory.texts("slack:T1")) == sorted(f"Line {n}." for n in range(50))
    await writer.close()
    await tasks.close()


async def test_turns_left_unembedded_by_a_crash_are_embedded_at_the_next_start(db: Store) -> None:
    room = await _room(db, Mode.DEBATE)
    await _turns(db, room, 3)  # stored, marked for memory, then the process died
    await db.rooms.set_summary(room.id, "So far: three lines.", 3, remember=True)
    memory, tasks = SlowMemory(), TaskOwner()
    writer = MemoryWriter(memory, db.marks, tasks)  # type: ignore[arg-type]
    await writer.start()
    assert await writer.drained(10)
    kinds = sorted(r.kind.value for r in memory.stored["slack:T1"])
    assert kinds == ["position"] * 3 + ["summary"] + ["turn"] * 3
    assert await db.marks.to_remember(limit=10) == []
    assert await db.marks.summaries_to_remember() == []
    await writer.close()
    await tasks.close()


async def test_close_waits_for_the_queue_then_leaves_the_rest_to_the_database(db: Store) -> None:
    memory, tasks = SlowMemory(), TaskOwner()
    writer = MemoryWriter(memory, db.marks, tasks)  # type: ignore[arg-type]
    room = await _room(db)
    memory.gate.clear()
    await writer.start()
    for turn in await _turns(db, room, 5):
        writer.submit(of_turn(room, turn))
    await writer.close(drain_s=0.05)  # the embedding never came back in time
    assert len(await db.marks.to_remember(limit=10)) == 5  # still marked: the next start has them
    await tasks.close()
