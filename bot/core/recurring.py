"""Recurring rooms: schedules that start a room in a channel at set times.

The schedules live in the database (storage/schedules.py); a RecurringTimer only fires them.
At start every schedule is armed, and one that fell due while the process was down runs once
now, however many of its times were missed. Each occurrence is claimed on the schedule's row
before it runs, so a repeated fire (or, with several processes, a second one) does nothing.
A channel whose room is still going skips the occurrence, with a note in that room.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.base.clock import Clock
from bot.core.errors import UserError
from bot.core.modes.base import StartRequest
from bot.core.orchestrator import Orchestrator
from bot.core.platform import Notice
from storage.schedules import NewSchedule, Schedule

log = logging.getLogger(__name__)

FireHandler = Callable[[int, datetime], Awaitable[None]]  # (schedule id, occurrence)
_AT = re.compile(r"^(daily|weekdays)@([01]?\d|2[0-3]):([0-5]\d)$")
TOPIC_LIST = "@"  # a schedule's topic "@name" draws from the topic list `name`


class RecurringTimer(Protocol):
    """Fires each armed schedule at the times its crontab names, in its time zone."""

    handler: FireHandler | None

    def next_time(self, crontab: str, tz: str, after: datetime) -> datetime:
        """Return the first time after `after` (UTC); ValueError if crontab or tz is bad."""
        ...

    async def arm(self, schedule_id: int, crontab: str, tz: str) -> None:
        """Fire the schedule at its times from now on (replacing an earlier arming)."""
        ...

    async def disarm(self, schedule_id: int) -> None:
        """Stop firing the schedule."""
        ...

    async def start(self) -> None:
        """Start firing."""
        ...

    async def shutdown(self) -> None:
        """Stop firing; the schedules stay stored."""
        ...


def crontab(every: str) -> str:
    """Return the crontab `every` names: daily@HH:MM, weekdays@HH:MM, hourly, or a crontab."""
    text = " ".join(every.split())
    if match := _AT.match(text.lower()):
        days = "*" if match.group(1) == "daily" else "mon-fri"
        return f"{int(match.group(3))} {int(match.group(2))} * * {days}"
    return "0 * * * *" if text.lower() == "hourly" else text


def local(moment: datetime, tz: str) -> str:
    """Return a moment as people in the schedule's time zone read it."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M %Z")


