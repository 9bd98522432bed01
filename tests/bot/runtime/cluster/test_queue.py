"""The queue scheduler: each room's step a SAQ job on Redis, run once by whichever process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.base.clock import SystemClock
from bot.base.rooms import Mode, RoomKey, RoomSettings, RoomState
from storage.steps import PendingStep
from storage.store import Store, open_store
from tests.redis_fixtures import RedisSpace

pytestmark = pytest.mark.services
CLOCK = SystemClock()
FAST = {"heartbeat_s": 1, "sweep_s": 1}


class Recorder:
    """The step handler: records each step it runs, optionally doing more."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []
        self.then: Callable[[int, int, str], Awaitable[None]] | None = None

    async def __call__(self, room_id: int, seq: int, action: str) -> None:
        self.calls.append((room_id, seq, action))
        if self.then is not None:
            await self.then(room_id, seq, action)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    yield store
    await store.db.close()


@pytest.fixture
async def processes(store: Store, test_redis: RedisSpace) -> AsyncIterator[Callable[..., Any]]:
    """Build schedulers as separate processes would: each with its own Redis connections."""
    async with AsyncExitStack() as stack:

        async def build(handler: Recorder, **timers: Any) -> Any:
            from bot.runtime.cluster import open_cluster
            from bot.runtime.cluster.queue import QueueScheduler, QueueTimers

            cluster = open_cluster(test_redis.url, test_redis.prefix)
            stack.push_async_callback(cluster.close)
            scheduler = QueueScheduler(
                cluster.queue, store.steps, CLOCK, handler, timers=QueueTimers(**timers)
            )
            stack.push_async_callback(scheduler.shutdown)
            return scheduler

        yield build


async def _room(store: Store, channel: str = "c") -> int:
    room = await store.rooms.create(
        RoomKey("test", "t", channel), Mode.CHAT, "Topic", ("a", "b"), RoomSettings()
    )
    await store.rooms.set_state(room.id, RoomState.RUNNING)
    return room.id


