"""Paced persona turns, the machinery chat and debate share.

A turn: choose the speaker (the mode's `plan_turn`), show typing, summarise older turns when
they outgrow the budget, build the prompt (card + recent turns + summary + memory), call the
model, store the turn with its vote poll, post it, and schedule the next one. When the mode
has no more turns, the audience vote opens; its close is a scheduled `close_vote` step.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.base.rooms import Mode, Recent, Room, RoomState, SpeakerKind, Turn
from bot.core.errors import RoomError
from bot.core.host import RoomHost, message_refs
from bot.core.hygiene import unusable
from bot.core.lineage import RECAP_TURNS, recap_notice
from bot.core.modes import failures
from bot.core.modes.base import RoomPlan, StartRequest
from bot.core.modes.opening import header_notice
from bot.core.pacing import due_at, next_delay
from bot.core.platform import Notice, Posted, PostFinder, TurnPost
from bot.core.prompts import (
    Passage,
    Step,
    again,
    build_request,
    summary_request,
    turn_voices,
    written_turn,
)
from bot.core.results import VOTE_DOWN, VOTE_UP, Results, collect_results, parse_judgement
from bot.core.speakers import mentioned
from bot.llm.types import OFFLINE_LABEL, LLMError, Usage, is_offline
from personas.cards import Persona
from storage.rooms import SeqTaken

log = logging.getLogger(__name__)
TURN_VOTES = {VOTE_UP: "up", VOTE_DOWN: "down"}


@dataclass(frozen=True)
class Spoken:
    """A persona's reply before it is stored: text, cost, model and the passages offered."""

    text: str
    usage: Usage
    model: str
    passages: tuple[Passage, ...] = ()

    def sources(self) -> tuple[str, ...]:
        """Return the passages the text cites, as "[n] source"."""
        return tuple(f"[{p.n}] {p.source}" for p in self.passages if f"[{p.n}]" in self.text)

    def footer(self) -> str:
        """Return the line shown under the turn: the offline label and the sources cited."""
        parts = [OFFLINE_LABEL] if is_offline(self.model) else []
        if cited := self.sources():
            parts.append("Sources: " + " · ".join(cited))
        return " — ".join(parts)


