"""The persistent turn scheduler: APScheduler 3 with a SQLAlchemy job store."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.pacing import StepHandler

log = logging.getLogger(__name__)

# APScheduler stores a job's callable as a "module:function" reference, so a job that
# survives a restart cannot point at a live object. Jobs call `fire(name, …)`, which looks up
# the handler the running process registered under that scheduler name.
_handlers: dict[str, StepHandler] = {}


async def fire(name: str, room_id: int, seq: int, action: str) -> None:
    """Run a stored step with the handler registered for this scheduler."""
    handler = _handlers.get(name)
    if handler is None:
        log.error("no step handler for scheduler %r; step for room %s dropped", name, room_id)
        return
    await handler(room_id, seq, action)


class PersistentScheduler:
    """Runs each room's next step at its due time; steps survive a restart."""

    def __init__(
        self,
        url: str,
        handler: StepHandler | None = None,
        *,
        name: str = "chimera",
        grace_s: int = 300,
    ) -> None:
        self.name = name
        self.handler = handler
        self._aps = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=url, tablename="chimera_jobs")},
            # A step schedules its successor under the same job id while it is still running,
            # so two instances must be allowed; the orchestrator's per-room lock and sequence
            # check make sure a step still runs only once.
            job_defaults={"coalesce": True, "max_instances": 2, "misfire_grace_time": grace_s},
            timezone="UTC",
        )

    def schedule(self, room_id: int, seq: int, action: str, at: datetime) -> None:
        """Replace the room's pending step with this one."""
        self._aps.add_job(
            fire,
            "date",
            run_date=at,
            args=[self.name, room_id, seq, action],
            id=_job_id(room_id),
            replace_existing=True,
        )

    def cancel(self, room_id: int) -> None:
        """Drop the room's pending step, if any."""
        with contextlib.suppress(JobLookupError):
            self._aps.remove_job(_job_id(room_id))

    def pending(self, room_id: int) -> tuple[int, str, datetime] | None:
        """Return the room's pending (seq, action, due time)."""
        job: Any = self._aps.get_job(_job_id(room_id))
        if job is None:
            return None
        _, _, seq, action = job.args
        return seq, action, job.next_run_time

    async def start(self, *, paused: bool = False) -> None:
        """Register the handler and start; steps missed while down run once if within grace."""
        assert self.handler is not None, "set the scheduler's handler before starting it"
        _handlers[self.name] = self.handler
        self._aps.start(paused=paused)

    async def shutdown(self) -> None:
        """Stop without running pending steps; they stay in the job store."""
        if self._aps.running:
            self._aps.shutdown(wait=False)
        if _handlers.get(self.name) is self.handler:
            del _handlers[self.name]


def _job_id(room_id: int) -> str:
    return f"room-{room_id}"
