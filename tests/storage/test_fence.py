"""A step's turn is written only at the sequence number the step was for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.base.rooms import Mode, RoomKey, RoomSettings, SpeakerKind, Turn
from storage.rooms import SeqTaken
from storage.store import Store, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
        yield store
        await store.db.close()
        return
    from tests.postgres_fixtures import postgres_database

    async with postgres_database() as url:
        store = await open_store(url)
        yield store
        await store.db.close()


def _turn(text: str) -> Turn:
    return Turn(0, SpeakerKind.PERSONA, "sage", "Sage", text)


async def test_a_second_writer_of_the_same_turn_is_refused(store: Store) -> None:
    key = RoomKey("test", "t", "c")
    room = await store.rooms.create(key, Mode.CHAT, "Topic", ("sage",), RoomSettings())
    votes = {"+1": "up"}
    first, _ = await store.rooms.append_with_poll(room, _turn("one"), None, votes, at_seq=1)
    assert first.seq == 1
    # A worker that read the room at seq 1 and stalled past its lock comes back:
    with pytest.raises(SeqTaken):
        await store.rooms.append_with_poll(room, _turn("one again"), None, votes, at_seq=1)
    second, _ = await store.rooms.append_with_poll(room, _turn("two"), None, votes, at_seq=2)
    assert second.seq == 2
    turns = await store.rooms.transcript(room.id)
    assert [t.content for t in turns] == ["one", "two"]
    polls = await store.polls.of_room(room.id)
    assert len(polls) == 2  # the refused turn opened no poll either
    fresh = await store.rooms.get(room.id)
    assert fresh is not None and fresh.next_seq == 3 and fresh.persona_turns == 2


async def test_a_step_is_cleared_only_while_it_is_still_the_rooms_step(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    from storage.steps import PendingStep

    key = RoomKey("test", "t", "c")
    room = await store.rooms.create(key, Mode.CHAT, "Topic", ("sage",), RoomSettings())
    ran = PendingStep(1, "turn", datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC))
    await store.steps.save(room.id, ran)
    assert await store.steps.get(room.id) == ran  # read back to the microsecond
    successor = PendingStep(2, "turn", ran.due + timedelta(seconds=4))
    await store.steps.save(room.id, successor)  # the step scheduled its successor as it ran
    assert not await store.steps.clear(room.id, ran)
    assert await store.steps.get(room.id) == successor
    assert await store.steps.clear(room.id, successor)
    assert await store.steps.get(room.id) is None
