"""The persistent turn scheduler: APScheduler 3 with a SQLAlchemy job store."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine, create_engine, event

from bot.core.pacing import StepHandler

log = logging.getLogger(__name__)

# APScheduler stores a job's callable as a "module:function" reference, so a job that
# survives a restart cannot point at a live object. Jobs call `fire(name, …)`, which looks up
# the handler the running process registered under that scheduler name.
_running: dict[str, PersistentScheduler] = {}


async def fire(name: str, room_id: int, seq: int, action: str) -> None:
    """Run a stored step with the handler of the scheduler running under this name."""
    scheduler = _running.get(name)
    if scheduler is None or scheduler.handler is None:
        log.error("no step handler for scheduler %r; step for room %s dropped", name, room_id)
        return
    scheduler.fired(room_id, _job_id(room_id, seq, action))
    await scheduler.running_step(scheduler.handler(room_id, seq, action))


def _engine(url: str) -> Engine:
    engine = create_engine(url)
    if url.startswith("sqlite"):
        # WAL without per-commit fsync: a job write costs microseconds, not a disk flush.
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PersistentScheduler:
    """Runs each room's next step at its due time; steps survive a restart.

    Every step gets its own job id (room, seq, action): a step usually schedules its successor
    while it is still running, and APScheduler would skip a job whose id is still executing.
    """

    def __init__(
        self,
        url: str,
        handler: StepHandler | None = None,
        *,
        name: str = "chimera",
        grace_s: int = 300,
        finish_s: float = 60.0,
    ) -> None:
        self.name = name
        self.handler = handler
        self._finish_s = finish_s  # how long shutdown lets running steps finish
        self._steps: set[asyncio.Task[Any]] = set()
        self._aps = AsyncIOScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=_engine(url), tablename="chimera_jobs")
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace_s},
            timezone="UTC",
        )
        self._pending: dict[int, str] = {}  # room id -> job id of its one pending step

    def schedule(self, room_id: int, seq: int, action: str, at: datetime) -> None:
        """Replace the room's pending step with this one."""
        self.cancel(room_id)
        job_id = _job_id(room_id, seq, action)
        self._aps.add_job(
            fire,
            "date",
            run_date=at,
            args=[self.name, room_id, seq, action],
            id=job_id,
            replace_existing=True,
        )
        self._pending[room_id] = job_id

    def cancel(self, room_id: int) -> None:
        """Drop the room's pending step, if any."""
        job_id = self._pending.pop(room_id, None)
        if job_id is not None:
            with contextlib.suppress(JobLookupError):
                self._aps.remove_job(job_id)

    def fired(self, room_id: int, job_id: str) -> None:
        """Note that a job left the store to run, so cancelling it needs no store write."""
        if self._pending.get(room_id) == job_id:
            del self._pending[room_id]

    def pending(self, room_id: int) -> tuple[int, str, datetime] | None:
        """Return the room's pending (seq, action, due time)."""
        job_id = self._pending.get(room_id)
        job: Any = self._aps.get_job(job_id) if job_id else None
        if job is None:
            self._pending.pop(room_id, None)
            return None
        _, _, seq, action = job.args
        return seq, action, job.next_run_time

    async def start(self, *, paused: bool = False) -> None:
        """Register the handler and start; steps missed while down run once if within grace."""
        assert self.handler is not None, "set the scheduler's handler before starting it"
        _running[self.name] = self
        self._aps.start(paused=paused)
        self._pending = {job.args[1]: job.id for job in self._aps.get_jobs()}

    async def running_step(self, step: Awaitable[None]) -> None:
        """Run a step, known to `shutdown` so it can let the step finish."""
        task = asyncio.current_task()
        assert task is not None, "steps run as tasks"
        self._steps.add(task)
        try:
            await step
        finally:
            self._steps.discard(task)

    async def shutdown(self) -> None:
        """Start no more steps, let running ones finish (a while), keep pending ones stored.

        A step cut off half way would leave its turn stored but never posted.
        """
        if self._aps.running:
            self._aps.pause()
            if steps := set(self._steps):
                log.info("letting %d running step(s) finish", len(steps))
                await asyncio.wait(steps, timeout=self._finish_s)
            self._aps.shutdown(wait=False)
        if _running.get(self.name) is self:
            del _running[self.name]


def _job_id(room_id: int, seq: int, action: str) -> str:
    return f"room-{room_id}-{seq}-{action}"
