"""Each room's one pending step (sequence number, action, due time), kept on the room row.

The database is the truth; the scheduler's timer (in-process, or a job queue shared by several
processes) is rebuilt from it at start, so a step due while the process was down runs once
when it comes back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update

from bot.base.rooms import RoomState
from storage.db import Database
from storage.models import RoomRow


@dataclass(frozen=True)
class PendingStep:
    """A room's next step: which sequence number it is for, what it does, and when."""

    seq: int
    action: str
    due: datetime


_ROOMS = cast(Table, RoomRow.__table__)
_SET = (  # Core, not ORM: an executemany over rooms, no objects to sync
    update(_ROOMS)
    .where(_ROOMS.c.id == bindparam("room"))
    .values(
        step_seq=bindparam("set_seq"),
        step_action=bindparam("set_action"),
        step_due=bindparam("set_due"),
    )
)


class StepStore:
    """Reads and writes the pending step of rooms."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, room_id: int, step: PendingStep | None) -> None:
        """Make `step` the room's pending step (None: nothing pending)."""
        await self.save_many({room_id: step})

    async def save_many(self, steps: Mapping[int, PendingStep | None]) -> None:
        """Store the pending step of several rooms in one statement."""
        if not steps:
            return
        params = [_params(room_id, step) for room_id, step in steps.items()]
        async with self.db.sessions.begin() as session:
            await session.execute(_SET, params)

    async def get(self, room_id: int) -> PendingStep | None:
        """Return the room's pending step as stored now (None: nothing pending)."""
        query = select(RoomRow.step_seq, RoomRow.step_action, RoomRow.step_due).where(
            RoomRow.id == room_id
        )
        async with self.db.sessions() as session:
            row = (await session.execute(query)).first()
        if row is None:
            return None
        seq, action, due = row
        return _step(seq, action, due)

    async def clear(self, room_id: int, step: PendingStep) -> bool:
        """Drop the room's pending step if it is still `step`; tell whether it was.

        A step that scheduled its successor while it ran leaves that one in place.
        """
        query = (
            update(_ROOMS)
            .where(
                _ROOMS.c.id == room_id,
                _ROOMS.c.step_seq == step.seq,
                _ROOMS.c.step_action == step.action,
                _ROOMS.c.step_due == step.due,
            )
            .values(step_seq=None, step_action=None, step_due=None)
        )
        async with self.db.sessions.begin() as session:
            result = await session.execute(query)
        return bool(getattr(result, "rowcount", 0))

    async def pending(self) -> dict[int, PendingStep]:
        """Return the pending step of every room that has not finished."""
        query = select(RoomRow.id, RoomRow.step_seq, RoomRow.step_action, RoomRow.step_due).where(
            RoomRow.state != RoomState.FINISHED.value, RoomRow.step_due.is_not(None)
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).all()
        found = {room_id: _step(seq, action, due) for room_id, seq, action, due in rows}
        return {room_id: step for room_id, step in found.items() if step is not None}


def _step(seq: int | None, action: str | None, due: datetime | None) -> PendingStep | None:
    if seq is None or not action or due is None:
        return None
    return PendingStep(int(seq), str(action), _aware(due))


def _params(room_id: int, step: PendingStep | None) -> dict[str, object]:
    if step is None:
        return {"room": room_id, "set_seq": None, "set_action": None, "set_due": None}
    return {"room": room_id, "set_seq": step.seq, "set_action": step.action, "set_due": step.due}


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time Chimera stores is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
