"""The local scheduler: steps on the room rows, a due step runs once across a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.base.clock import SystemClock
from bot.base.rooms import Mode, RoomKey, RoomSettings, RoomState
from bot.runtime.scheduler import LocalScheduler
from storage.steps import PendingStep
from storage.store import Store, open_store


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []
        self.ran = asyncio.Event()

    async def __call__(self, room_id: int, seq: int, action: str) -> None:
        self.calls.append((room_id, seq, action))
        self.ran.set()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    yield store
    await store.db.close()


async def _room(store: Store) -> int:
    key = RoomKey("test", "t", "c")
    room = await store.rooms.create(key, Mode.CHAT, "Topic", ("a", "b"), RoomSettings())
    await store.rooms.set_state(room.id, RoomState.RUNNING)
    return room.id


async def test_a_step_due_while_down_runs_exactly_once_after_restart(store: Store) -> None:
    room = await _room(store)
    clock = SystemClock()
    first = LocalScheduler(store.steps, clock, Recorder())
    await first.schedule(room, 3, "turn", clock.now() - timedelta(seconds=30))  # never started
    await first.shutdown()

    recorder = Recorder()
    second = LocalScheduler(store.steps, clock, recorder)
    assert await second.pending(room) is None  # not loaded until started
    await second.start()
    await asyncio.wait_for(recorder.ran.wait(), timeout=10)
    await second.schedule(room, 4, "turn", clock.now() + timedelta(hours=1))  # the step's next
    await second.shutdown()

    third_recorder = Recorder()
    third = LocalScheduler(store.steps, clock, third_recorder)
    await third.start()
    assert await third.pending(room) == PendingStep(4, "turn", (await _stored(store))[room].due)
    await asyncio.sleep(0.05)
    await third.shutdown()
    assert recorder.calls == [(room, 3, "turn")]
    assert third_recorder.calls == []


async def _stored(store: Store) -> dict[int, PendingStep]:
    return await store.steps.pending()


async def test_schedule_replaces_the_pending_step_of_a_room(store: Store) -> None:
    room = await _room(store)
    scheduler = LocalScheduler(store.steps, SystemClock(), Recorder())
    later = SystemClock().now() + timedelta(hours=1)
    await scheduler.schedule(room, 1, "turn", later)
    await scheduler.schedule(room, 2, "close_vote", later)
    pending = await scheduler.pending(room)
    assert pending is not None and (pending.seq, pending.action) == (2, "close_vote")
    assert (await _stored(store))[room].action == "close_vote"
    await scheduler.cancel(room)
    await scheduler.cancel(room)  # cancelling twice is harmless
    assert await scheduler.pending(room) is None
    assert await _stored(store) == {}


async def test_finished_rooms_leave_no_step_behind(store: Store) -> None:
    room = await _room(store)
    scheduler = LocalScheduler(store.steps, SystemClock(), Recorder())
    await scheduler.schedule(room, 1, "turn", SystemClock().now())
    await store.rooms.set_state(room, RoomState.FINISHED)
    assert await _stored(store) == {}


class Blocking:
    """A step handler that starts, then waits until it is let go."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.go_on = asyncio.Event()
        self.finished = False

    async def __call__(self, room_id: int, seq: int, action: str) -> None:
        self.started.set()
        await self.go_on.wait()
        self.finished = True


async def test_shutdown_lets_a_running_step_finish(store: Store) -> None:
    handler = Blocking()
    scheduler = LocalScheduler(store.steps, SystemClock(), handler)
    await scheduler.start()
    await scheduler.schedule(await _room(store), 1, "turn", SystemClock().now())
    await asyncio.wait_for(handler.started.wait(), 10)
    stopping = asyncio.create_task(scheduler.shutdown())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the step (whose turn is being posted)
    handler.go_on.set()
    await asyncio.wait_for(stopping, 10)
    assert handler.finished


async def test_shutdown_gives_up_on_a_step_that_does_not_finish(store: Store) -> None:
    handler = Blocking()
    scheduler = LocalScheduler(store.steps, SystemClock(), handler, finish_s=0.1)
    await scheduler.start()
    await scheduler.schedule(await _room(store), 1, "turn", SystemClock().now())
    await asyncio.wait_for(handler.started.wait(), 10)
    await asyncio.wait_for(scheduler.shutdown(), 10)
    assert not handler.finished


async def test_a_step_that_schedules_itself_again_while_it_runs_runs_again(store: Store) -> None:
    room = await _room(store)
    clock = SystemClock()
    calls: list[int] = []
    again = asyncio.Event()

    async def retry_once(room_id: int, seq: int, action: str) -> None:
        calls.append(seq)
        if len(calls) == 1:  # a failed turn: the same step, due now, from inside the step
            await scheduler.schedule(room_id, seq, action, clock.now())
            await asyncio.wait_for(again.wait(), timeout=10)  # still running when it is due
        else:
            again.set()

    scheduler = LocalScheduler(store.steps, clock, retry_once)
    await scheduler.start()
    try:
        await scheduler.schedule(room, 6, "turn", clock.now())
        await asyncio.wait_for(again.wait(), timeout=15)
    finally:
        await scheduler.shutdown()
    assert calls == [6, 6]