class RecurringRooms:
    """Adds, lists and changes schedules, and starts their rooms when they fire."""

    def __init__(self, orchestrator: Orchestrator, timer: RecurringTimer, clock: Clock) -> None:
        self.orchestrator = orchestrator
        self.host = orchestrator.host
        self.timer = timer
        self.clock = clock
        timer.handler = self.fire

    # -- managing ------------------------------------------------------------------------------

    async def add(self, new: NewSchedule) -> tuple[Schedule, datetime]:
        """Check and store a schedule, arm it, and return it with its first time."""
        first = self._next(new.every, new.tz)
        name = new.topic[1:] if new.topic.startswith(TOPIC_LIST) else None
        if name is not None and not await self.host.store.topics.of_list(new.key.tenant_id, name):
            raise UserError(f"the topic list '{name}' is empty; fill it with `topics add`")
        request = StartRequest(new.key, new.created_by, new.mode, new.topic, new.personas)
        await self.orchestrator.runners[new.mode].plan(replace(request, turns=new.turns))
        schedule = await self.host.store.schedules.add(new, self.clock.now())
        await self.timer.arm(schedule.id, crontab(schedule.every), schedule.tz)
        return schedule, first

    async def of_tenant(self, tenant_id: str) -> list[tuple[Schedule, datetime | None]]:
        """Return a tenant's schedules, each with its next time (None while paused)."""
        schedules = await self.host.store.schedules.of_tenant(tenant_id)
        return [(s, None if s.paused else self._next(s.every, s.tz)) for s in schedules]

    async def remove(self, tenant_id: str, schedule_id: int) -> Schedule:
        """Delete one of the tenant's schedules."""
        schedule = await self._get(tenant_id, schedule_id)
        await self.timer.disarm(schedule.id)
        await self.host.store.schedules.remove(schedule.id)
        return schedule

    async def pause(self, tenant_id: str, schedule_id: int, paused: bool) -> Schedule:
        """Pause a schedule, or resume it (its times while paused are passed over)."""
        schedule = await self._get(tenant_id, schedule_id)
        await self.host.store.schedules.set_paused(schedule.id, paused, self.clock.now())
        if paused:
            await self.timer.disarm(schedule.id)
        else:
            await self.timer.arm(schedule.id, crontab(schedule.every), schedule.tz)
        return replace(schedule, paused=paused)

    async def _get(self, tenant_id: str, schedule_id: int) -> Schedule:
        schedule = await self.host.store.schedules.get(tenant_id, schedule_id)
        if schedule is None:
            raise UserError(f"there is no schedule #{schedule_id} here; see `schedule list`")
        return schedule

    def _next(self, every: str, tz: str) -> datetime:
        try:
            return self.timer.next_time(crontab(every), tz, self.clock.now())
        except ValueError as exc:
            raise UserError(
                f"cannot read every={every} tz={tz} ({exc}); use a crontab such as "
                "`0 9 * * 1-5`, or daily@09:00, weekdays@09:00 or hourly"
            ) from None

    # -- firing --------------------------------------------------------------------------------

    async def start(self) -> int:
        """Arm every running schedule; run each one missed while down once; return how many."""
        caught_up = 0
        for schedule in await self.host.store.schedules.active():
            cron = crontab(schedule.every)
            await self.timer.arm(schedule.id, cron, schedule.tz)
            since = schedule.last_run_at or schedule.created_at
            missed = self.timer.next_time(cron, schedule.tz, since)
            if missed <= self.clock.now():
                await self.fire(schedule.id, missed)
                caught_up += 1
        return caught_up

    async def fire(self, schedule_id: int, occurrence: datetime) -> None:
        """Run one occurrence of a schedule, once; a channel that is busy skips it."""
        schedules = self.host.store.schedules
        schedule = await schedules.claim(schedule_id, occurrence, self.clock.now())
        if schedule is None:
            return  # paused, removed, or this occurrence was dealt with already
        try:
            outcome = await self._run(schedule, occurrence)
        except UserError as exc:
            outcome = f"not started: {exc}"
        except Exception:
            log.exception("schedule %s failed to start its room", schedule_id)
            outcome = "failed (see the log)"
        await schedules.note(schedule.id, f"{local(occurrence, schedule.tz)}: {outcome}")

    async def _run(self, schedule: Schedule, occurrence: datetime) -> str:
        busy = await self.host.store.rooms.current(schedule.key)
        if busy is not None:
            text = (
                f"Skipped this time of schedule #{schedule.id} (“{schedule.topic}”): "
                f"room {busy.id} is still going here. It comes round again next time."
            )
            await self.host.post_notice(busy, Notice(text, title="Schedule"))
            return f"skipped, room {busy.id} was still going"
        topic = await self._topic(schedule, occurrence)
        if topic is None:
            return f"skipped, the topic list '{schedule.topic_list}' is empty"
        request = StartRequest(
            schedule.key,
            schedule.created_by,
            schedule.mode,
            topic,
            schedule.personas,
            turns=schedule.turns,
        )
        started = await self.orchestrator.start(request)
        return f"started room {started.room.id}"

    async def _topic(self, schedule: Schedule, occurrence: datetime) -> str | None:
        name = schedule.topic_list
        if name is None:
            return schedule.topic
        rng = random.Random(f"{schedule.id}:{occurrence.isoformat()}")
        return await self.host.store.topics.pick(schedule.key.tenant_id, name, rng)
