"""The in-process turn scheduler: APScheduler's timer, each room's pending step on its row.

The database is the truth: `schedule` and `cancel` write the room's step (storage/steps.py)
and the in-memory APScheduler job is only the timer. At start the timer is rebuilt from the
stored steps, so a step due while the process was down runs once when it comes back; the
step carries the room's sequence number, so a repeated or stale step is ignored by the room.
No job store writes run on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.base.clock import Clock
from bot.core.pacing import StepHandler
from storage.steps import PendingStep, StepStore

log = logging.getLogger(__name__)


class LocalScheduler:
    """Runs each room's next step at its due time, in this process.

    Every step gets its own job id (room, seq, action): a step usually schedules its successor
    while it is still running, and APScheduler would skip a job whose id is still executing.
    """

    def __init__(
        self,
        steps: StepStore,
        clock: Clock,
        handler: StepHandler | None = None,
        *,
        grace_s: int = 300,
        finish_s: float = 60.0,
    ) -> None:
        self.handler = handler
        self._steps = steps
        self._clock = clock
        self._finish_s = finish_s  # how long shutdown lets running steps finish
        self._running: set[asyncio.Task[Any]] = set()
        self._aps = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace_s},
            timezone="UTC",
        )
        self._pending: dict[int, tuple[str, PendingStep]] = {}  # room -> (job id, step)

    async def schedule(self, room_id: int, seq: int, action: str, at: datetime) -> None:
        """Replace the room's pending step with this one."""
        step = PendingStep(seq, action, at)
        self._arm(room_id, step)
        await self._steps.save(room_id, step)

    async def cancel(self, room_id: int) -> None:
        """Drop the room's pending step, if any."""
        self._disarm(room_id)
        await self._steps.save(room_id, None)

    async def pending(self, room_id: int) -> PendingStep | None:
        """Return the room's pending step (None while none waits, or while it runs)."""
        entry = self._pending.get(room_id)
        return entry[1] if entry else None

    async def start(self) -> None:
        """Arm the stored steps (overdue ones run now) and start the timer."""
        assert self.handler is not None, "set the scheduler's handler before starting it"
        now = self._clock.now()
        for room_id, step in (await self._steps.pending()).items():
            self._arm(room_id, PendingStep(step.seq, step.action, max(step.due, now)))
        self._aps.start()

    async def shutdown(self) -> None:
        """Start no more steps, let running ones finish (a while); pending ones stay stored.

        A step cut off half way would leave its turn stored but never posted.
        """
        if not self._aps.running:
            return
        self._aps.pause()
        if running := set(self._running):
            log.info("letting %d running step(s) finish", len(running))
            await asyncio.wait(running, timeout=self._finish_s)
        self._aps.shutdown(wait=False)

    def _arm(self, room_id: int, step: PendingStep) -> None:
        self._disarm(room_id)
        job_id = f"room-{room_id}-{step.seq}-{step.action}"
        self._aps.add_job(
            self._fire,
            "date",
            run_date=step.due,
            args=[room_id, step, job_id],
            id=job_id,
            replace_existing=True,
        )
        self._pending[room_id] = (job_id, step)

    def _disarm(self, room_id: int) -> None:
        entry = self._pending.pop(room_id, None)
        if entry is not None:
            with contextlib.suppress(JobLookupError):
                self._aps.remove_job(entry[0])

    async def _fire(self, room_id: int, step: PendingStep, job_id: str) -> None:
        if self._pending.get(room_id, ("",))[0] == job_id:
            del self._pending[room_id]  # it left the timer: it is no longer waiting
        task = asyncio.current_task()
        assert task is not None and self.handler is not None
        self._running.add(task)
        try:
            await self.handler(room_id, step.seq, step.action)
        finally:
            self._running.discard(task)
