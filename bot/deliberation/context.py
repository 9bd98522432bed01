"""What consortium and compare rooms need from the core, and how they post and finish."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.catalog import PersonaCatalog
from bot.clock import Clock
from bot.completion import LLM
from bot.orchestrator import Orchestrator, RoomError
from bot.pacing import TurnScheduler
from bot.platform import Notice, Posted, TurnPost
from bot.rooms import Mode, Room, RoomKey, RoomSettings, RoomState, check_transition
from bot.tasks import TaskOwner
from personas.cards import Persona
from storage.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """The core's clients, built once in the composition root and shared by both modes."""

    store: Store
    catalog: PersonaCatalog
    orchestrator: Orchestrator
    llm: LLM
    scheduler: TurnScheduler
    clock: Clock
    tasks: TaskOwner
    defaults: RoomSettings
    _posting: set[asyncio.Task[Any]] = field(default_factory=set, init=False, repr=False)

    async def whole(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a post and its database writes to the end, even if the caller is cancelled.

        A task cancelled half way through a SQLite write can leave the write lock held, so
        a stop cancels a run between posts (`cancel_run`) and lets these finish.
        """
        task = self.tasks.spawn("deliberation-post", work, awaited=True)
        self._posting.add(task)
        task.add_done_callback(self._posting.discard)
        result: T = await asyncio.shield(task)
        return result

    async def cancel_run(self, task: asyncio.Task[None] | None) -> None:
        """Cancel a room's run (if this process has one) and let its posts under way finish."""
        if task is None:
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.gather(*self._posting, return_exceptions=True)

    @property
    def default_model(self) -> str:
        """Return the model used when neither the command nor a persona names one."""
        return self.defaults.model or self.orchestrator.default_model

    def model_for(self, room: Room) -> str:
        """Return the model a room's personas use unless they name their own."""
        return room.settings.model or self.default_model

    async def personas(self, tenant_id: str) -> dict[str, Persona]:
        """Return the tenant's personas by id."""
        return {persona.id: persona for persona in await self.catalog.all(tenant_id)}

    async def ensure_free(self, key: RoomKey) -> None:
        """Refuse to start when something is already running in the channel."""
        if await self.store.rooms.current(key) is not None:
            raise RoomError("a room is already running in this channel; `stop` it first")

    async def open_room(
        self,
        key: RoomKey,
        mode: Mode,
        topic: str,
        cast: tuple[str, ...],
        settings: RoomSettings,
        by: str,
    ) -> Room:
        """Create a room for one consortium run or compare round and mark it running."""
        room = await self.store.rooms.create(key, mode, topic, cast, settings, created_by=by)
        check_transition(room.state, RoomState.RUNNING)
        await self.store.rooms.set_state(room.id, RoomState.RUNNING)
        return await self.reload(room.id)

    async def reload(self, room_id: int) -> Room:
        """Return the stored room."""
        room = await self.store.rooms.get(room_id)
        if room is None:
            raise RoomError(f"room {room_id} no longer exists")
        return room

    async def move(self, room: Room, state: RoomState) -> Room:
        """Move a room to a new state the lifecycle allows."""
        check_transition(room.state, state)
        await self.store.rooms.set_state(room.id, state)
        return await self.reload(room.id)

    async def finish(self, room_id: int) -> None:
        """Mark a room finished unless it already is."""
        room = await self.store.rooms.get(room_id)
        if room is not None and room.is_live:
            await self.move(room, RoomState.FINISHED)

    async def post_turn(self, room: Room, post: TurnPost) -> Posted:
        """Post under a persona's identity; a platform failure is logged, not raised."""
        return await self.orchestrator.deliver(room, post)

    async def post_notice(self, room: Room, notice: Notice) -> Posted:
        """Post in the bot's own name; a platform failure is logged, not raised."""
        return await self.orchestrator.notify(room, notice)
