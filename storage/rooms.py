"""Rooms, their transcripts and per-turn usage."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.base.rooms import (
    Mode,
    Recent,
    Room,
    RoomKey,
    RoomSettings,
    RoomState,
    SpeakerKind,
    Turn,
)
from bot.llm.types import Usage
from storage.db import AsyncSession, Database
from storage.models import (
    PlatformMessageRow,
    PollRow,
    RoomRow,
    Tenant,
    TurnRow,
    UsageRow,
)
from storage.platform_state import EventClaim, claim
from storage.room_rows import new_room_row, to_room, to_turn
from storage.upsert import upsert


@dataclass(frozen=True)
class Unposted:
    """A persona turn stored but with no posted message recorded."""

    turn: Turn
    poll_id: int


class ChannelBusy(Exception):
    """The channel already has a room that has not finished."""


class SeqTaken(Exception):
    """The room's turn at this sequence number was already written (by another worker)."""


class RoomStore:
    """Read and write rooms, turns and usage."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        key: RoomKey,
        mode: Mode,
        topic: str,
        cast: tuple[str, ...],
        settings: RoomSettings,
        created_by: str = "",
    ) -> Room:
        """Create a room in the idle state; raise ChannelBusy if the channel has a live one.

        The database decides (a unique index over live rooms' keys), so of two starts that
        arrive at once exactly one creates its room.
        """
        try:
            return await self._create(key, mode, topic, cast, settings, created_by)
        except IntegrityError:
            raise ChannelBusy(str(key)) from None

    async def _create(
        self,
        key: RoomKey,
        mode: Mode,
        topic: str,
        cast: tuple[str, ...],
        settings: RoomSettings,
        created_by: str,
    ) -> Room:
        async with self.db.sessions.begin() as session:
            await ensure_tenant(session, key.tenant_id, key.platform)
            row = new_room_row(key, mode, topic, cast, settings, created_by)
            session.add(row)
            await session.flush()
            return to_room(row)

    async def get(self, room_id: int) -> Room | None:
        """Return a room by id."""
        async with self.db.sessions() as session:
            row = (await session.execute(_ROOM, {"room_id": room_id})).first()
            return to_room(row) if row else None

    async def current(self, key: RoomKey) -> Room | None:
        """Return the newest room in a channel that has not finished."""
        query = (
            select(RoomRow)
            .where(RoomRow.key == str(key), RoomRow.state != RoomState.FINISHED.value)
            .order_by(RoomRow.id.desc())
            .limit(1)
        )
        async with self.db.sessions() as session:
            row = (await session.execute(query)).scalar_one_or_none()
            return to_room(row) if row else None

    async def latest(self, key: RoomKey) -> Room | None:
        """Return the newest room in a channel, finished or not."""
        query = select(RoomRow).where(RoomRow.key == str(key)).order_by(RoomRow.id.desc()).limit(1)
        async with self.db.sessions() as session:
            row = (await session.execute(query)).scalar_one_or_none()
            return to_room(row) if row else None

    async def live(self) -> list[Room]:
        """Return every room that is running, paused or voting."""
        states = [RoomState.RUNNING.value, RoomState.PAUSED.value, RoomState.VOTING.value]
        async with self.db.sessions() as session:
            rows = (
                await session.execute(select(RoomRow).where(RoomRow.state.in_(states)))
            ).scalars()
            return [to_room(row) for row in rows]

    async def set_state(self, room_id: int, state: RoomState) -> None:
        """Store a room's new state."""
        await self._update(room_id, state=state.value)

    async def set_summary(
        self, room_id: int, summary: str, upto: int, *, remember: bool = False
    ) -> None:
        """Store the rolling summary of turns up to `upto` (marked for memory if `remember`)."""
        marked = False if remember else None
        await self._update(room_id, summary=summary, summary_upto=upto, summary_remembered=marked)

    async def record_skip(self, room_id: int, persona_id: str) -> Room:
        """Count a turn given up after a model error; return the room as stored now."""
        await self._update(
            room_id,
            failed_turns=RoomRow.failed_turns + 1,
            skipped_turns=RoomRow.skipped_turns + 1,
            skipped_speaker=persona_id,
        )
        room = await self.get(room_id)
        assert room is not None
        return room

    async def record_failure_pause(self, room_id: int) -> None:
        """Count a pause the room made for model errors."""
        await self._update(room_id, failure_pauses=RoomRow.failure_pauses + 1)

    async def clear_failures(self, room_id: int) -> None:
        """Forget the model errors: a turn went through, or a person resumed the room."""
        await self._update(room_id, failed_turns=0, failure_pauses=0, skipped_speaker=None)

    async def _update(self, room_id: int, **values: Any) -> None:
        async with self.db.sessions.begin() as session:
            await session.execute(update(RoomRow).where(RoomRow.id == room_id).values(**values))

    async def append(
        self, room: Room, turn: Turn, usage: Usage | None = None, *, remember: bool = False
    ) -> Turn:
        """Append a turn at the room's next sequence number; returns it with its seq.

        `remember` marks it as waiting for memory (storage/memory_marks.py).
        """
        async with self.db.sessions.begin() as session:
            stored, _ = await _append(session, room.id, turn, usage, remember)
            return stored

    async def append_event(
        self, room: Room, turn: Turn, event: EventClaim | None, *, remember: bool = False
    ) -> Turn | None:
        """Append a turn that a platform event brought, and mark the event handled, together.

        Return None (and store nothing) when the event was handled before.
        """
        async with self.db.sessions.begin() as session:
            if not await claim(session, event):
                return None
            stored, _ = await _append(session, room.id, turn, None, remember)
            return stored

    async def append_with_poll(
        self,
        room: Room,
        turn: Turn,
        usage: Usage | None,
        options: dict[str, str],
        *,
        remember: bool = False,
        at_seq: int | None = None,
    ) -> tuple[Turn, int]:
        """Append a persona's turn and open its vote in one transaction; return both.

        With `at_seq` the turn is written only at that sequence number: SeqTaken if the room
        has moved past it (a step that lost its lock while it stalled writes nothing).
        """
        async with self.db.sessions.begin() as session:
            stored, _ = await _append(session, room.id, turn, usage, remember, at_seq)
            poll = {
                "room_id": room.id,
                "kind": "turn",
                "subject": f"{turn.speaker_id}#{stored.seq}",
                "options": options,
                "state": "open",
            }
            return stored, (await session.execute(_INSERT_POLL, poll)).scalar_one()

    async def unposted_turn(self, room_id: int) -> Unposted | None:
        """Return the room's last persona turn and its poll if no message of it was recorded.

        That is a turn written just before the process stopped: its post was never sent, or
        was sent and the answer never came back. (A turn is stored, with its poll, just
        before its post is sent: the stored turn is the record of the attempt.)
        """
        last = (
            select(TurnRow)
            .where(TurnRow.room_id == room_id, TurnRow.kind == SpeakerKind.PERSONA.value)
            .order_by(TurnRow.seq.desc())
            .limit(1)
        )
        async with self.db.sessions() as session:
            row = (await session.execute(last)).scalar_one_or_none()
            if row is None:
                return None
            posted = select(PlatformMessageRow.id).where(
                PlatformMessageRow.room_id == room_id, PlatformMessageRow.turn_seq == row.seq
            )
            if (await session.execute(posted.limit(1))).first() is not None:
                return None
            poll = select(PollRow.id).where(
                PollRow.room_id == room_id,
                PollRow.kind == "turn",
                PollRow.subject == f"{row.speaker_id}#{row.seq}",
            )
            poll_id = (await session.execute(poll)).scalar_one_or_none()
            if poll_id is None:
                return None
            return Unposted(to_turn(row), poll_id)

    async def record_usage(self, room_id: int, usage: Usage, purpose: str) -> None:
        """Store the usage of a call that did not produce a turn (summaries, picks)."""
        async with self.db.sessions.begin() as session:
            values = usage_values(room_id, None, usage, purpose)
            await session.execute(_INSERT_USAGE, values)

    async def transcript(
        self, room_id: int, *, after: int = 0, last: int | None = None
    ) -> list[Turn]:
        """Return a room's turns in order (optionally only those after a seq, or the last N)."""
        query = select(TurnRow).where(TurnRow.room_id == room_id, TurnRow.seq > after)
        if last is not None:
            query = query.order_by(TurnRow.seq.desc()).limit(last)
            async with self.db.sessions() as session:
                rows = list((await session.execute(query)).scalars())
            return [to_turn(row) for row in reversed(rows)]
        async with self.db.sessions() as session:
            rows = list((await session.execute(query.order_by(TurnRow.seq))).scalars())
        return [to_turn(row) for row in rows]

    async def window(self, room: Room, *, last: int) -> Recent:
        """Return the room's last turns since its summary, and how long the rest of them is."""
        params = {"room_id": room.id, "after": room.summary_upto, "last": last}
        async with self.db.sessions() as session:
            return _window(list(await session.execute(_WINDOW, params)))

    async def snapshot(self, room_id: int, *, last: int) -> tuple[Room | None, Recent]:
        """Return a room and its window of recent turns, in one session (a step's first read)."""
        async with self.db.sessions() as session:
            row = (await session.execute(_ROOM, {"room_id": room_id})).first()
            if row is None:
                return None, Recent()
            room = to_room(row)
            params = {"room_id": room_id, "after": room.summary_upto, "last": last}
            return room, _window(list(await session.execute(_WINDOW, params)))

    async def usage_totals(self, room_id: int) -> dict[str, Any]:
        """Return tokens, known cost and call count of a room."""
        query = select(
            func.count(UsageRow.id),
            func.coalesce(func.sum(UsageRow.prompt_tokens), 0),
            func.coalesce(func.sum(UsageRow.completion_tokens), 0),
            func.sum(UsageRow.cost_usd),
        ).where(UsageRow.room_id == room_id)
        async with self.db.sessions() as session:
            calls, prompt, completion, cost = (await session.execute(query)).one()
        return {
            "calls": calls,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost_usd": cost,
        }


async def ensure_tenant(session: Any, tenant_id: str, platform: str) -> None:
    """Create the tenant row on first sight (at once with others: the database decides)."""
    values = {"id": tenant_id, "platform": platform}
    await session.execute(upsert(session, Tenant, values, keys=["id"]))


def usage_values(
    room_id: int, turn_id: int | None, usage: Usage, purpose: str = "turn"
) -> dict[str, Any]:
    """Return the usage row's column values for a call's usage."""
    return {
        "room_id": room_id,
        "turn_id": turn_id,
        "purpose": purpose,
        "model": usage.model,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "cost_usd": usage.cost_usd,
        "latency_ms": usage.latency_ms,
    }


# The statements every turn runs are built once, with bound parameters, on the tables (Core,
# not the ORM): building statements anew, or mapping rows to ORM objects, costs more CPU than
# SQLite spends executing them.
_ROOMS = cast(Table, RoomRow.__table__)
_TURNS = cast(Table, TurnRow.__table__)
_SIZE = func.length(_TURNS.c.content) + 20  # 20: the speaker's name on the prompt line
# One statement: the window total counts every turn after `after`, before the LIMIT.
_WINDOW = (
    select(_TURNS, func.sum(_SIZE).over().label("total"), _SIZE.label("size"))
    .where(_TURNS.c.room_id == bindparam("room_id"), _TURNS.c.seq > bindparam("after"))
    .order_by(_TURNS.c.seq.desc())
    .limit(bindparam("last"))
)
# One UPDATE … RETURNING both claims the sequence number and locks the room row.
_BUMP = (
    update(_ROOMS)
    .where(_ROOMS.c.id == bindparam("room_id"))
    .values(
        next_seq=_ROOMS.c.next_seq + 1,
        persona_turns=_ROOMS.c.persona_turns + bindparam("persona", type_=Integer),
    )
    .returning(_ROOMS.c.next_seq)
)
# The fence of a step: the sequence number is claimed only if it is still the room's next.
_BUMP_AT = _BUMP.where(_ROOMS.c.next_seq == bindparam("at_seq"))
_INSERT_TURN = insert(_TURNS).returning(_TURNS.c.id)
_INSERT_USAGE = insert(cast(Table, UsageRow.__table__))
_POLLS = cast(Table, PollRow.__table__)
_INSERT_POLL = insert(_POLLS).returning(_POLLS.c.id)
_ROOM = select(_ROOMS).where(_ROOMS.c.id == bindparam("room_id"))


def _window(rows: list[Any]) -> Recent:
    if not rows:
        return Recent()
    recent = tuple(to_turn(row) for row in reversed(rows))
    return Recent(recent, int(rows[0].total) - sum(int(row.size) for row in rows))


async def _append(
    session: AsyncSession,
    room_id: int,
    turn: Turn,
    usage: Usage | None,
    remember: bool,
    at_seq: int | None = None,
) -> tuple[Turn, int]:
    bump = {"room_id": room_id, "persona": 1 if turn.by_persona else 0}
    if at_seq is None:
        seq = (await session.execute(_BUMP, bump)).scalar_one() - 1
    else:
        claimed = (await session.execute(_BUMP_AT, bump | {"at_seq": at_seq})).scalar()
        if claimed is None:
            raise SeqTaken(f"room {room_id} is past turn {at_seq}")
        seq = claimed - 1
    stored = replace(turn, seq=seq)
    values = _turn_values(room_id, stored) | {"remembered": False if remember else None}
    turn_id = (await session.execute(_INSERT_TURN, values)).scalar_one()
    if usage is not None:
        await session.execute(insert(UsageRow).values(usage_values(room_id, turn_id, usage)))
    return stored, turn_id


def _turn_values(room_id: int, turn: Turn) -> dict[str, Any]:
    return {
        "room_id": room_id,
        "seq": turn.seq,
        "kind": turn.kind.value,
        "speaker_id": turn.speaker_id,
        "speaker_name": turn.speaker_name,
        "role": turn.role,
        "content": turn.content,
        "sources": list(turn.sources) or None,
    }