class TurnRunner:
    """The ModeRunner of modes made of paced persona turns; subclasses say who speaks."""

    mode: Mode

    def __init__(self, host: RoomHost, *, summary_budget: int = 1500) -> None:
        self.host = host
        self.summary_budget = summary_budget

    # -- what a mode decides -------------------------------------------------------------------

    async def plan(self, request: StartRequest) -> RoomPlan:
        """Check a start request and return the room to open."""
        raise NotImplementedError

    def plan_turn(
        self, room: Room, cast: dict[str, Persona], recent: Sequence[Turn]
    ) -> Step | None:
        """Return the next turn, or None when the room has had its turns."""
        raise NotImplementedError

    async def before_turn(
        self, room: Room, cast: dict[str, Persona], recent: Sequence[Turn]
    ) -> None:
        """Prepare the turn about to be planned (chat: the moderator may pick the speaker)."""

    async def open_vote(self, room: Room) -> None:
        """Ask the audience to vote, now that the last turn is posted."""
        raise NotImplementedError

    async def conclude(self, room: Room, results: Results) -> None:
        """Keep what a finished room decided (debate: the decision record)."""

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, room: Room) -> str:
        """Post the room's header (a fork's with a recap) and schedule its first turn now."""
        cast = await self.host.cast(room)
        await self.host.post_notice(room, header_notice(room, cast, self.host.model_for(room)))
        if room.own_from > 1:
            last = await self.host.store.rooms.transcript(room.id, last=RECAP_TURNS)
            await self.host.post_notice(room, recap_notice(room, last))
        await self.host.schedule(room, "turn", self.host.clock.now())
        names = ", ".join(p.name for p in cast.values())
        return f"Starting a {room.mode.value} on “{room.topic}” with {names}."

    async def pause(self, room: Room) -> Room:
        """Pause the room; its next turn waits for resume."""
        room = await self.host.move(room, RoomState.PAUSED)
        await self.host.scheduler.cancel(room.id)
        return room

    async def resume(self, room: Room) -> Room:
        """Resume a paused room now (model errors before it are forgotten)."""
        room = await self.host.move(room, RoomState.RUNNING)
        if room.failed_turns or room.failure_pauses:
            await self.host.store.rooms.clear_failures(room.id)
        await self.host.schedule(room, "turn", self.host.clock.now())
        return room

    async def next(self, room: Room) -> None:
        """Run the next turn now; a paused room takes one step and stays paused."""
        if room.state is RoomState.RUNNING:
            await self.host.schedule(room, "turn", self.host.clock.now())
            return
        if room.state is not RoomState.PAUSED:
            raise RoomError(f"the room is {room.state.value}; there is no next turn")
        async with self.host.lock(room.id):
            room = await self.host.reload(room)
            if room.state is RoomState.PAUSED:
                recent = await self.host.store.rooms.window(room, last=self.host.history_turns)
                await self._guarded(room, lambda r: self._turn(r, recent))

    async def stop(self, room: Room) -> None:
        """Finish the room now and post its results."""
        await self.host.scheduler.cancel(room.id)
        await self.finish(room, reason="stopped")

    async def results(self, room: Room) -> Notice:
        """Describe the votes (and a debate's decision)."""
        return (await self.collect(room)).notice()

    async def collect(self, room: Room) -> Results:
        """Tally the room's polls."""
        return await collect_results(self.host.store, room, await self.host.cast(room))

    async def recover(self, room: Room) -> bool:
        """Post a turn written but never posted, and reschedule a room that lost its step."""
        await self._post_unposted(room)
        if room.state is RoomState.PAUSED or await self.host.scheduler.pending(room.id):
            return False
        action = "close_vote" if room.state is RoomState.VOTING else "turn"
        await self.host.schedule(room, action, self.host.clock.now())
        return True

    async def on_message(self, room: Room, turn: Turn) -> None:
        """Let a person's message bring the next turn forward when it names a persona."""
        named = self.requested_by(room, turn, await self.host.cast(room))
        pending = await self.host.scheduler.pending(room.id)
        if room.state is not RoomState.RUNNING or pending is None:
            return
        at = self.host.clock.now() if named else pending.due
        await self.host.schedule(room, pending.action, at)

    def requested_by(self, room: Room, turn: Turn, cast: dict[str, Persona]) -> bool:
        """Note whom a person's message asks to speak; tell whether it named anyone."""
        return bool(mentioned(turn.content, list(cast.values())))

    # -- steps ---------------------------------------------------------------------------------

    async def step(self, room: Room, seq: int, action: str, recent: Recent) -> None:
        """Run a scheduled step once; a stale or repeated step (seq already used) is ignored."""
        if action == "close_vote":
            # Only voting rooms take close_vote, so it needs no sequence check.
            if room.state is RoomState.VOTING:
                await self._guarded(room, self._close_vote)
            return
        if action == failures.RETRY:
            resumed = await failures.retry(self.host, room)
            room = resumed or room
        if room.state is not RoomState.RUNNING:
            return
        if room.next_seq != seq:
            await self._resume_if_orphaned(room)
            return
        await self._guarded(room, lambda r: self._turn(r, recent))

    async def _guarded(self, room: Room, step: Callable[[Room], Awaitable[None]]) -> None:
        try:
            await step(room)
        except Exception:
            log.exception("step %s of room %s failed", room.next_seq, room.id)
            await self._step_failed(room.id)

    async def _close_vote(self, room: Room) -> None:
        await self.finish(room, reason="voting closed")

    async def _resume_if_orphaned(self, room: Room) -> None:
        # A stale step means something (a person's message) moved the room on while this step
        # waited; if nothing is pending any more, the room would stall, so carry on now.
        if await self.host.scheduler.pending(room.id) is None:
            await self.host.schedule(room, "turn", self.host.clock.now())

    async def _turn(self, room: Room, window: Recent) -> None:
        started = self.host.clock.now()
        seq = room.next_seq  # as read under the room's lock: the turn this step writes
        recent, older_chars = window.turns, window.older_chars
        cast = await self.host.cast(room)
        await self.before_turn(room, cast, recent)
        step = self.plan_turn(room, cast, recent)
        if step is None:
            if room.state is RoomState.PAUSED:  # `next` in a paused room whose turns are done
                room = await self.host.move(room, RoomState.RUNNING)
            room = await self.host.move(room, RoomState.VOTING)
            await self.open_vote(room)
            return
        await self.host.typing(room, step.persona)
        if older_chars // 4 > self.summary_budget:
            room = await self._summarise(room, before=recent[0].seq)
        try:
            spoken = await self._speak(room, step, recent, cast)
        except LLMError as exc:
            if await failures.turn_failed(self.host, room, step.persona, exc):
                await self._schedule_next(room, room.next_seq, sent_at=self.host.clock.now())
            return
        persona = step.persona
        memory = self.host.memory
        try:
            turn, poll_id = await self.host.store.rooms.append_with_poll(
                room,
                Turn(
                    0,
                    SpeakerKind.PERSONA,
                    persona.id,
                    persona.name,
                    spoken.text,
                    step.role,
                    sources=spoken.sources(),
                ),
                spoken.usage,
                dict(TURN_VOTES),
                remember=memory is not None,
                at_seq=seq,
            )
        except SeqTaken:
            # This step stalled past its lock and another worker wrote the turn meanwhile:
            # that worker posts it and schedules what follows.
            log.info("room %s: turn %s was written by another worker", room.id, seq)
            return
        if memory is not None:
            memory.remember(room, turn)  # embedded by the writer while the turn is posted
        sending = self.host.clock.now()
        await self._post_turn(room, persona, turn, poll_id, spoken.footer())
        if room.failed_turns:
            await self.host.store.rooms.clear_failures(room.id)
        await self._schedule_next(room, turn.seq + 1, sent_at=sending, lead=sending - started)

    async def _speak(
        self, room: Room, step: Step, recent: Sequence[Turn], cast: dict[str, Persona]
    ) -> Spoken:
        """Write the turn; an unusable reply is asked for once more, then the turn is skipped."""
        model = step.persona.model or self.host.model_for(room)
        others = [p.name for p in cast.values() if p.id != step.persona.id]
        passages = await self._passages(room, step, recent)
        request = build_request(room, step, recent, model=model, others=others, passages=passages)
        voices = turn_voices(step.persona, others, recent)
        earlier = [t.content for t in recent]
        reason: str | None = None
        for attempt in range(2):
            completion = await self.host.llm.complete(request if attempt == 0 else again(request))
            text = written_turn(completion.text, step, voices, room.key.platform)
            reason = unusable(text, earlier, step.instruction) or _unfit(step, text, attempt)
            if not reason:
                if step.task == "verdict" and parse_judgement(text)[0] == "undecided":
                    self.host.telemetry.parse_failed("verdict")  # posted; the record is undecided
                return Spoken(text, completion.usage, model, tuple(passages))
            log.info("room %s: %s's reply was %s: %r", room.id, voices.speaker, reason, text)
            await self.host.store.rooms.record_usage(room.id, completion.usage, failures.RETRY)
        raise failures.UnusableReply(model, reason or "unusable")

    async def _passages(self, room: Room, step: Step, recent: Sequence[Turn]) -> list[Passage]:
        if self.host.memory is None:
            return []
        return await self.host.memory.passages(room, recent, step.persona.id)

    async def _summarise(self, room: Room, *, before: int) -> Room:
        rooms = self.host.store.rooms
        older = [
            t for t in await rooms.transcript(room.id, after=room.summary_upto) if t.seq < before
        ]
        request = summary_request(room, older, model=self.host.model_for(room))
        try:
            completion = await self.host.llm.complete(request)
        except LLMError as exc:
            log.warning("summary for room %s failed: %s", room.id, exc)
            return room
        summary = completion.text.strip()
        memory = self.host.memory
        await rooms.set_summary(room.id, summary, older[-1].seq, remember=memory is not None)
        await rooms.record_usage(room.id, completion.usage, "summary")
        room = await self.host.reload(room)
        if memory is not None:
            memory.remember_summary(room)
        return room

    async def _post_turn(
        self, room: Room, persona: Persona, turn: Turn, poll_id: int, footer: str
    ) -> None:
        post = TurnPost(persona, turn.content, turn.seq, tuple(TURN_VOTES), footer)
        posted = await self.host.post_turn(room, post)
        await self.host.store.polls.bind(poll_id, message_refs(room, posted, turn.seq, persona.id))

    async def _post_unposted(self, room: Room) -> None:
        """Post, once, a turn written before a restart whose post was never confirmed.

        A post that was sent may have reached the channel before the process died (the answer
        never came back): the platform is asked first, and a turn it has is only recorded.
        """
        unposted = await self.host.store.rooms.unposted_turn(room.id)
        if unposted is None:
            return
        turn = unposted.turn
        persona = (await self.host.cast(room)).get(turn.speaker_id)
        if persona is None:
            return
        footer = OFFLINE_LABEL if is_offline(persona.model or self.host.model_for(room)) else ""
        post = TurnPost(persona, turn.content, turn.seq, tuple(TURN_VOTES), footer)
        posted = await self._find(room, post)
        if posted is None:
            log.info("room %s: posting turn %s, written before the restart", room.id, turn.seq)
            posted = await self.host.post_turn(room, post)
        refs = message_refs(room, posted, turn.seq, persona.id)
        await self.host.store.polls.bind(unposted.poll_id, refs)

    async def _find(self, room: Room, post: TurnPost) -> Posted | None:
        platform = self.host.platform_of(room)
        if not isinstance(platform, PostFinder):
            return None
        try:
            found = await platform.find_turn(room, post)
        except Exception:  # cannot tell: posting again beats never posting
            log.warning("room %s: could not look for turn %s", room.id, post.seq, exc_info=True)
            return None
        if found is not None:
            log.info("room %s: turn %s reached the room before the restart", room.id, post.seq)
        return found

    async def _schedule_next(
        self, room: Room, seq: int, *, sent_at: datetime, lead: timedelta = timedelta(0)
    ) -> None:
        """Schedule turn `seq` so that its post follows the last one by the room's pace.

        The pace is between posts, so the next step starts early by as long as this step took
        to get to its post (the model's answer, the database); it is never due before now.
        """
        # The room lock is held for the whole step, so its state cannot have changed meanwhile.
        if room.state is not RoomState.RUNNING:
            return
        rng = random.Random(f"pace:{room.id}:{seq - 1}:{room.skipped_turns}")
        due = max(due_at(sent_at, next_delay(room.settings, rng)) - lead, self.host.clock.now())
        await self.host.schedule(room, "turn", due, seq=seq)

    async def _step_failed(self, room_id: int) -> None:
        # An unexpected error must not leave a running room with nothing scheduled: pause it
        # and say so, so people can resume once the cause is fixed.
        room = await self.host.store.rooms.get(room_id)
        if room is not None and room.state is RoomState.RUNNING:
            await self.host.move(room, RoomState.PAUSED)
            text = "Something went wrong on our side; the room is paused. Use `resume` to retry."
            await self.host.post_notice(room, Notice(text, title="Paused"))

    # -- the end -------------------------------------------------------------------------------

    async def close_vote_at(self, room: Room, window_s: float) -> None:
        """Schedule the vote's close `window_s` seconds from now."""
        await self.host.schedule(room, "close_vote", due_at(self.host.clock.now(), window_s))

    async def finish(self, room: Room, *, reason: str) -> None:
        """Close the polls, keep the outcome, post the results and mark the room finished."""
        if not room.is_live:
            return
        await self.host.close_polls(room)
        results = await self.collect(room)
        await self.conclude(room, results)
        await self.host.post_notice(room, results.notice(reason))
        # Finished last: whoever waits for the end (the console demo) sees the results posted.
        await self.host.move(room, RoomState.FINISHED)


def _unfit(step: Step, text: str, attempt: int) -> str:
    """Say why a judge's reply needs another try: it named no side (kept on the last try)."""
    if step.task == "verdict" and attempt == 0 and parse_judgement(text)[0] == "undecided":
        return "a verdict that names no side"
    return ""
