"""Pacing: when the next turn is due, and the scheduler that runs it then."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.base.rooms import RoomSettings
from storage.steps import PendingStep

log = logging.getLogger(__name__)

StepHandler = Callable[[int, int, str], Awaitable[None]]  # (room_id, seq, action)
TakeOverHandler = Callable[[int], Awaitable[object]]  # (room_id)


def next_delay(settings: RoomSettings, rng: random.Random) -> float:
    """Return seconds until the next turn: the room's pace plus or minus its jitter."""
    if settings.pace_s <= 0:
        return 0.0
    jitter = rng.uniform(-settings.jitter_s, settings.jitter_s)
    return max(settings.pace_s + jitter, settings.pace_s / 4)


def due_at(now: datetime, delay_s: float) -> datetime:
    """Return the time a step `delay_s` seconds from `now` is due."""
    return now + timedelta(seconds=delay_s)


class TurnScheduler(Protocol):
    """Runs a room's next step at a given time; one pending step per room, kept across restarts."""

    handler: StepHandler | None

    async def schedule(self, room_id: int, seq: int, action: str, at: datetime) -> None:
        """Replace the room's pending step with this one."""
        ...

    async def cancel(self, room_id: int) -> None:
        """Drop the room's pending step, if any."""
        ...

    async def pending(self, room_id: int) -> PendingStep | None:
        """Return the room's pending step (None while none is waiting, or it is running)."""
        ...

    async def start(self) -> None:
        """Start running due steps, the stored ones first."""
        ...

    async def shutdown(self) -> None:
        """Stop; pending steps stay stored for the next start."""
        ...


@runtime_checkable
class TakesOver(Protocol):
    """A scheduler whose steps can outlive the process running them (a shared job queue).

    Before it runs again a step whose process died, it asks for the room to be taken over:
    a turn left unposted is posted, a lost step scheduled.
    """

    takeover: TakeOverHandler | None
