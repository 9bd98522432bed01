"""Polls, votes, and which platform message belongs to which room, turn and poll."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update

from storage.db import Database
from storage.models import PlatformMessageRow, PollRow, VoteRow, utcnow
from storage.platform_state import EventClaim, claim
from storage.upsert import upsert


@dataclass(frozen=True)
class Poll:
    """A vote bound to a message: options map an emoji to what it stands for."""

    id: int
    room_id: int
    kind: str
    subject: str
    options: dict[str, str]
    open: bool
    opened_at: datetime | None = None  # None: just opened by this process


@dataclass(frozen=True)
class MessageRef:
    """What the core knows about one platform message it posted."""

    platform: str
    message_id: str
    room_id: int
    turn_seq: int | None
    persona_id: str | None
    poll_id: int | None


class PollStore:
    """Read and write polls, votes and platform message references."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.started_at = utcnow()  # polls opened earlier may have missed reaction events
        self.shared = False  # several processes hear the reactions (cluster mode)

    def may_have_missed_votes(self, poll: Poll) -> bool:
        """Tell whether a poll may have missed reaction events: opened before this process
        started (a restart since), or, when several processes share the polls, any poll
        (the process that heard its reactions may have died before recording one)."""
        if self.shared:
            return True
        return poll.opened_at is not None and poll.opened_at < self.started_at

    async def open_on(
        self, room_id: int, kind: str, subject: str, options: dict[str, str], refs: list[MessageRef]
    ) -> Poll:
        """Open a poll and bind it to the first of the posted messages, in one transaction."""
        values = {
            "room_id": room_id,
            "kind": kind,
            "subject": subject,
            "options": options,
            "state": "open",
        }
        # Core inserts: the ORM's unit of work costs more than the statements themselves.
        async with self.db.sessions.begin() as session:
            poll_id = (
                await session.execute(insert(PollRow).values(values).returning(PollRow.id))
            ).scalar_one()
            if refs:
                await session.execute(insert(PlatformMessageRow), _rows(poll_id, refs))
        return Poll(poll_id, room_id, kind, subject, dict(options), True)

    async def bind(self, poll_id: int, refs: list[MessageRef]) -> None:
        """Record the posted messages of a poll's subject; the first one carries the poll."""
        if refs:
            async with self.db.sessions.begin() as session:
                await session.execute(_INSERT_MESSAGES, _rows(poll_id, refs))

    async def get(self, poll_id: int) -> Poll | None:
        """Return a poll by id."""
        async with self.db.sessions() as session:
            row = await session.get(PollRow, poll_id)
            return _poll(row) if row else None

    async def of_room(self, room_id: int, kind: str | None = None) -> list[Poll]:
        """Return a room's polls, oldest first."""
        query = select(PollRow).where(PollRow.room_id == room_id).order_by(PollRow.id)
        if kind:
            query = query.where(PollRow.kind == kind)
        async with self.db.sessions() as session:
            return [_poll(row) for row in (await session.execute(query)).scalars()]

    async def close(self, poll_id: int) -> None:
        """Stop accepting votes on a poll."""
        async with self.db.sessions.begin() as session:
            await session.execute(
                update(PollRow).where(PollRow.id == poll_id).values(state="closed")
            )

    async def cast(
        self, poll_id: int, user_id: str, choice: str, event: EventClaim | None = None
    ) -> None:
        """Record a user's vote; a later vote replaces an earlier one.

        With `event`, the vote and the event's "handled" mark commit together (a repeat of the
        event changes nothing).
        """
        values = {"poll_id": poll_id, "user_id": user_id, "choice": choice}
        async with self.db.sessions.begin() as session:
            if not await claim(session, event):
                return
            statement = upsert(
                session, VoteRow, values, keys=["poll_id", "user_id"], update=["choice"]
            )
            await session.execute(statement)

    async def retract(
        self, poll_id: int, user_id: str, choice: str, event: EventClaim | None = None
    ) -> None:
        """Remove a user's vote if it is still for `choice` (with `event`, as for `cast`)."""
        async with self.db.sessions.begin() as session:
            if not await claim(session, event):
                return
            await session.execute(
                delete(VoteRow).where(
                    VoteRow.poll_id == poll_id, VoteRow.user_id == user_id, VoteRow.choice == choice
                )
            )

    async def votes(self, poll_id: int) -> dict[str, str]:
        """Return each voter's current choice."""
        query = select(VoteRow.user_id, VoteRow.choice).where(VoteRow.poll_id == poll_id)
        async with self.db.sessions() as session:
            return {user: choice for user, choice in (await session.execute(query)).all()}

    async def bound_message(self, poll_id: int) -> MessageRef | None:
        """Return the platform message people react on to vote in a poll."""
        query = select(PlatformMessageRow).where(PlatformMessageRow.poll_id == poll_id)
        async with self.db.sessions() as session:
            row = (await session.execute(query.limit(1))).scalar_one_or_none()
            return _ref(row) if row else None

    async def tally(self, poll_id: int) -> Counter[str]:
        """Count the votes per choice."""
        query = select(VoteRow.choice).where(VoteRow.poll_id == poll_id)
        async with self.db.sessions() as session:
            return Counter((await session.execute(query)).scalars())

    async def turn_message(self, platform: str, room_id: int, seq: int) -> str | None:
        """Return the id of the (first) platform message a room's turn was posted as."""
        query = select(PlatformMessageRow.message_id).where(
            PlatformMessageRow.platform == platform,
            PlatformMessageRow.room_id == room_id,
            PlatformMessageRow.turn_seq == seq,
        )
        async with self.db.sessions() as session:
            return (await session.execute(query.order_by(PlatformMessageRow.id).limit(1))).scalar()

    async def message(self, platform: str, message_id: str) -> MessageRef | None:
        """Look up a platform message we posted."""
        query = select(PlatformMessageRow).where(
            PlatformMessageRow.platform == platform, PlatformMessageRow.message_id == message_id
        )
        async with self.db.sessions() as session:
            row = (await session.execute(query)).scalar_one_or_none()
            return _ref(row) if row else None


def _rows(poll_id: int, refs: list[MessageRef]) -> list[dict[str, Any]]:
    return [ref.__dict__ | {"poll_id": poll_id if i == 0 else None} for i, ref in enumerate(refs)]


def _poll(row: PollRow) -> Poll:
    opened = row.created_at
    if opened.tzinfo is None:  # SQLite keeps the UTC time without its zone
        opened = opened.replace(tzinfo=UTC)
    options = dict(row.options)
    return Poll(row.id, row.room_id, row.kind, row.subject, options, row.state == "open", opened)


def _ref(row: PlatformMessageRow) -> MessageRef:
    fields: dict[str, Any] = {
        name: getattr(row, name)
        for name in ("platform", "message_id", "room_id", "turn_seq", "persona_id", "poll_id")
    }
    return MessageRef(**fields)


_INSERT_MESSAGES = insert(cast(Table, PlatformMessageRow.__table__))  # Core: no ORM objects
