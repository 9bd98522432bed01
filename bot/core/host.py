"""What every mode shares: the core's clients, a room's lock and lifecycle, its posts and polls.

Each mode runner gets the one RoomHost built in the composition root. The host never decides
what a mode does next; it moves rooms through their lifecycle, posts on the room's platform
(a platform failure is logged, never raised into a turn), closes polls, and runs posts to the
end even when the run that made them is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.base.clock import Clock
from bot.base.locks import KeyedLocks, Leases, Locks
from bot.base.rooms import (
    Lineage,
    Mode,
    Room,
    RoomKey,
    RoomSettings,
    RoomState,
    SpeakerKind,
    Turn,
    check_transition,
)
from bot.base.tasks import TaskOwner
from bot.core.budget import Budget, expected_calls
from bot.core.catalog import PersonaCatalog
from bot.core.errors import RoomError
from bot.core.pacing import TurnScheduler
from bot.core.platform import Notice, Platform, Posted, TurnPost
from bot.core.recall import Recall
from bot.core.room_models import models_in
from bot.core.telemetry import NoTelemetry, Telemetry
from bot.core.votes import catch_up
from bot.llm.types import LLM
from personas.cards import Persona
from storage.polls import MessageRef, Poll
from storage.rooms import ChannelBusy
from storage.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY = "a room is already running in this channel; `stop` it first"
EndHook = Callable[[Room], Awaitable[None]]
ModelCheck = Callable[[str], str | None]  # why a model name cannot be used, or None
RESTART = "restart"  # the transcript role of the note that a lost run started again
RUN_RESTARTS = 2  # a background run lost with its process this often is not started again
WATCH_S = 5.0  # in a cluster, how often some process looks whether a run's process lives


class RoomHost:
    """The clients every runner uses, and the room operations they have in common."""

    def __init__(
        self,
        *,
        store: Store,
        catalog: PersonaCatalog,
        llm: LLM,
        scheduler: TurnScheduler,
        clock: Clock,
        tasks: TaskOwner,
        defaults: RoomSettings,
        default_model: str,
        memory: Recall | None = None,
        history_turns: int = 8,
        telemetry: Telemetry | None = None,
        locks: Locks[int] | None = None,
        runs: Leases[int] | None = None,
        model_check: ModelCheck | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.llm = llm
        self.scheduler = scheduler
        self.clock = clock
        self.tasks = tasks
        self.defaults = defaults
        self.default_model = defaults.model or default_model
        self.memory = memory
        self.history_turns = history_turns  # the prompt window: the turns a step reads
        self.telemetry: Telemetry = telemetry or NoTelemetry()
        self.model_check = model_check
        self.budget = budget
        self.platforms: dict[str, Platform] = {}
        self._locks: Locks[int] = locks or KeyedLocks()  # shared by all processes in a cluster
        self.runs: Leases[int] = runs or KeyedLocks()  # the leases of rooms' background runs
        self._posting: set[asyncio.Task[Any]] = set()
        self._end_hooks: list[EndHook] = []

    # -- who and what ------------------------------------------------------------------------

    def attach(self, platform: Platform) -> None:
        """Register the adapter that renders rooms of its platform."""
        self.platforms[platform.name] = platform

    def platform_of(self, room: Room) -> Platform | None:
        """Return the adapter that renders the room, if it is attached."""
        return self.platforms.get(room.key.platform)

    def model_for(self, room: Room) -> str:
        """Return the model a room uses unless a persona names its own."""
        return room.settings.model or self.default_model

    async def check_models(
        self, tenant_id: str, cast: tuple[str, ...], settings: RoomSettings
    ) -> None:
        """Refuse a room that would call a model name no provider serves, before any call."""
        if self.model_check is None:
            return
        personas = await self.catalog.resolve(tenant_id, cast)
        for model in models_in(settings, personas, self.default_model):
            # In a thread: the first check may import litellm, seconds of CPU.
            if problem := await asyncio.to_thread(self.model_check, model):
                raise RoomError(problem)

    async def check_budget(self, tenant_id: str, mode: Mode, settings: RoomSettings) -> None:
        """Refuse a room whose calls would go over the tenant's spend caps, before any call."""
        if self.budget is not None:
            await self.budget.check(tenant_id, expected_calls(mode, settings))

    async def cast(self, room: Room) -> dict[str, Persona]:
        """Return the room's personas by id, in cast order."""
        return await self.catalog.resolve(room.tenant_id, room.cast)

    async def personas(self, tenant_id: str) -> dict[str, Persona]:
        """Return every persona the tenant can cast, by id."""
        return {persona.id: persona for persona in await self.catalog.all(tenant_id)}

    # -- lifecycle ---------------------------------------------------------------------------

    @asynccontextmanager
    async def lock(self, room_id: int) -> AsyncIterator[None]:
        """Hold the room's lock: one step or control command at a time (in every process)."""
        async with self._locks.hold(room_id):
            yield

    async def live(self, key: RoomKey) -> Room:
        """Return the channel's live room, or refuse."""
        room = await self.store.rooms.current(key)
        if room is None:
            raise RoomError("there is no room running in this channel; start one with `start`")
        return room

    async def ensure_free(self, key: RoomKey) -> None:
        """Refuse to start when something is already running in the channel."""
        if await self.store.rooms.current(key) is not None:
            raise RoomError(BUSY)

    async def open(
        self,
        key: RoomKey,
        mode: Mode,
        topic: str,
        cast: tuple[str, ...],
        settings: RoomSettings,
        by: str,
        *,
        lineage: Lineage | None = None,
        persona_turns: int = 0,
    ) -> Room:
        """Create a room (a fork gets its parent's turns up to the fork) and mark it running.

        Refused if the channel already has a live room.
        """
        try:
            if lineage is None:
                room = await self.store.rooms.create(
                    key, mode, topic, cast, settings, created_by=by
                )
            else:
                room = await self.store.lineage.open(
                    key,
                    mode,
                    topic,
                    cast,
                    settings,
                    lineage,
                    created_by=by,
                    persona_turns=persona_turns,
                )
        except ChannelBusy:
            raise RoomError(BUSY) from None
        return await self.move(room, RoomState.RUNNING)

    async def reload(self, room: Room | int) -> Room:
        """Return the room as stored now."""
        room_id = room if isinstance(room, int) else room.id
        fresh = await self.store.rooms.get(room_id)
        if fresh is None:
            raise RoomError(f"room {room_id} no longer exists")
        return fresh

    async def move(self, room: Room, state: RoomState) -> Room:
        """Move a room to a state its lifecycle allows; return it as stored.

        Whoever waits for a room to end (`on_end`) hears of it just before it is marked
        finished, so what they post comes before anyone watching the state sees the end.
        """
        check_transition(room.state, state)
        if state is RoomState.FINISHED:
            await self._ending(room)
        await self.store.rooms.set_state(room.id, state)
        return await self.reload(room)

    def on_end(self, hook: EndHook) -> None:
        """Call `hook` with each room as it ends (after its results are posted)."""
        self._end_hooks.append(hook)

    async def _ending(self, room: Room) -> None:
        for hook in self._end_hooks:
            try:
                await hook(room)
            except Exception:  # a listener's failure must not keep the room from ending
                log.exception("end-of-room hook failed for room %s", room.id)

    async def finish(self, room_id: int) -> None:
        """Mark a room finished unless it already is."""
        room = await self.store.rooms.get(room_id)
        if room is not None and room.is_live:
            await self.move(room, RoomState.FINISHED)

    async def schedule(
        self, room: Room, action: str, at: datetime, *, seq: int | None = None
    ) -> None:
        """Make this the room's one pending step (at its next sequence number by default)."""
        await self.scheduler.schedule(room.id, room.next_seq if seq is None else seq, action, at)

    # -- posting -----------------------------------------------------------------------------

    async def typing(self, room: Room, persona: Persona) -> None:
        """Show that a persona is composing; cosmetic, so a failure never costs a turn."""
        platform = self.platform_of(room)
        if platform is None:
            return
        try:
            await platform.typing(room, persona)
        except Exception:
            log.warning("typing indicator failed in room %s", room.id, exc_info=True)

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        """Post a persona's turn on the room's platform; a failure is logged, not raised."""
        platform = self.platform_of(room)
        if platform is None:
            return Posted(())
        try:
            posted = await platform.post_turn(room, post)
        except Exception:
            log.exception("posting turn %s of room %s failed", post.seq, room.id)
            return Posted(())
        self.telemetry.turn_posted(platform.name, room.mode.value)
        return posted

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        """Post a notice in the bot's own name; a failure is logged, not raised."""
        platform = self.platform_of(room)
        if platform is None:
            return Posted(())
        try:
            return await platform.post_notice(room, notice)
        except Exception:
            log.exception("posting a notice in room %s failed", room.id)
            return Posted(())

    async def whole(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a post and its database writes to the end, even if the caller is cancelled.

        A task cancelled half way through a SQLite write can leave the write lock held, so
        a stop cancels a run between posts (`cancel_run`) and lets these finish.
        """
        task = self.tasks.spawn("room-post", work, awaited=True)
        self._posting.add(task)
        task.add_done_callback(self._posting.discard)
        result: T = await asyncio.shield(task)
        return result

    async def spawn_run(
        self, room_id: int, name: str, work: Coroutine[Any, Any, None]
    ) -> asyncio.Task[None]:
        """Start a room's background run (a consortium, a compare round), holding the room's
        run lease until it ends: every process can see that the run is alive, and another
        takes it over only once the lease has lapsed (its process died). A process that
        stalls until its lease lapses stops its run: the run is another process's now."""
        lease, run = AsyncExitStack(), list[asyncio.Task[None]]()

        def lost() -> None:  # this process stalled; another may have taken the run over
            log.warning("room %s: its run's lease lapsed; this process stops the run", room_id)
            for task in run:
                task.cancel()

        await lease.enter_async_context(self.runs.hold(room_id, on_lost=lost))
        began = False

        async def leased() -> None:
            nonlocal began
            began = True
            async with lease:
                await work

        def unstarted(_: asyncio.Task[None]) -> None:
            if not began:  # cancelled before its first step: let the lease go
                work.close()
                self.tasks.spawn(f"{name}-lease", lease.aclose())

        task = self.tasks.spawn(name, leased())
        task.add_done_callback(unstarted)
        run.append(task)
        return task

    async def watch_run(self, room: Room) -> None:
        """In a cluster, arm the step that looks whether the room's run still has a process
        (a lost run is taken over by any process). One process needs none: its own start
        takes over what it lost."""
        if self.runs.shared:
            await self.schedule(room, "watch", self.clock.now() + timedelta(seconds=WATCH_S))

    async def run_alive(self, room: Room) -> bool:
        """Tell whether some process (maybe this one) runs the room's background run."""
        return await self.runs.held(room.id)

    async def restart_run(self, room: Room, text: str, title: str) -> bool:
        """Say (in the transcript and the channel) that a room's lost run starts again; tell
        whether it may: one lost RUN_RESTARTS times is closed instead."""
        transcript = await self.store.rooms.transcript(room.id)
        if sum(t.role == RESTART for t in transcript) >= RUN_RESTARTS:
            return False
        turn = Turn(0, SpeakerKind.SYSTEM, "chimera", "Chimera", text, RESTART)
        await self.store.rooms.append(room, turn)
        await self.post_notice(room, Notice(text, title=title))
        return True

    async def cancel_run(self, task: asyncio.Task[Any] | None) -> None:
        """Cancel a room's background run (if this process has one); let its posts finish."""
        if task is None:
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.gather(*self._posting, return_exceptions=True)

    # -- polls -------------------------------------------------------------------------------

    async def close_polls(self, room: Room, kind: str | None = None) -> list[Poll]:
        """Count the votes missed while down, then close the room's polls; return them."""
        polls = await self.store.polls.of_room(room.id, kind)
        await catch_up(self.store, self.platform_of(room), room, polls)
        for poll in polls:
            await self.store.polls.close(poll.id)
        return polls


def message_refs(
    room: Room, posted: Posted, seq: int | None, persona_id: str | None
) -> list[MessageRef]:
    """Return the stored references of a post's platform messages (votes find polls by them)."""
    return [
        MessageRef(room.key.platform, message_id, room.id, seq, persona_id, None)
        for message_id in posted.message_ids
    ]
