"""The in-process recurring-room timer: one APScheduler cron job per schedule.

The jobs live in memory only; the schedules are in the database and the core arms them all
at start (`RecurringRooms.start`), catching up on what fell due while the process was down.
A cluster timer (a shared queue's cron) can take this one's place behind the same interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.core.recurring import FireHandler

log = logging.getLogger(__name__)


def cron_trigger(crontab: str, tz: str) -> CronTrigger:
    """Return APScheduler's trigger for a five-field crontab in a time zone (ValueError if bad)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{tz}'") from None
    return CronTrigger.from_crontab(crontab, timezone=zone)


def next_time(crontab: str, tz: str, after: datetime) -> datetime:
    """Return the first time strictly after `after` that the crontab names, in UTC."""
    later = cron_trigger(crontab, tz).get_next_fire_time(None, after + timedelta(microseconds=1))
    if later is None:
        raise ValueError("that crontab names no time to come")
    return later.astimezone(UTC)


class CronTimer:
    """Fires each armed schedule on its cron trigger, in this process."""

    def __init__(
        self, handler: FireHandler | None = None, *, grace_s: int = 300, finish_s: float = 10.0
    ) -> None:
        self.handler = handler
        self._finish_s = finish_s
        self._aps = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace_s},
            timezone="UTC",
        )
        # APScheduler gives a job's function no run time: note it as the job is submitted,
        # which happens before the job's coroutine first runs.
        self._aps.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        self._occurrences: dict[str, datetime] = {}
        self._running: set[asyncio.Task[Any]] = set()

    def next_time(self, crontab: str, tz: str, after: datetime) -> datetime:
        """Return the first time after `after` (UTC); ValueError if crontab or tz is bad."""
        return next_time(crontab, tz, after)

    async def arm(self, schedule_id: int, crontab: str, tz: str) -> None:
        """Fire the schedule at its times from now on (replacing an earlier arming)."""
        trigger = cron_trigger(crontab, tz)
        self._aps.add_job(
            self._fire, trigger, args=[schedule_id], id=_job_id(schedule_id), replace_existing=True
        )

    async def disarm(self, schedule_id: int) -> None:
        """Stop firing the schedule."""
        with contextlib.suppress(JobLookupError):
            self._aps.remove_job(_job_id(schedule_id))

    async def start(self) -> None:
        """Start firing."""
        assert self.handler is not None, "set the timer's handler before starting it"
        self._aps.start()

    async def shutdown(self) -> None:
        """Stop firing; let a room being started finish starting (a while)."""
        if not self._aps.running:
            return
        self._aps.shutdown(wait=False)
        if running := set(self._running):
            await asyncio.wait(running, timeout=self._finish_s)

    def _submitted(self, event: JobSubmissionEvent) -> None:
        self._occurrences[event.job_id] = event.scheduled_run_times[-1]

    async def _fire(self, schedule_id: int) -> None:
        occurrence = self._occurrences.pop(_job_id(schedule_id), None) or datetime.now(UTC)
        task = asyncio.current_task()
        assert task is not None and self.handler is not None
        self._running.add(task)
        try:
            await self.handler(schedule_id, occurrence.astimezone(UTC))
        finally:
            self._running.discard(task)


def _job_id(schedule_id: int) -> str:
    return f"schedule-{schedule_id}"
