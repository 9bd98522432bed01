"""Branches of rooms: a fork starts with its parent's turns up to a point; a replay, with none."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Insert, Table, insert, literal, select
from sqlalchemy.exc import IntegrityError

from bot.base.rooms import BranchKind, Lineage, Mode, Room, RoomKey, RoomSettings
from storage.db import Database
from storage.models import RoomRow, TurnRow
from storage.room_rows import new_room_row, to_room
from storage.rooms import ChannelBusy, ensure_tenant

_TURNS = cast(Table, TurnRow.__table__)
_COPIED = ("seq", "kind", "speaker_id", "speaker_name", "role", "content", "created_at")


class LineageStore:
    """Open branches of rooms and find a room's branches."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def open(
        self,
        key: RoomKey,
        mode: Mode,
        topic: str,
        cast: tuple[str, ...],
        settings: RoomSettings,
        lineage: Lineage,
        *,
        created_by: str = "",
        persona_turns: int = 0,
    ) -> Room:
        """Create a branch in the idle state, in one transaction.

        A fork gets its parent's turns 1..`lineage.at`, with their speakers and sequence
        numbers, marked inherited; their votes, usage and memory stay with the parent.
        """
        upto = (lineage.at or 0) if lineage.kind is BranchKind.FORK else 0
        try:
            async with self.db.sessions.begin() as session:
                await ensure_tenant(session, key.tenant_id, key.platform)
                row = new_room_row(
                    key,
                    mode,
                    topic,
                    cast,
                    settings,
                    created_by,
                    next_seq=upto + 1,
                    persona_turns=persona_turns,
                    parent_id=lineage.parent_id,
                    branch=lineage.kind.value,
                    fork_at=lineage.at,
                )
                session.add(row)
                await session.flush()
                if upto:
                    await session.execute(_copy_turns(lineage.parent_id, row.id, upto))
                return to_room(row)
        except IntegrityError:
            raise ChannelBusy(str(key)) from None

    async def branches(self, room_id: int) -> list[Room]:
        """Return the forks and replays of a room, oldest first."""
        query = select(RoomRow).where(RoomRow.parent_id == room_id).order_by(RoomRow.id)
        async with self.db.sessions() as session:
            return [to_room(row) for row in (await session.execute(query)).scalars()]


def _copy_turns(parent_id: int, room_id: int, upto: int) -> Insert:
    source = select(literal(room_id), *(_TURNS.c[name] for name in _COPIED), literal(True)).where(
        _TURNS.c.room_id == parent_id, _TURNS.c.seq <= upto
    )
    return insert(_TURNS).from_select(["room_id", *_COPIED, "inherited"], source)