async def eventually(check: Callable[[], Any], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not await _value(check()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def drained(scheduler: Any) -> bool:
    """Tell whether the queue holds no job that has not finished."""
    return bool(await scheduler.queue.count("incomplete") == 0)


async def _value(result: Any) -> Any:
    return await result if asyncio.iscoroutine(result) else result


def _in(seconds: float) -> Any:
    return CLOCK.now() + timedelta(seconds=seconds)


async def test_a_step_enqueued_twice_is_one_job(store: Store, processes: Any) -> None:
    scheduler = await processes(Recorder())
    room = await _room(store)
    await scheduler.schedule(room, 1, "turn", _in(60))
    step = await scheduler.pending(room)
    assert step is not None and step.seq == 1
    await scheduler.enqueue(room, step)  # as a second process recovering the room would
    assert await scheduler.queue.count("incomplete") == 1
    assert await store.steps.get(room) == step  # the row holds the truth


async def test_a_due_step_runs_once_and_then_nothing_is_pending(
    store: Store, processes: Any
) -> None:
    handler = Recorder()
    scheduler = await processes(handler)
    room = await _room(store)
    await scheduler.start()
    await scheduler.schedule(room, 1, "turn", CLOCK.now())
    await eventually(lambda: handler.calls)
    await eventually(lambda: drained(scheduler))
    assert handler.calls == [(room, 1, "turn")]
    assert await scheduler.pending(room) is None
    assert await store.steps.get(room) is None


async def test_a_step_runs_at_its_due_time(store: Store, processes: Any) -> None:
    handler = Recorder()
    ran_at: list[float] = []

    async def note(*_: Any) -> None:
        ran_at.append(time.time())

    handler.then = note
    scheduler = await processes(handler)
    room = await _room(store)
    await scheduler.start()
    due = _in(2.5)
    await scheduler.schedule(room, 1, "turn", due)
    await eventually(lambda: ran_at, within_s=6)
    late = ran_at[0] - due.timestamp()
    assert -0.05 < late < 0.9  # handed out early, then waited (not a poll period late)


async def test_a_step_scheduled_by_a_step_runs_next(store: Store, processes: Any) -> None:
    handler = Recorder()
    scheduler = await processes(handler)

    async def next_turn(room_id: int, seq: int, action: str) -> None:
        if seq < 3:
            await scheduler.schedule(room_id, seq + 1, "turn", CLOCK.now())

    handler.then = next_turn
    room = await _room(store)
    await scheduler.start()
    await scheduler.schedule(room, 1, "turn", CLOCK.now())
    await eventually(lambda: len(handler.calls) == 3)
    assert [seq for _, seq, _ in handler.calls] == [1, 2, 3]
    assert await store.steps.get(room) is None


async def test_a_moved_step_runs_once_at_its_new_time(store: Store, processes: Any) -> None:
    handler = Recorder()
    scheduler = await processes(handler)
    room = await _room(store)
    await scheduler.start()
    await scheduler.schedule(room, 1, "turn", _in(1.5))
    await scheduler.schedule(room, 1, "turn", CLOCK.now())  # a mention brings it forward
    await eventually(lambda: handler.calls)
    await eventually(lambda: drained(scheduler), within_s=5)
    assert handler.calls == [(room, 1, "turn")]


async def test_a_cancelled_step_does_not_run(store: Store, processes: Any) -> None:
    handler = Recorder()
    scheduler = await processes(handler)
    room = await _room(store)
    await scheduler.start()
    await scheduler.schedule(room, 1, "turn", _in(1.0))
    await scheduler.cancel(room)  # paused
    assert await scheduler.pending(room) is None
    await eventually(lambda: drained(scheduler), within_s=5)
    assert handler.calls == []


async def test_every_starting_process_enqueues_the_stored_steps_once(
    store: Store, processes: Any
) -> None:
    rooms = [await _room(store, f"c{n}") for n in range(4)]
    for room in rooms:  # steps stored before any process came up (a restart of them all)
        await store.steps.save(room, PendingStep(1, "turn", _in(-5)))
    handler = Recorder()
    first, second = await processes(handler), await processes(handler)
    await asyncio.gather(first.start(), second.start())
    await eventually(lambda: len(handler.calls) >= 4)
    await eventually(lambda: drained(first))
    assert sorted(handler.calls) == [(room, 1, "turn") for room in rooms]


async def _die_holding(scheduler: Any) -> Any:
    """Take the next job as a worker would, then never touch it again (a kill -9)."""
    from saq.job import Status

    job = await scheduler.queue.dequeue(timeout=2)
    assert job is not None
    job.attempts += 1
    job.started = int(time.time() * 1000)
    await job.update(status=Status.ACTIVE)
    return job


async def test_a_step_whose_worker_died_is_taken_over_and_run(store: Store, processes: Any) -> None:
    handler = Recorder()
    taken: list[int] = []
    survivor = await processes(handler, **FAST)

    async def take_over(room_id: int) -> bool:
        taken.append(room_id)
        return False  # nothing was lost: the step itself still has to run

    survivor.takeover = take_over
    room = await _room(store)
    await survivor.schedule(room, 1, "turn", CLOCK.now())
    await _die_holding(survivor)
    await survivor.start()
    await eventually(lambda: handler.calls, within_s=10)
    assert taken == [room]
    assert handler.calls == [(room, 1, "turn")]


async def test_a_takeover_that_schedules_the_room_replaces_the_step(
    store: Store, processes: Any
) -> None:
    handler = Recorder()
    survivor = await processes(handler, **FAST)
    room = await _room(store)

    async def take_over(room_id: int) -> bool:
        # The dead worker had written turn 1: recovery posts it and schedules turn 2.
        await survivor.schedule(room_id, 2, "turn", CLOCK.now())
        return True

    survivor.takeover = take_over
    await survivor.schedule(room, 1, "turn", CLOCK.now())
    await _die_holding(survivor)
    await survivor.start()
    await eventually(lambda: handler.calls, within_s=10)
    await eventually(lambda: drained(survivor))
    assert handler.calls == [(room, 2, "turn")]


async def test_a_successor_the_dead_worker_stored_but_never_enqueued_runs(
    store: Store, processes: Any
) -> None:
    handler = Recorder()
    survivor = await processes(handler, **FAST)
    room = await _room(store)
    await survivor.schedule(room, 1, "turn", CLOCK.now())
    await _die_holding(survivor)
    # It stored turn 2's step on the row and died before enqueuing it.
    await store.steps.save(room, PendingStep(2, "turn", CLOCK.now()))
    await survivor.start()
    await eventually(lambda: handler.calls, within_s=10)
    await eventually(lambda: drained(survivor))
    assert handler.calls == [(room, 2, "turn")]


async def test_shutdown_lets_a_running_step_finish(store: Store, processes: Any) -> None:
    handler = Recorder()
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow(*_: Any) -> None:
        started.set()
        await release.wait()
        finished.set()

    handler.then = slow
    scheduler = await processes(handler)
    room = await _room(store)
    await scheduler.start()
    await scheduler.schedule(room, 1, "turn", CLOCK.now())
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(scheduler.shutdown())
    await asyncio.sleep(0.3)
    assert not stopping.done()  # it waits for the step
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished.is_set()
    assert await store.steps.get(room) is None  # it ran to the end: nothing left to retry


async def test_a_stored_step_with_no_job_runs_without_a_restart(
    store: Store, processes: Any
) -> None:
    handler = Recorder()
    scheduler = await processes(handler, reconcile_s=0.5)
    room = await _room(store)
    await scheduler.start()
    # A process stored this step (a `resume`) and died before enqueuing it.
    await store.steps.save(room, PendingStep(1, "turn", _in(-2)))
    await eventually(lambda: handler.calls, within_s=10)
    await eventually(lambda: drained(scheduler))
    assert handler.calls == [(room, 1, "turn")]
