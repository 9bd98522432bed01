"""The in-process turn scheduler: APScheduler's timer, each room's pending step on its row.

The database is the truth: `schedule` and `cancel` record the room's step (storage/steps.py)
and the in-memory APScheduler job is only the timer. At start the timer is rebuilt from the
stored steps, so a step due while the process was down runs once when it comes back; the
step carries the room's sequence number, so a repeated or stale step is ignored by the room.

Steps are written by an owned background task, many rooms per statement, a few times a
second (no job store writes on the event loop, none on a turn's path). A step still unwritten
when the process dies leaves the previous one stored; that one is stale at restart, and a
stale step makes its room carry on at once, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.base.clock import Clock
from bot.core.pacing import StepHandler
from bot.runtime.metrics import Metrics
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
        flush_s: float = 0.1,
        metrics: Metrics | None = None,
    ) -> None:
        self.handler = handler
        self._metrics = metrics
        self._steps = steps
        self._clock = clock
        self._finish_s = finish_s  # how long shutdown lets running steps finish
        self._running: set[asyncio.Task[Any]] = set()
        self._aps = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace_s},
            timezone="UTC",
        )
        self._pending: dict[int, tuple[str, PendingStep]] = {}  # room -> (job id, step)
        self._arms = itertools.count()
        self._unsaved: dict[int, PendingStep | None] = {}
        self._dirty = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._flush_s = flush_s

    async def schedule(self, room_id: int, seq: int, action: str, at: datetime) -> None:
        """Replace the room's pending step with this one."""
        step = PendingStep(seq, action, at)
        self._arm(room_id, step)
        await self._record(room_id, step)

    async def cancel(self, room_id: int) -> None:
        """Drop the room's pending step, if any."""
        self._disarm(room_id)
        await self._record(room_id, None)

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
        self._writer = asyncio.get_running_loop().create_task(
            self._write_steps(), name="chimera:step-writer"
        )
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
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        await self._flush()

    async def _record(self, room_id: int, step: PendingStep | None) -> None:
        if self._writer is None:  # not started (a one-off command): write now
            await self._steps.save(room_id, step)
            return
        self._unsaved[room_id] = step
        self._dirty.set()

    async def _write_steps(self) -> None:
        while True:
            await self._dirty.wait()
            await asyncio.sleep(self._flush_s)  # gather the steps of many rooms in one write
            try:
                await self._flush()
            except Exception:
                log.exception("storing rooms' next steps failed; retrying")

    async def _flush(self) -> None:
        self._dirty.clear()
        batch, self._unsaved = self._unsaved, {}
        try:
            await self._steps.save_many(batch)
        except BaseException:
            self._unsaved = batch | self._unsaved  # newer steps win; try again later
            self._dirty.set()
            raise

    def _arm(self, room_id: int, step: PendingStep) -> None:
        self._disarm(room_id)
        # A job of its own each time: a step that schedules itself again while it runs (a failed
        # turn retried at once) must not be skipped as a second instance of a running job.
        job_id = f"room-{room_id}-{step.seq}-{step.action}-{next(self._arms)}"
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
        started = self._clock.now()
        try:
            await self.handler(room_id, step.seq, step.action)
        finally:
            self._running.discard(task)
            if self._metrics is not None:
                late = (started - step.due).total_seconds()
                self._metrics.step_ran(late, (self._clock.now() - started).total_seconds())

    async def healthy(self) -> bool:
        """Tell whether the timer runs and the step writer is alive."""
        writer = self._writer
        return self._aps.running and writer is not None and not writer.done()
