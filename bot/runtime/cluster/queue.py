"""The cluster's turn scheduler: each room's next step is a SAQ job on Redis, run by any process.

The database is the truth, the queue is the timer. `schedule` stores the room's step on its
row (storage/steps.py), then enqueues a job for it, scheduled for its due time, under a key
that names the step (room, seq, action, due): enqueuing the same step twice, as every process
does when it starts and recovers the rooms, leaves one job. A step can be moved (a mention
brings it forward, `resume` re-arms it now) and SAQ cannot move a scheduled job, so the
moved step is a new job; when a job comes due, the worker runs it only if the row still holds
its step, so a moved or cancelled step's old job does nothing.

Every process runs a SAQ worker. A job's worker touches it while the step runs (SAQ's
heartbeat); when a worker dies mid-step, another worker's sweep finds the job stuck and
retries it. A retried step first asks the orchestrator to take the room over (post a turn
left unposted, schedule a step the dead worker lost) and runs only if that scheduled
nothing. The room's lock (shared through Redis) and its sequence number keep two workers from
writing the same turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from saq import Worker
from saq.queue import Queue

from bot.base.clock import Clock
from bot.core.pacing import StepHandler, TakeOverHandler
from bot.runtime.metrics import Metrics
from storage.steps import PendingStep, StepStore

log = logging.getLogger(__name__)
STEP_JOB = "chimera.room_step"


@dataclass(frozen=True)
class QueueTimers:
    """How the queue paces itself, in seconds (SAQ's timers are whole seconds)."""

    heartbeat_s: int = 5  # a step untouched this long is stuck: its worker died
    sweep_s: int = 2  # how often some worker looks for stuck steps
    retries: int = 5  # attempts of one step (a kill mid-step costs one)
    lead_s: float = 1.0  # SAQ hands scheduled jobs out once a second: this early, then wait
    job_ttl_s: int = 60  # how long a finished job's record stays in Redis
    reconcile_s: float = 30.0  # how often stored steps overdue this long are enqueued again


class _Worker(Worker[Any]):
    # `chimera serve` handles SIGINT/SIGTERM itself and stops the worker in order.
    SIGNALS: list[Any] = []  # noqa: RUF012 - overrides SAQ's class attribute


class QueueScheduler:
    """Runs each room's next step at its due time, in whichever process takes the job."""

    def __init__(
        self,
        queue: Queue,
        steps: StepStore,
        clock: Clock,
        handler: StepHandler | None = None,
        *,
        concurrency: int = 200,
        timers: QueueTimers | None = None,
        finish_s: float = 60.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.handler = handler
        self.takeover: TakeOverHandler | None = None
        self.queue = queue
        self._steps = steps
        self._clock = clock
        self._timers = timers or QueueTimers()
        self._metrics = metrics
        self._running: set[tuple[int, PendingStep]] = set()  # steps this process runs now
        self._worker = _Worker(
            queue,
            [(STEP_JOB, self._job)],
            concurrency=concurrency,
            timers={
                "schedule": 1,
                "sweep": self._timers.sweep_s,
                "abort": 1,
                "worker_info": 2,
            },
            dequeue_timeout=1.0,  # an idle worker notices a stop within a second
            shutdown_grace_period_s=math.ceil(finish_s),
        )
        self._task: asyncio.Task[None] | None = None
        self._reconciler: asyncio.Task[None] | None = None

    # -- the TurnScheduler interface -------------------------------------------------------------

    async def schedule(self, room_id: int, seq: int, action: str, at: datetime) -> None:
        """Replace the room's pending step with this one (stored first, then enqueued)."""
        step = PendingStep(seq, action, at)
        await self._steps.save(room_id, step)
        await self.enqueue(room_id, step)

    async def cancel(self, room_id: int) -> None:
        """Drop the room's pending step; a job already queued for it will find nothing to do."""
        await self._steps.save(room_id, None)

    async def pending(self, room_id: int) -> PendingStep | None:
        """Return the room's pending step (None while none waits, or while it runs here)."""
        step = await self._steps.get(room_id)
        return None if step is None or (room_id, step) in self._running else step

    async def start(self) -> None:
        """Enqueue every stored step (each once, however many processes do it) and work."""
        assert self.handler is not None, "set the scheduler's handler before starting it"
        await self.queue.connect()
        stored = await self._steps.pending()
        for room_id, step in stored.items():
            await self.enqueue(room_id, step)
        if stored:
            log.info("enqueued the stored steps of %d room(s)", len(stored))
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._worker.start(), name="chimera:step-worker")
        self._reconciler = loop.create_task(self._reconcile(), name="chimera:step-reconciler")
        for task in (self._task, self._reconciler):
            task.add_done_callback(_log_failure)

    async def shutdown(self) -> None:
        """Take no more jobs, let running steps finish (a while); pending ones stay queued."""
        task, self._task = self._task, None
        if task is None:
            return
        if self._reconciler is not None:
            self._reconciler.cancel()
            await asyncio.gather(self._reconciler, return_exceptions=True)
        await self._worker.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def healthy(self) -> bool:
        """Tell whether the worker and the reconciler run."""
        tasks = (self._task, self._reconciler)
        return all(task is not None and not task.done() for task in tasks)

    # -- jobs ------------------------------------------------------------------------------------

    def job_key(self, room_id: int, step: PendingStep) -> str:
        """Return the job key of a room's step: one job per step, however often enqueued."""
        due = round(step.due.timestamp() * 1_000_000)
        return f"{self.queue.name}:room:{room_id}:{step.seq}:{step.action}:{due}"

    async def enqueue(self, room_id: int, step: PendingStep) -> None:
        """Put the room's step on the queue for its due time (nothing if it is there)."""
        timers = self._timers
        hand_out = step.due.timestamp() - timers.lead_s
        now = self._clock.now().timestamp()
        await self.queue.enqueue(
            STEP_JOB,
            key=self.job_key(room_id, step),
            scheduled=0 if hand_out <= now else int(hand_out),  # 0: hand it out now
            timeout=0,  # a step runs as long as it needs; a dead worker shows by its heartbeat
            heartbeat=timers.heartbeat_s,
            retries=timers.retries,
            retry_delay=1.0,  # retry through SAQ's schedule, never queued twice
            ttl=timers.job_ttl_s,
            room=room_id,
            seq=step.seq,
            action=step.action,
            due=step.due.isoformat(),
        )

    async def _job(
        self, ctx: dict[str, Any], *, room: int, seq: int, action: str, due: str
    ) -> None:
        job = ctx["job"]
        step = PendingStep(seq, action, datetime.fromisoformat(due))
        wait = (step.due - self._clock.now()).total_seconds()
        if wait > 0:  # handed out up to `lead_s` early
            await self._clock.sleep(wait)
        beat = asyncio.get_running_loop().create_task(
            self._heartbeat(job), name=f"chimera:step-heartbeat-{room}"
        )
        self._running.add((room, step))
        try:
            if job.attempts > 1 and not await self._take_over(room, step):
                return
            if await self._steps.get(room) != step:
                return  # moved or cancelled since it was enqueued
            await self._run(room, step)
            await self._steps.clear(room, step)  # what is pending now is what it scheduled
        finally:
            self._running.discard((room, step))
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)

    async def _reconcile(self) -> None:
        """Now and then, enqueue again the stored steps that are long overdue.

        A process that dies between storing a step and enqueuing it (a `resume` or a `next`
        command) leaves a step with no job; without this it would wait for the next start.
        A step whose job exists is not enqueued twice (its key), and one that ran already
        finds its row changed.
        """
        every = self._timers.reconcile_s
        while True:
            await self._clock.sleep(every)
            try:
                overdue = self._clock.now() - timedelta(seconds=every)
                for room_id, step in (await self._steps.pending()).items():
                    if step.due < overdue:
                        await self.enqueue(room_id, step)
            except Exception:  # the next round tries again
                log.exception("re-enqueuing overdue steps failed")

    async def _take_over(self, room: int, step: PendingStep) -> bool:
        """Pick up a room whose worker died in this step; tell whether the step still runs."""
        current = await self._steps.get(room)
        if current != step:
            # It got as far as scheduling its successor, which it may not have enqueued.
            if current is not None:
                await self.enqueue(room, current)
            return False
        log.info("room %s: taking over step %s from a stopped worker", room, step.seq)
        if self.takeover is not None:
            await self.takeover(room)
        return await self._steps.get(room) == step  # the takeover scheduled nothing new

    async def _run(self, room: int, step: PendingStep) -> None:
        assert self.handler is not None
        started = self._clock.now()
        try:
            await self.handler(room, step.seq, step.action)
        finally:
            if self._metrics is not None:
                late = (started - step.due).total_seconds()
                self._metrics.step_ran(late, (self._clock.now() - started).total_seconds())

    async def _heartbeat(self, job: Any) -> None:
        every = max(self._timers.heartbeat_s / 3, 0.2)
        while True:
            # Wall-clock time on purpose: the sweep judges the heartbeat in real seconds.
            await asyncio.sleep(every)
            try:
                await job.update()
            except Exception as exc:  # the next beat tries again; the margin is 3 beats
                log.warning("step heartbeat failed: %s", exc)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())
