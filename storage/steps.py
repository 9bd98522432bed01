"""Each room's one pending step (sequence number, action, due time), kept on the room row.

The database is the truth; the scheduler's in-process timer is rebuilt from it at start, so a
step due while the process was down runs once when it comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update

from bot.base.rooms import RoomState
from storage.db import Database
from storage.models import RoomRow


@dataclass(frozen=True)
class PendingStep:
    """A room's next step: which sequence number it is for, what it does, and when."""

    seq: int
    action: str
    due: datetime


_SET = (
    update(RoomRow)
    .where(RoomRow.id == bindparam("room"))
    .values(step_seq=bindparam("seq"), step_action=bindparam("action"), step_due=bindparam("due"))
)


class StepStore:
    """Reads and writes the pending step of rooms."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, room_id: int, step: PendingStep | None) -> None:
        """Make `step` the room's pending step (None: nothing pending)."""
        params: dict[str, object] = {"room": room_id, "seq": None, "action": None, "due": None}
        if step is not None:
            params |= {"seq": step.seq, "action": step.action, "due": step.due}
        async with self.db.sessions.begin() as session:
            await session.execute(_SET, params)

    async def pending(self) -> dict[int, PendingStep]:
        """Return the pending step of every room that has not finished."""
        query = select(RoomRow.id, RoomRow.step_seq, RoomRow.step_action, RoomRow.step_due).where(
            RoomRow.state != RoomState.FINISHED.value, RoomRow.step_due.is_not(None)
        )
        async with self.db.sessions() as session:
            rows = (await session.execute(query)).all()
        return {
            room_id: PendingStep(int(seq), str(action), _aware(due))
            for room_id, seq, action, due in rows
            if seq is not None and action and due is not None
        }


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time Chimera stores is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
