"""The orchestrator: runs rooms through their lifecycle, one paced step at a time."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.clock import Clock
from bot.completion import LLM, OFFLINE_LABEL, LLMError, Usage, is_offline
from bot.modes import SIDES, plan_chat, plan_debate
from bot.pacing import TurnScheduler, due_at, next_delay
from bot.platform import Notice, Platform, Posted, TurnPost
from bot.prompts import Passage, Step, build_request, pick_request, summary_request
from bot.results import VOTE_DOWN, VOTE_UP, Results, collect_results
from bot.rooms import (
    Mode,
    Room,
    RoomKey,
    RoomState,
    Selection,
    SpeakerKind,
    Turn,
    check_transition,
)
from bot.speakers import last_persona_speaker, mentioned, others, parse_pick
from bot.vote_sync import catch_up
from personas.cards import Persona
from storage.polls import MessageRef
from storage.store import Store

log = logging.getLogger(__name__)
TURN_VOTES = {VOTE_UP: "up", VOTE_DOWN: "down"}


class Recall(Protocol):
    """What the orchestrator needs from memory."""

    async def passages(self, tenant_id: str, query: str, persona_id: str) -> list[Passage]:
        """Return passages worth citing in a persona's next turn."""
        ...

    async def remember(self, room: Room, turn: Turn) -> None:
        """Keep a turn for later recall."""
        ...

    async def remember_summary(self, room: Room, text: str, through_seq: int) -> None:
        """Keep the summary of a room's older turns."""
        ...


@dataclass(frozen=True)
class Spoken:
    """A persona's reply before it is stored: text, cost, model and the passages offered."""

    text: str
    usage: Usage
    model: str
    passages: tuple[Passage, ...] = ()

    def footer(self) -> str:
        """Return the line shown under the turn: the offline label and the sources cited."""
        cited = [p for p in self.passages if f"[{p.n}]" in self.text]
        parts = [OFFLINE_LABEL] if is_offline(self.model) else []
        if cited:
            parts.append("Sources: " + " · ".join(f"[{p.n}] {p.source}" for p in cited))
        return " — ".join(parts)


class RoomError(Exception):
    """A request about a room that cannot be carried out; the message is for the user."""


