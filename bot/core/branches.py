"""Forks and replays of rooms.

A fork is a new room whose history is another room's turns up to a point; it goes on from
there (as a chat or a debate) with the given or the parent's cast and settings. A replay
runs a room's topic, mode and settings again, with the same seed, with another cast or
model; when it ends, the host tells us (`RoomHost.on_end`) and the replay and its original
are summed up side by side. The modes know nothing of either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.base.rooms import BranchKind, Lineage, Mode, Room, RoomKey
from bot.core.comparison import figures, side_by_side
from bot.core.errors import RoomError, UserError
from bot.core.modes.base import StartRequest
from bot.core.modes.compare import contestants_of
from bot.core.modes.consortium import config_of
from bot.core.modes.debate import DebateCast
from bot.core.orchestrator import Orchestrator, Started

PACED = (Mode.CHAT, Mode.DEBATE)  # the modes whose turns read the history a fork inherits


@dataclass(frozen=True)
class ForkRequest:
    """Fork room `parent_id` after its turn `at`, into the channel `key`."""

    key: RoomKey
    by: str
    parent_id: int
    at: int
    personas: Sequence[str] = ()
    model: str | None = None
    turns: int | None = None  # new persona turns (default: as many as the parent had left)
    mode: Mode | None = None
    pace_s: float | None = None


@dataclass(frozen=True)
class ReplayRequest:
    """Run room `original_id` again in the channel `key`, with another cast or model."""

    key: RoomKey
    by: str
    original_id: int
    personas: Sequence[str] = ()
    model: str | None = None
    pace_s: float | None = None


class Branches:
    """Starts forks and replays, and sums up each replay beside its original when it ends."""

    def __init__(self, orchestrator: Orchestrator) -> None:
        self.orchestrator = orchestrator
        self.host = orchestrator.host
        self.host.on_end(self._ended)

    async def fork(self, request: ForkRequest) -> Started:
        """Start a fork; the parent (running or finished) is only read, never changed."""
        parent = await self._room(request.key, request.parent_id)
        mode = request.mode or parent.mode
        if mode not in PACED:
            raise UserError(
                f"a fork goes on as a chat or a debate (add mode=chat), not as a {mode.value}; "
                "to run a consortium or compare again, use `replay`"
            )
        last = parent.next_seq - 1
        if last < 1:
            raise UserError(f"room {parent.id} has no turns to fork from yet")
        if request.at > last:
            raise UserError(f"room {parent.id} has turns #1 to #{last}; fork at one of them")
        turns = await self.host.store.rooms.transcript(parent.id)
        inherited = sum(1 for t in turns if t.by_persona and t.seq <= request.at)
        counted = inherited if mode is parent.mode else 0  # a new mode starts its own course
        more = request.turns or parent.settings.turns - counted
        if more < 1:  # the parent had had all its turns: go on for as long again
            more = parent.settings.turns
        start = StartRequest(
            request.key,
            request.by,
            mode,
            parent.topic,
            personas=tuple(request.personas) or cast_of(parent),
            turns=counted + more,
            rounds=parent.settings.rounds,
            pace_s=parent.settings.pace_s if request.pace_s is None else request.pace_s,
            selection=parent.settings.selection,
            model=request.model or parent.settings.model,
            seed=parent.seed,
            lineage=Lineage(BranchKind.FORK, parent.id, request.at),
            persona_turns=counted,
        )
        started = await self.orchestrator.start(start)
        head = f"Forked room {parent.id} after turn #{request.at} as room {started.room.id}."
        return Started(started.room, f"{head} {started.announcement}")

    async def replay(self, request: ReplayRequest) -> Started:
        """Start a replay with the original's topic, mode, settings and seed."""
        original = await self._room(request.key, request.original_id)
        settings = original.settings
        recast = bool(request.personas)
        consortium = original.mode is Mode.CONSORTIUM and not recast
        start = StartRequest(
            request.key,
            request.by,
            original.mode,
            original.topic,
            personas=tuple(request.personas) or cast_of(original),
            turns=settings.turns,
            rounds=settings.rounds,
            pace_s=settings.pace_s if request.pace_s is None else request.pace_s,
            selection=settings.selection,
            model=request.model or settings.model,
            consortium=config_of(original) if consortium else None,
            chart=bool(settings.extra.get("chart")),
            seed=original.seed,
            lineage=Lineage(BranchKind.REPLAY, original.id),
        )
        started = await self.orchestrator.start(start)
        head = f"Replaying room {original.id} as room {started.room.id}."
        return Started(started.room, f"{head} {started.announcement}")

    async def _room(self, key: RoomKey, room_id: int) -> Room:
        room = await self.host.store.rooms.get(room_id)
        if room is None or room.tenant_id != key.tenant_id:
            raise RoomError(f"there is no room {room_id} here (`status` shows a room's id)")
        return room

    async def _ended(self, room: Room) -> None:
        lineage = room.lineage
        if lineage is None or lineage.kind is not BranchKind.REPLAY:
            return
        original = await self.host.store.rooms.get(lineage.parent_id)
        if original is None:
            return
        before, after = await figures(self.host, original), await figures(self.host, room)
        await self.host.post_notice(room, side_by_side(before, after))


def cast_of(room: Room) -> tuple[str, ...]:
    """Return a room's cast in the order its mode's plan reads it back into the same roles."""
    extra = room.settings.extra
    if room.mode is Mode.DEBATE and "debate" in extra:
        debate = DebateCast(**extra["debate"])
        pairs = [p for pair in zip(debate.pro, debate.con, strict=False) for p in pair]
        rest = [*debate.pro[len(pairs) // 2 :], *debate.con[len(pairs) // 2 :]]
        return (debate.moderator, *pairs, *rest, debate.judge)
    if room.mode is Mode.COMPARE:
        return tuple(c.persona_id or c.model for c in contestants_of(room))
    if room.mode is Mode.CONSORTIUM:
        return ()  # the stored configuration names the members
    return room.cast
