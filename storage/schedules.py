"""Recurring rooms (schedules) and the tenants' topic lists they draw from.

The schedules are the truth: a process arms its timer from them at start, so nothing is lost
on a restart. Times are stored in UTC.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.base.rooms import Mode, RoomKey
from storage.db import Database
from storage.models import ScheduleRow, TopicRow
from storage.rooms import ensure_tenant


@dataclass(frozen=True)
class Schedule:
    """A recurring room: what starts in which channel, and when."""

    id: int
    key: RoomKey
    topic: str  # the topic, or "@name" of a topic list
    every: str
    tz: str
    mode: Mode
    personas: tuple[str, ...]
    turns: int | None
    paused: bool
    created_by: str
    created_at: datetime
    last_run_at: datetime | None = None
    last_outcome: str = ""

    @property
    def topic_list(self) -> str | None:
        """Return the name of the topic list the schedule draws from, if it does."""
        return self.topic[1:] if self.topic.startswith("@") else None


@dataclass(frozen=True)
class NewSchedule:
    """What `schedule add` asks for."""

    key: RoomKey
    topic: str
    every: str
    tz: str = "UTC"
    mode: Mode = Mode.CHAT
    personas: tuple[str, ...] = ()
    turns: int | None = None
    created_by: str = ""


class ScheduleStore:
    """Read and write the recurring rooms."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, new: NewSchedule, now: datetime) -> Schedule:
        """Store a new schedule (created `now`: occurrences before it are not missed)."""
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, new.key.tenant_id, new.key.platform)
            row = ScheduleRow(
                tenant_id=new.key.tenant_id,
                room_key=str(new.key),
                topic=new.topic,
                every=new.every,
                tz=new.tz,
                mode=new.mode.value,
                personas=list(new.personas),
                turns=new.turns,
                paused=False,
                created_by=new.created_by,
                created_at=_utc(now),
                last_outcome="",
            )
            session.add(row)
            await session.flush()
            return _schedule(row)

    async def get(self, tenant_id: str, schedule_id: int) -> Schedule | None:
        """Return one of a tenant's schedules."""
        async with self.db.sessions() as session:
            row = await session.get(ScheduleRow, schedule_id)
            return _schedule(row) if row is not None and row.tenant_id == tenant_id else None

    async def of_tenant(self, tenant_id: str) -> list[Schedule]:
        """Return a tenant's schedules, oldest first."""
        return await self._where(ScheduleRow.tenant_id == tenant_id)

    async def active(self) -> list[Schedule]:
        """Return every schedule that is not paused."""
        return await self._where(ScheduleRow.paused.is_(False))

    async def _where(self, condition: Any) -> list[Schedule]:
        query = select(ScheduleRow).where(condition).order_by(ScheduleRow.id)
        async with self.db.sessions() as session:
            return [_schedule(row) for row in (await session.execute(query)).scalars()]

    async def remove(self, schedule_id: int) -> None:
        """Delete a schedule."""
        async with self.db.sessions.begin() as session:
            await session.execute(delete(ScheduleRow).where(ScheduleRow.id == schedule_id))

    async def set_paused(self, schedule_id: int, paused: bool, now: datetime) -> None:
        """Pause or resume a schedule; what fell due while it was paused is passed over."""
        await self._update(schedule_id, paused=paused, last_run_at=_utc(now))

    async def note(self, schedule_id: int, outcome: str) -> None:
        """Record what the schedule's last occurrence came to."""
        await self._update(schedule_id, last_outcome=outcome)

    async def _update(self, schedule_id: int, **values: Any) -> None:
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(ScheduleRow).where(ScheduleRow.id == schedule_id).values(**values)
            )

    async def claim(self, schedule_id: int, occurrence: datetime, now: datetime) -> Schedule | None:
        """Take an occurrence of a running schedule once; None if it was taken already.

        The row is the fence: the occurrence is taken only while the last one dealt with is
        older, so a repeated fire (or a second process) finds nothing to do.
        """
        due = ScheduleRow.last_run_at.is_(None) | (ScheduleRow.last_run_at < _utc(occurrence))
        claim = (
            update(ScheduleRow)
            .where(ScheduleRow.id == schedule_id, ScheduleRow.paused.is_(False), due)
            .values(last_run_at=_utc(now))
        )
        async with self.db.sessions.begin() as session:
            if (await session.execute(claim)).rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = await session.get(ScheduleRow, schedule_id)
            return _schedule(row) if row is not None else None


