"""The orchestrator: every way into a room goes through here to the runner of the room's mode.

Commands, scheduled steps, recovery after a restart, people's messages and reactions all
arrive here. The orchestrator finds the room, takes its lock where the room may change, and
asks the room's mode runner; what a mode does lives in `bot/core/modes/`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.base.logcontext import about_room, bound
from bot.base.rooms import Mode, Room, RoomKey, RoomState, SpeakerKind, Turn
from bot.core.errors import RoomError
from bot.core.host import RoomHost
from bot.core.modes.base import ModeRunner, StartRequest
from bot.core.platform import Notice, Platform
from bot.core.results import Results, collect_results
from personas.cards import Persona
from storage.platform_state import EventClaim

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    """A room that has just started, and the line that announces it."""

    room: Room
    announcement: str


class Orchestrator:
    """Routes what happens to a room to the runner of its mode."""

    def __init__(self, host: RoomHost, runners: Iterable[ModeRunner]) -> None:
        self.host = host
        self.runners: dict[Mode, ModeRunner] = {runner.mode: runner for runner in runners}
        missing = set(Mode) - set(self.runners)
        assert not missing, f"no runner for {sorted(missing)}"

    def attach(self, platform: Platform) -> None:
        """Register the adapter that renders rooms of its platform."""
        self.host.attach(platform)

    def runner(self, room: Room) -> ModeRunner:
        """Return the runner of the room's mode."""
        return self.runners[room.mode]

    # -- control -------------------------------------------------------------------------------

    async def start(self, request: StartRequest) -> Started:
        """Open a room in the channel for the request and start it."""
        await self.host.ensure_free(request.key)
        runner = self.runners[request.mode]
        plan = await runner.plan(request)
        settings = plan.settings
        if request.seed is not None:
            settings = settings.with_changes(seed=request.seed)
        await self.host.check_models(request.key.tenant_id, plan.cast, settings)
        await self.host.check_budget(request.key.tenant_id, request.mode, settings)
        room = await self.host.open(
            request.key,
            request.mode,
            request.topic,
            plan.cast,
            settings,
            request.by,
            lineage=request.lineage,
            persona_turns=request.persona_turns,
        )
        return Started(room, await runner.start(room))

    async def pause(self, key: RoomKey) -> Room:
        """Pause the channel's room."""
        room = await self.host.live(key)
        async with self.host.lock(room.id):
            # As it is now: a step may have opened the vote while this command waited.
            room = await self.host.reload(room)
            return await self.runner(room).pause(room)

    async def resume(self, key: RoomKey) -> Room:
        """Resume the channel's paused room."""
        room = await self.host.live(key)
        async with self.host.lock(room.id):
            room = await self.host.reload(room)
            return await self.runner(room).resume(room)

    async def next(self, key: RoomKey) -> Room:
        """Skip the wait: the channel's room takes its next step now."""
        room = await self.host.live(key)
        await self.runner(room).next(room)
        return await self.host.reload(room)

    async def stop(self, key: RoomKey) -> Room:
        """End the channel's room now and post its outcome."""
        room = await self.host.live(key)
        async with self.host.lock(room.id):
            room = await self.host.reload(room)
            if room.is_live:  # not finished meanwhile by the vote closing or another stop
                await self.runner(room).stop(room)
        return await self.host.reload(room)

    async def results(self, room: Room) -> Notice:
        """Describe a room's votes and outcome, as its mode sees them."""
        return await self.runner(room).results(room)

    async def tallies(self, room: Room) -> Results:
        """Return every poll's tally of a room (and a debate's decision), for exports."""
        return await collect_results(self.host.store, room, await self.host.cast(room))

    # -- the scheduler and restarts ------------------------------------------------------------

    async def run_step(self, room_id: int, seq: int, action: str) -> None:
        """Run a scheduled step of a room (the scheduler's handler)."""
        async with self.host.lock(room_id):
            last = self.host.history_turns
            room, recent = await self.host.store.rooms.snapshot(room_id, last=last)
            if room is None or not room.is_live:
                return
            with bound(**about_room(room.id, room.key)):
                try:
                    await self.runner(room).step(room, seq, action, recent)
                except Exception:
                    log.exception("step %s/%s of room %s failed", seq, action, room_id)

    async def recover(self) -> int:
        """Pick up every live room after a start; return how many got a step scheduled."""
        count = 0
        for room in await self.host.store.rooms.live():
            try:
                count += await self.take_over(room.id)
            except Exception:
                log.exception("recovering room %s failed", room.id)
        return count

    async def take_over(self, room_id: int) -> bool:
        """Pick up a room whose step may have died with its process; tell whether a step
        was scheduled. Under the room's lock: another process may be running it."""
        async with self.host.lock(room_id):
            room = await self.host.store.rooms.get(room_id)
            if room is None or not room.is_live:
                return False
            return await self.runner(room).recover(room)

    # -- people in the room --------------------------------------------------------------------

    async def on_human_message(
        self,
        key: RoomKey,
        user_id: str,
        user_name: str,
        text: str,
        *,
        event: EventClaim | None = None,
    ) -> bool:
        """Add a person's message to the channel's running room; tell whether it was taken.

        `event` is the platform event that brought it, recorded with the message so that a
        redelivery of the event adds nothing.
        """
        room = await self.host.store.rooms.current(key)
        if room is None or not _listening(room) or not text.strip():
            return False
        async with self.host.lock(room.id):
            room = await self.host.reload(room)
            if not _listening(room):
                return False  # the vote opened (or the room ended) while this waited
            memory = self.host.memory
            turn = await self.host.store.rooms.append_event(
                room,
                Turn(0, SpeakerKind.HUMAN, user_id, user_name, text),
                event,
                remember=memory is not None,
            )
            if turn is None:
                return True  # a redelivery: the message is in the room already
            if memory is not None:
                memory.remember(room, turn)
            await self.runner(room).on_message(await self.host.reload(room), turn)
        return True

    async def on_reaction(
        self,
        platform: str,
        message_id: str,
        user_id: str,
        emoji: str,
        added: bool,
        *,
        event: EventClaim | None = None,
    ) -> bool:
        """Count or withdraw a reaction vote; tell whether it was a vote on an open poll.

        `event` is the platform event that brought it, recorded with the vote (a redelivery
        counts nothing again).
        """
        polls = self.host.store.polls
        ref = await polls.message(platform, message_id)
        poll = await polls.get(ref.poll_id) if ref and ref.poll_id else None
        if poll is None or not poll.open or emoji not in poll.options:
            return False
        if added:
            await polls.cast(poll.id, user_id, emoji, event)
        else:
            await polls.retract(poll.id, user_id, emoji, event)
        return True

    # -- what a room is made of ----------------------------------------------------------------

    def model_for(self, room: Room) -> str:
        """Return the model a room uses unless a persona names its own."""
        return self.host.model_for(room)

    async def cast(self, room: Room) -> dict[str, Persona]:
        """Return the room's personas by id, in cast order."""
        return await self.host.cast(room)

    async def current(self, key: RoomKey) -> Room:
        """Return the channel's live room, or refuse."""
        return await self.host.live(key)

    async def latest(self, key: RoomKey) -> Room:
        """Return the channel's latest room, live or finished, or refuse."""
        room = await self.host.store.rooms.latest(key)
        if room is None:
            raise RoomError("nothing has run in this channel yet")
        return room


def _listening(room: Room) -> bool:
    return room.state in (RoomState.RUNNING, RoomState.PAUSED)