class Orchestrator:
    """Owns the rooms: starts them, runs their steps, and takes people's messages and votes."""

    def __init__(
        self,
        *,
        store: Store,
        cast_lookup: CastLookup,
        llm: LLM,
        scheduler: TurnScheduler,
        clock: Clock,
        default_model: str,
        history_turns: int = 8,
        summary_budget: int = 1500,
        memory: Recall | None = None,
    ) -> None:
        self.store = store
        self.cast_lookup = cast_lookup
        self.llm = llm
        self.scheduler = scheduler
        self.clock = clock
        self.default_model = default_model
        self.history_turns = history_turns
        self.summary_budget = summary_budget
        self.memory = memory
        self.platforms: dict[str, Platform] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._requested: dict[int, str] = {}

    def attach(self, platform: Platform) -> None:
        """Register the adapter that renders rooms of its platform."""
        self.platforms[platform.name] = platform

    # -- lifecycle -------------------------------------------------------------------------

    async def launch(self, room: Room) -> Room:
        """Move a freshly created room to running, post its header and schedule turn one."""
        room = await self._transition(room, RoomState.RUNNING)
        await self.notify(room, header_notice(room, await self.cast(room), self.model_for(room)))
        self.scheduler.schedule(room.id, room.next_seq, "turn", self.clock.now())
        return room

    async def pause(self, key: RoomKey) -> Room:
        """Pause the channel's room; its next turn waits for resume."""
        room = await self._live(key)
        async with self._lock(room.id):
            # As it is now: a step may have opened the vote while this command waited.
            room = await self._transition(await self._reload(room), RoomState.PAUSED)
            self.scheduler.cancel(room.id)
        return room

    async def resume(self, key: RoomKey) -> Room:
        """Resume a paused room now."""
        room = await self._live(key)
        async with self._lock(room.id):
            room = await self._transition(await self._reload(room), RoomState.RUNNING)
            self.scheduler.schedule(room.id, room.next_seq, "turn", self.clock.now())
        return room

    async def next(self, key: RoomKey) -> Room:
        """Skip the wait: run the next turn now (a paused room takes one step and stays paused)."""
        room = await self._live(key)
        if room.state is RoomState.RUNNING:
            self.scheduler.schedule(room.id, room.next_seq, "turn", self.clock.now())
            return room
        if room.state is RoomState.PAUSED:
            await self.run_step(room.id, room.next_seq, "turn", allow_paused=True)
            return await self._reload(room)
        raise RoomError(f"the room is {room.state.value}; there is no next turn")

    async def stop(self, key: RoomKey) -> Room:
        """Finish the channel's room now and post its results."""
        room = await self._live(key)
        async with self._lock(room.id):
            room = await self._reload(room)
            if room.is_live:  # not finished meanwhile by the vote closing or another stop
                self.scheduler.cancel(room.id)
                await self._finish(room, reason="stopped")
        return await self._reload(room)

    async def recover(self) -> int:
        """Reschedule live rooms that lost their pending step (e.g. a crash mid-turn).

        A turn written but never posted (the process stopped in between) is posted first.
        """
        count = 0
        for room in await self.store.rooms.live():
            await self._post_unposted(room)
            if room.state is RoomState.PAUSED or self.scheduler.pending(room.id):
                continue
            action = "close_vote" if room.state is RoomState.VOTING else "turn"
            self.scheduler.schedule(room.id, room.next_seq, action, self.clock.now())
            count += 1
        return count

    # -- steps -----------------------------------------------------------------------------

    async def run_step(
        self, room_id: int, seq: int, action: str, *, allow_paused: bool = False
    ) -> None:
        """Run a scheduled step once; a stale or repeated step (seq already used) is ignored."""
        async with self._lock(room_id):
            room, recent, older_chars = await self.store.rooms.snapshot(
                room_id, last=self.history_turns
            )
            if room is None or not _may_step(room, action, allow_paused):
                return
            # Only voting rooms take close_vote, so it needs no sequence check (see _may_step).
            if action != "close_vote" and room.next_seq != seq:
                self._resume_if_orphaned(room)
                return
            try:
                if action == "close_vote":
                    await self._finish(room, reason="voting closed")
                else:
                    await self._turn(room, recent, older_chars)
            except Exception:
                log.exception("step %s/%s of room %s failed", seq, action, room_id)
                await self._step_failed(room_id)

    def _resume_if_orphaned(self, room: Room) -> None:
        # A stale step means something (a person's message) moved the room on while this step
        # waited; if nothing is pending any more, the room would stall, so carry on now.
        if room.state is RoomState.RUNNING and self.scheduler.pending(room.id) is None:
            self.scheduler.schedule(room.id, room.next_seq, "turn", self.clock.now())

    async def _turn(self, room: Room, recent: list[Turn], older_chars: int) -> None:
        cast = await self.cast(room)
        if room.settings.selection is Selection.MODERATOR and room.id not in self._requested:
            await self._moderator_pick(room, cast, recent)
        step = self._plan(room, cast, recent)
        if step is None:
            if room.state is RoomState.PAUSED:  # `next` in a paused room whose turns are done
                room = await self._transition(room, RoomState.RUNNING)
            await self._open_vote(room)
            return
        await self._typing(room, step.persona)
        if older_chars // 4 > self.summary_budget:
            room = await self._summarise(room, before=recent[0].seq)
        try:
            spoken = await self._speak(room, step, recent, cast)
        except LLMError as exc:
            await self._model_failed(room, step.persona, exc)
            return
        persona = step.persona
        turn, poll_id = await self.store.rooms.append_with_poll(
            room,
            Turn(0, SpeakerKind.PERSONA, persona.id, persona.name, spoken.text, step.role),
            spoken.usage,
            dict(TURN_VOTES),
        )
        await self._post_turn(room, persona, turn, poll_id, spoken.footer())
        self._schedule_after(room, turn)

    async def _moderator_pick(
        self, room: Room, cast: dict[str, Persona], recent: Sequence[Turn]
    ) -> None:
        """Let the moderator name the next speaker; on any failure natural selection decides."""
        if room.mode is not Mode.CHAT or room.persona_turns >= room.settings.turns:
            return
        moderator = next((p for p in cast.values() if p.has_role("moderator")), None)
        moderator = moderator or (
            await self.cast_lookup.resolve(room.tenant_id, ["moderator"])
        ).get("moderator")
        candidates = others(list(cast.values()), last_persona_speaker(recent))
        if moderator is None or not candidates:
            return
        request = pick_request(room, moderator, candidates, recent, model=self.model_for(room))
        try:
            completion = await self.llm.complete(request)
        except LLMError as exc:
            log.warning("moderator pick in room %s failed: %s", room.id, exc)
            return
        await self.store.rooms.record_usage(room.id, completion.usage, "pick")
        picked = parse_pick(completion.text, candidates)
        if picked is not None:
            self._requested[room.id] = picked.id

    def _plan(self, room: Room, cast: dict[str, Persona], window: Sequence[Turn]) -> Step | None:
        if room.mode is Mode.DEBATE:
            return plan_debate(room, cast)
        rng = random.Random(f"{room.settings.seed}:{room.id}:{room.next_seq}")
        requested = self._requested.pop(room.id, None)
        return plan_chat(room, list(cast.values()), window, rng, requested)

    async def _speak(
        self, room: Room, step: Step, recent: Sequence[Turn], cast: dict[str, Persona]
    ) -> Spoken:
        model = step.persona.model or self.model_for(room)
        others = [p.name for p in cast.values() if p.id != step.persona.id]
        passages = await self._passages(room, step, recent)
        request = build_request(room, step, recent, model=model, others=others, passages=passages)
        completion = await self.llm.complete(request)
        return Spoken(completion.text.strip(), completion.usage, model, tuple(passages))

    async def _passages(self, room: Room, step: Step, recent: Sequence[Turn]) -> list[Passage]:
        if self.memory is None:
            return []
        query = " ".join([room.topic] + [turn.content for turn in recent[-2:]])
        return await self.memory.passages(room.tenant_id, query, step.persona.id)

    async def _summarise(self, room: Room, *, before: int) -> Room:
        older = [
            t
            for t in await self.store.rooms.transcript(room.id, after=room.summary_upto)
            if t.seq < before
        ]
        request = summary_request(room, older, model=self.model_for(room))
        try:
            completion = await self.llm.complete(request)
        except LLMError as exc:
            log.warning("summary for room %s failed: %s", room.id, exc)
            return room
        await self.store.rooms.set_summary(room.id, completion.text.strip(), older[-1].seq)
        await self.store.rooms.record_usage(room.id, completion.usage, "summary")
        if self.memory is not None:
            await self.memory.remember_summary(room, completion.text.strip(), older[-1].seq)
        return await self._reload(room)

    async def _post_turn(
        self, room: Room, persona: Persona, turn: Turn, poll_id: int, footer: str
    ) -> None:
        post = TurnPost(persona, turn.content, turn.seq, tuple(TURN_VOTES), footer)
        posted = await self.deliver(room, post)
        await self.store.polls.bind(poll_id, _refs(room, posted, turn.seq, persona.id))
        if self.memory is not None:
            await self.memory.remember(room, turn)

    async def _post_unposted(self, room: Room) -> None:
        unposted = await self.store.rooms.unposted_turn(room.id)
        if unposted is None:
            return
        turn, poll_id = unposted
        persona = (await self.cast(room)).get(turn.speaker_id)
        if persona is None:
            return
        log.info("room %s: posting turn %s, written before the restart", room.id, turn.seq)
        footer = OFFLINE_LABEL if is_offline(persona.model or self.model_for(room)) else ""
        await self._post_turn(room, persona, turn, poll_id, footer)

    def _schedule_after(self, room: Room, turn: Turn) -> None:
        # The room lock is held for the whole step, so its state cannot have changed meanwhile.
        if room.state is not RoomState.RUNNING:
            return
        delay = next_delay(room.settings, random.Random(f"pace:{room.id}:{turn.seq}"))
        self.scheduler.schedule(room.id, turn.seq + 1, "turn", due_at(self.clock.now(), delay))

    async def _step_failed(self, room_id: int) -> None:
        # An unexpected error must not leave a running room with nothing scheduled: pause it
        # and say so, so people can resume once the cause is fixed.
        room = await self.store.rooms.get(room_id)
        if room is not None and room.state is RoomState.RUNNING:
            await self._transition(room, RoomState.PAUSED)
            text = "Something went wrong on our side; the room is paused. Use `resume` to retry."
            await self.notify(room, Notice(text, title="Paused"))

    async def _model_failed(self, room: Room, persona: Persona, exc: LLMError) -> None:
        log.warning("room %s: %s", room.id, exc)
        text = (
            f"{persona.name} could not answer ({exc.reason}). The room is paused; "
            "use `resume` to try again."
        )
        if room.state is RoomState.RUNNING:
            await self._transition(room, RoomState.PAUSED)
        await self.notify(room, Notice(text, title="Model error"))

    # -- voting and results ----------------------------------------------------------------

    async def _open_vote(self, room: Room) -> None:
        room = await self._transition(room, RoomState.VOTING)
        window = room.settings.vote_window_s
        if room.mode is Mode.DEBATE:
            await self._outcome_poll(room, window)
        elif window > 0:
            await self.notify(
                room,
                Notice(
                    f"That's the last turn. React {VOTE_UP} on your favourite lines; "
                    f"results in {window:.0f} s.",
                    title="Vote for the best line",
                ),
            )
        self.scheduler.schedule(
            room.id, room.next_seq, "close_vote", due_at(self.clock.now(), window)
        )

    async def _outcome_poll(self, room: Room, window: float) -> None:
        options = {emoji: side for side, emoji in SIDES.items()}
        text = (
            f"Audience vote on “{room.topic}”: react {SIDES['for']} for the motion or "
            f"{SIDES['against']} against. Voting closes in {window:.0f} s."
        )
        posted = await self.notify(
            room, Notice(text, title="Your verdict", vote_emoji=tuple(options))
        )
        refs = _refs(room, posted, None, None)
        await self.store.polls.open_on(room.id, "outcome", "", options, refs)

    async def _finish(self, room: Room, *, reason: str) -> None:
        check_transition(room.state, RoomState.FINISHED)
        polls = await self.store.polls.of_room(room.id)
        await catch_up(self.store, self.platform_of(room), room, polls)
        for poll in polls:
            await self.store.polls.close(poll.id)
        results = await self.results(room)
        if room.mode is Mode.DEBATE and results.decision is not None:
            await self.store.records.save_decision(results.decision)
        await self.notify(room, results.notice(reason))
        # Finished last: whoever waits for the end (the console demo) sees the results posted.
        await self._transition(room, RoomState.FINISHED)

    async def results(self, room: Room) -> Results:
        """Collect a room's tallies (and a debate's decision)."""
        return await collect_results(self.store, room, await self.cast(room))

    async def on_reaction(
        self, platform: str, message_id: str, user_id: str, emoji: str, added: bool
    ) -> bool:
        """Count or withdraw a reaction vote; tell whether it was a vote on an open poll."""
        ref = await self.store.polls.message(platform, message_id)
        poll = await self.store.polls.get(ref.poll_id) if ref and ref.poll_id else None
        if poll is None or not poll.open or emoji not in poll.options:
            return False
        if added:
            await self.store.polls.cast(poll.id, user_id, emoji)
        else:
            await self.store.polls.retract(poll.id, user_id, emoji)
        return True

    # -- people in the room ----------------------------------------------------------------

    async def on_human_message(self, key: RoomKey, user_id: str, user_name: str, text: str) -> bool:
        """Add a person's message to the running room; a persona named in it answers next."""
        room = await self.store.rooms.current(key)
        if (
            room is None
            or room.state not in (RoomState.RUNNING, RoomState.PAUSED)
            or not text.strip()
        ):
            return False
        async with self._lock(room.id):
            room = await self._reload(room)
            if room.state not in (RoomState.RUNNING, RoomState.PAUSED):
                return False  # the vote opened (or the room ended) while this waited
            turn = await self.store.rooms.append(
                room, Turn(0, SpeakerKind.HUMAN, user_id, user_name, text)
            )
            if self.memory is not None:
                await self.memory.remember(room, turn)
            named = mentioned(text, list((await self.cast(room)).values()))
            if named and room.mode is Mode.CHAT:
                self._requested[room.id] = named[0].id
            self._reschedule_after_human(await self._reload(room), bool(named))
        return True

    def _reschedule_after_human(self, room: Room, soon: bool) -> None:
        pending = self.scheduler.pending(room.id)
        if room.state is not RoomState.RUNNING or pending is None:
            return
        at = self.clock.now() if soon else pending[2]
        self.scheduler.schedule(room.id, room.next_seq, pending[1], at)

    # -- helpers ---------------------------------------------------------------------------

    def model_for(self, room: Room) -> str:
        """Return the model a room uses unless a persona names its own."""
        return room.settings.model or self.default_model

    async def cast(self, room: Room) -> dict[str, Persona]:
        """Return the room's personas by id, in cast order."""
        return await self.cast_lookup.resolve(room.tenant_id, room.cast)

    async def _live(self, key: RoomKey) -> Room:
        room = await self.store.rooms.current(key)
        if room is None:
            raise RoomError("there is no room running in this channel; start one with `start`")
        return room

    async def _reload(self, room: Room) -> Room:
        fresh = await self.store.rooms.get(room.id)
        assert fresh is not None
        return fresh

    async def _transition(self, room: Room, target: RoomState) -> Room:
        check_transition(room.state, target)
        await self.store.rooms.set_state(room.id, target)
        return await self._reload(room)

    def _lock(self, room_id: int) -> asyncio.Lock:
        return self._locks.setdefault(room_id, asyncio.Lock())

    def platform_of(self, room: Room) -> Platform | None:
        """Return the adapter that renders the room, if it is attached."""
        return self.platforms.get(room.key.platform)

    async def _typing(self, room: Room, persona: Persona) -> None:
        platform = self.platform_of(room)
        if platform is not None:
            try:
                await platform.typing(room, persona)
            except Exception:  # typing is cosmetic; never let it cost a turn
                log.warning("typing indicator failed in room %s", room.id, exc_info=True)

    async def deliver(self, room: Room, post: TurnPost) -> Posted:
        """Post a persona's turn on the room's platform; a failure is logged, not raised."""
        platform = self.platform_of(room)
        if platform is None:
            return Posted(())
        try:
            return await platform.post_turn(room, post)
        except Exception:
            log.exception("posting turn %s of room %s failed", post.seq, room.id)
            return Posted(())

    async def notify(self, room: Room, notice: Notice) -> Posted:
        """Post a notice on the room's platform; a failure is logged, not raised."""
        platform = self.platform_of(room)
        if platform is None:
            return Posted(())
        try:
            return await platform.post_notice(room, notice)
        except Exception:
            log.exception("posting a notice in room %s failed", room.id)
            return Posted(())


class CastLookup(Protocol):
    """Resolves a room's cast ids to personas for its tenant."""

    async def resolve(self, tenant_id: str, ids: Sequence[str]) -> dict[str, Persona]:
        """Return the personas by id, in the given order."""
        ...


def _refs(room: Room, posted: Posted, seq: int | None, persona_id: str | None) -> list[MessageRef]:
    return [
        MessageRef(room.key.platform, message_id, room.id, seq, persona_id, None)
        for message_id in posted.message_ids
    ]


def _may_step(room: Room, action: str, allow_paused: bool) -> bool:
    if action == "close_vote":
        return room.state is RoomState.VOTING
    return room.state is RoomState.RUNNING or (allow_paused and room.state is RoomState.PAUSED)


def header_notice(room: Room, cast: dict[str, Persona], model: str) -> Notice:
    """Describe a room as it starts: topic, mode, cast and model."""
    names = ", ".join(f"{p.emoji} {p.name}" for p in cast.values())
    label = f"{model} ({OFFLINE_LABEL})" if is_offline(model) else model
    fields = (("Mode", room.mode.value), ("Cast", names), ("Model", label))
    return Notice(f"“{room.topic}”", title=f"Chimera {room.mode.value}", fields=fields)
