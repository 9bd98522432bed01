"""Test doubles for our own interfaces: a clock that moves when told, hand-run schedulers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.pacing import StepHandler
from bot.core.recurring import FireHandler
from bot.runtime.recurring import next_time
from storage.steps import PendingStep


class FakeClock:
    """A clock that moves only when told to; `sleep` advances it instantly."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        """Return the fake current time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self._now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        """Record the wait and advance time without blocking."""
        self.slept.append(seconds)
        self.advance(max(seconds, 0))
        await asyncio.sleep(0)


class ManualScheduler:
    """An in-memory scheduler driven by the caller's clock: for tests and benchmarks."""

    def __init__(self, handler: StepHandler | None = None) -> None:
        self.handler = handler
        self.jobs: dict[int, PendingStep] = {}

    async def schedule(self, room_id: int, seq: int, action: str, at: datetime) -> None:
        """Replace the room's pending step with this one."""
        self.jobs[room_id] = PendingStep(seq, action, at)

    async def cancel(self, room_id: int) -> None:
        """Drop the room's pending step."""
        self.jobs.pop(room_id, None)

    async def pending(self, room_id: int) -> PendingStep | None:
        """Return the room's pending step."""
        return self.jobs.get(room_id)

    async def start(self) -> None:
        """Nothing to start: steps run when `run_due` is called."""

    async def shutdown(self) -> None:
        """Nothing to stop."""

    async def run_due(self, now: datetime) -> int:
        """Run every step due at `now` (oldest first); return how many ran."""
        due = sorted((job.due, room_id) for room_id, job in self.jobs.items() if job.due <= now)
        for _, room_id in due:
            step = self.jobs.pop(room_id)
            assert self.handler is not None, "ManualScheduler needs a handler"
            await self.handler(room_id, step.seq, step.action)
        return len(due)


class ManualTimer:
    """A recurring-room timer driven by the caller's clock: `run_due` fires what is due."""

    def __init__(self, clock: FakeClock) -> None:
        self.handler: FireHandler | None = None
        self.clock = clock
        self.armed: dict[int, tuple[str, str, datetime]] = {}  # id -> (crontab, tz, next time)

    def next_time(self, crontab: str, tz: str, after: datetime) -> datetime:
        """Return the first time after `after`, as the real timer computes it."""
        return next_time(crontab, tz, after)

    async def arm(self, schedule_id: int, crontab: str, tz: str) -> None:
        """Fire the schedule at its times from now on."""
        self.armed[schedule_id] = (crontab, tz, next_time(crontab, tz, self.clock.now()))

    async def disarm(self, schedule_id: int) -> None:
        """Stop firing the schedule."""
        self.armed.pop(schedule_id, None)

    async def start(self) -> None:
        """Nothing to start: schedules fire when `run_due` is called."""

    async def shutdown(self) -> None:
        """Nothing to stop."""

    async def run_due(self) -> int:
        """Fire every schedule due now, once each with its latest time (coalesced like
        APScheduler's), and return how many fired."""
        now, fired = self.clock.now(), 0
        for schedule_id, (crontab, tz, due) in list(self.armed.items()):
            if due > now:
                continue
            while (later := next_time(crontab, tz, due)) <= now:
                due = later
            self.armed[schedule_id] = (crontab, tz, later)
            assert self.handler is not None, "ManualTimer needs a handler"
            await self.handler(schedule_id, due)
            fired += 1
        return fired
