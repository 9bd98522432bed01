"""Which turns and summaries still wait to be embedded into memory, and marking them done."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from bot.base.rooms import Room, Turn
from storage.db import Database
from storage.models import RoomRow, TurnRow
from storage.room_rows import to_room, to_turn

_TURNS = cast(Table, TurnRow.__table__)
_REMEMBERED = (  # Core, not ORM: an executemany of (room, seq) pairs, no objects to sync
    update(_TURNS)
    .where(_TURNS.c.room_id == bindparam("mark_room"), _TURNS.c.seq == bindparam("mark_seq"))
    .values(remembered=True)
)


class MemoryMarks:
    """The "to remember" marks on turns and room summaries."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def to_remember(self, limit: int) -> list[tuple[Room, Turn]]:
        """Return up to `limit` turns still waiting for memory, oldest first, with their rooms."""
        query = (
            select(RoomRow, TurnRow)
            .join(TurnRow, TurnRow.room_id == RoomRow.id)
            .where(TurnRow.remembered.is_(False))
            .order_by(TurnRow.id)
            .limit(limit)
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).all()
        rooms: dict[int, Room] = {}
        return [(rooms.setdefault(r.id, to_room(r)), to_turn(t)) for r, t in rows]

    async def summaries_to_remember(self) -> list[Room]:
        """Return the rooms whose latest summary still waits for memory."""
        query = select(RoomRow).where(RoomRow.summary_remembered.is_(False))
        async with self.db.sessions() as session:
            return [to_room(row) for row in (await session.execute(query)).scalars()]

    async def mark_remembered(
        self, turns: Sequence[tuple[int, int]], summaries: Sequence[int] = ()
    ) -> None:
        """Mark (room id, seq) turns and the summaries of rooms as embedded into memory."""
        async with self.db.sessions.begin() as session:
            if turns:
                marks = [{"mark_room": r, "mark_seq": s} for r, s in turns]
                await session.execute(_REMEMBERED, marks)
            if summaries:
                await session.execute(
                    update(RoomRow)
                    .where(RoomRow.id.in_(list(summaries)))
                    .values(summary_remembered=True)
                )