@dataclass(frozen=True)
class Topic:
    """One topic of a list."""

    id: int
    list_name: str
    text: str
    used: bool


class TopicStore:
    """A tenant's named topic lists, drawn from without repeats until each is used up."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, tenant_id: str, list_name: str, texts: Sequence[str]) -> list[Topic]:
        """Add topics to a list (made on first use)."""
        platform = tenant_id.split(":", 1)[0]
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, tenant_id, platform)
            rows = [TopicRow(tenant_id=tenant_id, list_name=list_name, text=t) for t in texts]
            session.add_all(rows)
            await session.flush()
            return [_topic(row) for row in rows]

    async def of_list(self, tenant_id: str, list_name: str) -> list[Topic]:
        """Return a list's topics in the order they were added."""
        query = select(TopicRow).where(_in_list(tenant_id, list_name)).order_by(TopicRow.id)
        async with self.db.sessions() as session:
            return [_topic(row) for row in (await session.execute(query)).scalars()]

    async def lists(self, tenant_id: str) -> dict[str, int]:
        """Return the tenant's lists and how many topics each holds."""
        query = (
            select(TopicRow.list_name, func.count(TopicRow.id))
            .where(TopicRow.tenant_id == tenant_id)
            .group_by(TopicRow.list_name)
            .order_by(TopicRow.list_name)
        )
        async with self.db.sessions() as session:
            return {name: count for name, count in (await session.execute(query)).all()}

    async def remove(self, tenant_id: str, topic_id: int) -> Topic | None:
        """Delete one of the tenant's topics; return it (None if there is no such topic)."""
        async with self.db.sessions.begin() as session:
            row = await session.get(TopicRow, topic_id)
            if row is None or row.tenant_id != tenant_id:
                return None
            await session.delete(row)
            return _topic(row)

    async def remove_list(self, tenant_id: str, list_name: str) -> int:
        """Delete a whole list; return how many topics went."""
        async with self.db.sessions.begin() as session:
            result = await session.execute(delete(TopicRow).where(_in_list(tenant_id, list_name)))
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def pick(self, tenant_id: str, list_name: str, rng: random.Random) -> str | None:
        """Draw a topic not used yet (a new round once all are); None if the list is empty."""
        query = select(TopicRow).where(_in_list(tenant_id, list_name)).order_by(TopicRow.id)
        async with self.db.sessions.begin() as session:
            rows = list((await session.execute(query)).scalars())
            fresh = [row for row in rows if not row.used]
            if not fresh:  # every topic has had its turn: start a new round
                for row in rows:
                    row.used = False
                fresh = rows
            if not fresh:
                return None
            chosen = rng.choice(fresh)
            chosen.used = True
            return chosen.text


def _in_list(tenant_id: str, list_name: str) -> Any:
    return (TopicRow.tenant_id == tenant_id) & (TopicRow.list_name == list_name)


def _utc(moment: datetime) -> datetime:
    # SQLite keeps the wall time and drops the zone, so only UTC may be stored.
    return moment.astimezone(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _schedule(row: ScheduleRow) -> Schedule:
    return Schedule(
        id=row.id,
        key=RoomKey.parse(row.room_key),
        topic=row.topic,
        every=row.every,
        tz=row.tz,
        mode=Mode(row.mode),
        personas=tuple(row.personas or ()),
        turns=row.turns,
        paused=row.paused,
        created_by=row.created_by,
        created_at=_aware(row.created_at) or row.created_at,
        last_run_at=_aware(row.last_run_at),
        last_outcome=row.last_outcome or "",
    )


def _topic(row: TopicRow) -> Topic:
    return Topic(row.id, row.list_name, row.text, bool(row.used))
