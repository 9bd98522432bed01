"""The persistent scheduler across a restart: a due step runs once, never twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.base.clock import SystemClock
from bot.runtime.scheduler import PersistentScheduler


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []
        self.ran = asyncio.Event()

    async def __call__(self, room_id: int, seq: int, action: str) -> None:
        self.calls.append((room_id, seq, action))
        self.ran.set()


async def _stored_overdue_step(url: str, overdue_s: float) -> None:
    """Leave a step in the job store that fell due while no process was running."""
    first = PersistentScheduler(url, Recorder(), name="restart-test")
    await first.start(paused=True)
    first.schedule(7, 3, "turn", SystemClock().now() - timedelta(seconds=overdue_s))
    await first.shutdown()


async def test_a_step_due_while_down_runs_exactly_once_after_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    await _stored_overdue_step(url, overdue_s=30)

    recorder = Recorder()
    second = PersistentScheduler(url, recorder, name="restart-test", grace_s=300)
    assert second.pending(7) is None  # not loaded until started
    await second.start()
    await asyncio.wait_for(recorder.ran.wait(), timeout=10)
    await second.shutdown()

    third_recorder = Recorder()
    third = PersistentScheduler(url, third_recorder, name="restart-test")
    await third.start()
    assert third.pending(7) is None
    await asyncio.sleep(0)  # let the scheduler process its (empty) store
    await third.shutdown()
    assert recorder.calls == [(7, 3, "turn")]
    assert third_recorder.calls == []


async def test_a_step_older_than_the_grace_time_is_dropped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    await _stored_overdue_step(url, overdue_s=3600)
    recorder = Recorder()
    scheduler = PersistentScheduler(url, recorder, name="restart-test", grace_s=60)
    await scheduler.start()
    for _ in range(50):
        if scheduler.pending(7) is None:
            break
        await asyncio.sleep(0.01)
    await scheduler.shutdown()
    assert recorder.calls == []  # the orchestrator's recover() reschedules such rooms instead


async def test_schedule_replaces_the_pending_step_of_a_room(tmp_path: Path) -> None:
    scheduler = PersistentScheduler(f"sqlite:///{tmp_path / 'j.sqlite3'}", Recorder(), name="r")
    await scheduler.start(paused=True)
    later = SystemClock().now() + timedelta(hours=1)
    scheduler.schedule(1, 1, "turn", later)
    scheduler.schedule(1, 2, "close_vote", later)
    pending = scheduler.pending(1)
    assert pending is not None and pending[:2] == (2, "close_vote")
    scheduler.cancel(1)
    scheduler.cancel(1)  # cancelling twice is harmless
    assert scheduler.pending(1) is None
    await scheduler.shutdown()


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


async def test_shutdown_lets_a_running_step_finish(tmp_path: Path) -> None:
    handler = Blocking()
    scheduler = PersistentScheduler(f"sqlite:///{tmp_path / 'j.sqlite3'}", handler, name="stop")
    await scheduler.start()
    scheduler.schedule(1, 1, "turn", SystemClock().now())
    await asyncio.wait_for(handler.started.wait(), 10)
    stopping = asyncio.create_task(scheduler.shutdown())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the step (whose turn is being posted)
    handler.go_on.set()
    await asyncio.wait_for(stopping, 10)
    assert handler.finished


async def test_shutdown_gives_up_on_a_step_that_does_not_finish(tmp_path: Path) -> None:
    handler = Blocking()
    url = f"sqlite:///{tmp_path / 'j.sqlite3'}"
    scheduler = PersistentScheduler(url, handler, name="stuck", finish_s=0.1)
    await scheduler.start()
    scheduler.schedule(1, 1, "turn", SystemClock().now())
    await asyncio.wait_for(handler.started.wait(), 10)
    await asyncio.wait_for(scheduler.shutdown(), 10)
    assert not handler.finished
