"""Riding out model errors in an unattended room: skip the turn, pause only when it persists.

A turn whose model call fails (after the gateway's own retries and fallbacks) is skipped with a
short notice and the room goes on with the next speaker. After `PAUSE_AFTER` failed turns in a
row the room pauses and says so; the first such pause resumes by itself once, after
`RETRY_AFTER_S`, since in a Discord channel nobody may be there to type `resume`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.base.rooms import Room, RoomState
from bot.core.host import RoomHost
from bot.core.platform import Notice
from bot.llm.types import LLMError
from personas.cards import Persona

log = logging.getLogger(__name__)
PAUSE_AFTER = 3  # failed turns in a row (model errors and unusable replies alike)
RETRY_AFTER_S = 60.0
RETRY = "retry"  # the step that resumes a room paused for failures; also the usage purpose
# of a model call whose reply was thrown away (regenerated, or its turn skipped)


class UnusableReply(LLMError):
    """The model answered twice, and neither reply could be posted (empty, a repeat, …)."""


async def turn_failed(host: RoomHost, room: Room, persona: Persona, exc: LLMError) -> bool:
    """Skip a persona's failed turn; tell whether the room goes on (False: it paused)."""
    log.warning("room %s: %s", room.id, exc)
    room = await host.store.rooms.record_skip(room.id, persona.id)
    if room.failed_turns < PAUSE_AFTER:
        await host.post_notice(room, _skip_notice(persona, exc))
        return True
    await _pause(host, room, exc)
    return False


def _skip_notice(persona: Persona, exc: LLMError) -> Notice:
    if isinstance(exc, UnusableReply):
        text = f"⏭️ {persona.name}'s reply was {exc.reason} twice, so the turn is skipped."
        return Notice(text, title="Skipped")
    text = f"⏭️ {persona.name} could not answer ({exc.reason}); the conversation goes on."
    return Notice(text, title="Model error")


async def _pause(host: RoomHost, room: Room, exc: LLMError) -> None:
    room = await host.move(room, RoomState.PAUSED)
    await host.store.rooms.record_failure_pause(room.id)
    lead = f"{PAUSE_AFTER} turns in a row could not be written ({exc.reason}). The room is paused"
    if room.failure_pauses == 0:  # the count as it was: this is the first such pause
        minutes = round(RETRY_AFTER_S / 60)
        text = f"{lead} and will try again by itself in {minutes} min; `resume` tries now."
        await host.schedule(room, RETRY, host.clock.now() + timedelta(seconds=RETRY_AFTER_S))
    else:
        await host.scheduler.cancel(room.id)
        text = f"{lead} again, so it stays paused; use `resume` once the model is back."
    await host.post_notice(room, Notice(text, title="Paused"))


async def retry(host: RoomHost, room: Room) -> Room | None:
    """Resume a room paused for failures, once; return it running (None: not that case)."""
    if room.state is not RoomState.PAUSED or room.failed_turns < PAUSE_AFTER:
        return None
    room = await host.move(room, RoomState.RUNNING)
    text = "Trying again after the model errors."
    await host.post_notice(room, Notice(text, title="Resumed"))
    return room
