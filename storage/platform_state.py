"""Platform bookkeeping: persisted webhooks, room threads and processed event ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from storage.db import Database
from storage.models import ProcessedEventRow, RoomThreadRow, WebhookRow
from storage.upsert import upsert


class WebhookStore:
    """The webhook a bot owns per channel, kept across restarts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, platform: str, channel_id: str) -> tuple[str, str] | None:
        """Return (webhook id, token) for a channel, if one is stored."""
        query = select(WebhookRow).where(
            WebhookRow.platform == platform, WebhookRow.channel_id == channel_id
        )
        async with self.db.sessions() as session:
            row = (await session.execute(query)).scalar_one_or_none()
            return (row.webhook_id, row.token) if row else None

    async def save(self, platform: str, channel_id: str, webhook_id: str, token: str) -> None:
        """Store (or replace) a channel's webhook, in one statement."""
        values = {
            "platform": platform,
            "channel_id": channel_id,
            "webhook_id": webhook_id,
            "token": token,
        }
        async with self.db.sessions.begin() as session:
            statement = upsert(
                session,
                WebhookRow,
                values,
                keys=["platform", "channel_id"],
                update=["webhook_id", "token"],
            )
            await session.execute(statement)


class ThreadStore:
    """The message each room's posts thread under, so a restart keeps the same thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, room_id: int) -> tuple[str, str] | None:
        """Return (channel id, message ts) of a room's thread, if one is stored."""
        async with self.db.sessions() as session:
            row = await session.get(RoomThreadRow, room_id)
            return (row.channel_id, row.ts) if row else None

    async def save(self, room_id: int, platform: str, channel_id: str, ts: str) -> None:
        """Remember the message a room's posts thread under."""
        async with self.db.sessions.begin() as session:
            session.add(
                RoomThreadRow(room_id=room_id, platform=platform, channel_id=channel_id, ts=ts)
            )

    async def is_room_thread(self, platform: str, channel_id: str, ts: str) -> bool:
        """Tell whether a thread is one a room posted under."""
        query = select(RoomThreadRow.room_id).where(
            RoomThreadRow.platform == platform,
            RoomThreadRow.channel_id == channel_id,
            RoomThreadRow.ts == ts,
        )
        async with self.db.sessions() as session:
            return (await session.execute(query)).first() is not None


@dataclass(frozen=True)
class EventClaim:
    """A platform event whose effect is being stored: it is recorded in the same transaction."""

    platform: str
    event_id: str


async def claim(session: Any, event: EventClaim | None) -> bool:
    """Record an event in the session's transaction; tell whether it is new (None: no event).

    A repository that stores an event's effect calls this in the effect's own transaction, so
    the effect and "handled" commit together: a crash in between leaves neither, and the
    platform's redelivery does the work once.
    """
    if event is None:
        return True
    values = {"platform": event.platform, "event_id": event.event_id}
    statement = upsert(session, ProcessedEventRow, values, keys=["platform", "event_id"])
    return bool((await session.execute(statement)).rowcount)


class EventStore:
    """Event ids already handled, so a redelivered event is processed once."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def first_time(self, platform: str, event_id: str) -> bool:
        """Record an event id; tell whether it had not been seen before."""
        async with self.db.sessions.begin() as session:
            return await claim(session, EventClaim(platform, event_id))

    async def seen(self, platform: str, event_id: str) -> bool:
        """Tell whether an event id was handled already (without recording it)."""
        query = select(ProcessedEventRow.id).where(
            ProcessedEventRow.platform == platform, ProcessedEventRow.event_id == event_id
        )
        async with self.db.sessions() as session:
            return (await session.execute(query.limit(1))).first() is not None

    async def prune(self, before: datetime) -> None:
        """Forget event ids older than `before`."""
        async with self.db.sessions.begin() as session:
            await session.execute(
                delete(ProcessedEventRow).where(ProcessedEventRow.created_at < before)
            )
