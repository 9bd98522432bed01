"""The one shape every mode has: a runner the orchestrator calls for a room of that mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.base.rooms import Lineage, Mode, Recent, Room, RoomKey, RoomSettings, Selection, Turn
from bot.core.platform import Notice

if TYPE_CHECKING:
    from bot.core.consortium.config import ConsortiumConfig


@dataclass(frozen=True)
class StartRequest:
    """What someone asked to start in a channel; a runner turns it into a room."""

    key: RoomKey
    by: str
    mode: Mode
    topic: str
    personas: Sequence[str] = ()
    turns: int | None = None
    rounds: int | None = None
    pace_s: float | None = None
    selection: Selection | None = None
    model: str | None = None
    consortium: ConsortiumConfig | None = None  # consortium mode: the configuration to run
    chart: bool = False
    seed: int | None = None  # None: the room is seeded from its own id
    lineage: Lineage | None = None  # a fork or replay of another room
    persona_turns: int = 0  # a fork's inherited persona turns that count toward its length


@dataclass(frozen=True)
class RoomPlan:
    """A room a runner is ready to open: its cast and settings."""

    cast: tuple[str, ...]
    settings: RoomSettings


class ModeRunner(Protocol):
    """How one mode runs a room. The orchestrator holds the room's lock around `step`,
    `pause`, `resume`, `stop` and `on_message`, and passes the room as stored now."""

    mode: Mode

    async def plan(self, request: StartRequest) -> RoomPlan:
        """Check a start request and return the room to open (raise UserError to refuse)."""
        ...

    async def start(self, room: Room) -> str:
        """Begin a room that was just opened; return the line that announces it."""
        ...

    async def step(self, room: Room, seq: int, action: str, recent: Recent) -> None:
        """Run a scheduled step (`recent`: the room's prompt window); ignore a stale one."""
        ...

    async def pause(self, room: Room) -> Room:
        """Hold the room until `resume`."""
        ...

    async def resume(self, room: Room) -> Room:
        """Let a paused room go on."""
        ...

    async def next(self, room: Room) -> None:
        """Skip the wait and take the next step now (or refuse)."""
        ...

    async def stop(self, room: Room) -> None:
        """End the room now and post what it came to."""
        ...

    async def results(self, room: Room) -> Notice:
        """Describe the votes and the outcome so far."""
        ...

    async def on_message(self, room: Room, turn: Turn) -> None:
        """React to a person's message, already stored in the room's transcript."""
        ...

    async def recover(self, room: Room) -> bool:
        """Pick up a live room after a restart; tell whether a step was scheduled."""
        ...
