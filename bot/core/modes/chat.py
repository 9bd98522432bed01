"""Chat mode: free conversation among the cast, people joining in, then a vote for the best line.

Who speaks next is `speakers.choose_speaker` (natural, round robin, random), or the moderator
persona's pick when the room's selection is `moderator`. A persona a person names answers next.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence

from bot.base.rooms import Mode, Room, Selection, SpeakerKind, Turn
from bot.core.errors import CastError
from bot.core.host import RoomHost
from bot.core.modes.base import RoomPlan, StartRequest
from bot.core.modes.opening import paced_settings, resolve_cast
from bot.core.modes.turns import TurnRunner
from bot.core.platform import Notice
from bot.core.prompts import Step, pick_request
from bot.core.results import VOTE_UP
from bot.core.speakers import choose_speaker, last_persona_speaker, mentioned, others, parse_pick
from bot.llm.types import LLMError
from personas.cards import Persona

log = logging.getLogger(__name__)
DEFAULT_CAST = ("philosopher", "comedian", "scientist", "skeptic")


def _failed_last(room: Room) -> str | None:
    """Return who could not answer last time, while the room is riding out model errors."""
    return room.skipped_speaker if room.failed_turns else None


class ChatRunner(TurnRunner):
    """Runs chat rooms."""

    mode = Mode.CHAT

    def __init__(self, host: RoomHost, *, summary_budget: int = 1500) -> None:
        super().__init__(host, summary_budget=summary_budget)
        # The moderator's pick, made and used within one step (so in the step's process).
        self._picks: dict[int, str] = {}  # room id -> persona the moderator named

    async def plan(self, request: StartRequest) -> RoomPlan:
        """Resolve the cast (at least two personas) and the pacing."""
        cast = await resolve_cast(
            self.host, request.key.tenant_id, request.personas or DEFAULT_CAST
        )
        if len(cast) < 2:
            raise CastError("a chat needs at least two personas")
        settings = paced_settings(self.host.defaults, request)
        return RoomPlan(tuple(p.id for p in cast), settings)

    def plan_turn(
        self, room: Room, cast: dict[str, Persona], recent: Sequence[Turn]
    ) -> Step | None:
        """Return the next speaker's turn, or None once the room has had its turns."""
        requested = self._picks.pop(room.id, None) or named_by_people(cast, recent)
        if room.persona_turns >= room.settings.turns:
            return None
        rng = random.Random(f"{room.seed}:{room.next_seq}")
        speakers = [p for p in cast.values() if p.id != _failed_last(room)] or list(cast.values())
        speaker = choose_speaker(
            room.settings.selection, speakers, recent, rng, requested=requested
        )
        task = "Reply to the conversation" if recent else "Open the conversation on the topic"
        return Step(speaker, instruction=f"{task} in character, briefly.")

    async def before_turn(
        self, room: Room, cast: dict[str, Persona], recent: Sequence[Turn]
    ) -> None:
        """In a moderated chat, let the moderator name the next speaker."""
        if room.settings.selection is Selection.MODERATOR and not named_by_people(cast, recent):
            await self._moderator_pick(room, cast, recent)

    async def open_vote(self, room: Room) -> None:
        """Invite votes on the best line; the results follow when the window closes."""
        window = room.settings.vote_window_s
        if window > 0:
            text = (
                f"That's the last turn. React {VOTE_UP} on your favourite lines; "
                f"results in {window:.0f} s."
            )
            await self.host.post_notice(room, Notice(text, title="Vote for the best line"))
        await self.close_vote_at(room, window)

    async def _moderator_pick(
        self, room: Room, cast: dict[str, Persona], recent: Sequence[Turn]
    ) -> None:
        """Let the moderator name the next speaker; on any failure natural selection decides."""
        if room.persona_turns >= room.settings.turns:
            return
        moderator = next((p for p in cast.values() if p.has_role("moderator")), None)
        moderator = moderator or (
            await self.host.catalog.resolve(room.tenant_id, ["moderator"])
        ).get("moderator")
        candidates = others(list(cast.values()), last_persona_speaker(recent))
        if moderator is None or not candidates:
            return
        model = self.host.model_for(room)
        request = pick_request(room, moderator, candidates, recent, model=model)
        try:
            completion = await self.host.llm.complete(request)
        except LLMError as exc:
            log.warning("moderator pick in room %s failed: %s", room.id, exc)
            return
        await self.host.store.rooms.record_usage(room.id, completion.usage, "pick")
        picked = parse_pick(completion.text, candidates)
        if picked is None:
            # Natural selection decides this turn; the count shows how often that happens.
            log.info("room %s: no speaker in the moderator's pick %r", room.id, completion.text)
            self.host.telemetry.parse_failed("pick")
            return
        self._picks[room.id] = picked.id


def named_by_people(cast: dict[str, Persona], recent: Sequence[Turn]) -> str | None:
    """Return the persona people asked for since the last persona turn (the latest ask).

    Read from the transcript, not kept in memory: the step may run in another process than
    the one that heard the message.
    """
    for turn in reversed(recent):
        if turn.by_persona:
            return None
        if turn.kind is SpeakerKind.HUMAN and (
            named := mentioned(turn.content, list(cast.values()))
        ):
            return named[0].id
    return None
