"""A compare round in a channel: contestants answer side by side, the audience votes.

The room runs while the answers arrive (each posted with its own 👍 poll), then waits in
voting. The close is an ordinary `close_vote` step on the scheduler, which the deliberation
step handler routes here, so a restart (the orchestrator's `recover`) closes it too. Closing
tallies the polls, updates the Elo ratings per persona and per model, and posts the result.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bot.consortium import CompareAnswer, Seat, compare
from bot.deliberation.context import Context
from bot.deliberation.identity import model_footer, seat_persona
from bot.deliberation.ratings import Contestant, RatingChange, record_round
from bot.pacing import due_at
from bot.platform import Notice, Posted, TurnPost, join_names
from bot.results import VOTE_UP
from bot.rooms import Mode, Room, RoomKey, RoomState, SpeakerKind, Turn
from bot.vote_sync import catch_up
from storage.polls import MessageRef

log = logging.getLogger(__name__)
VOTE = VOTE_UP
POLL_KIND = "compare"


class CompareRooms:
    """Starts compare rounds, closes them when voting ends, and reports their tallies."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._running: dict[int, asyncio.Task[None]] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def start(
        self, key: RoomKey, by: str, prompt: str, seats: Sequence[Seat], model: str | None
    ) -> Room:
        """Open a compare room, post its header and ask every contestant in the background."""
        await self.ctx.ensure_free(key)
        contestants = [Contestant.of(seat) for seat in seats]
        cast = tuple(c.persona_id for c in contestants if c.persona_id)
        extra = {"compare": [c.as_dict() for c in contestants]}
        settings = self.ctx.defaults.with_changes(model=model, extra=extra)
        room = await self.ctx.open_room(key, Mode.COMPARE, prompt, cast, settings, by)
        await self.ctx.post_notice(room, header_notice(room, seats))
        task = self.ctx.tasks.spawn(f"compare-room-{room.id}", self._ask(room, seats))
        self._running[room.id] = task
        task.add_done_callback(lambda _: self._running.pop(room.id, None))
        return room

    def running(self, room_id: int) -> bool:
        """Tell whether this process is still collecting the room's answers."""
        return room_id in self._running

    async def on_step(self, room_id: int, action: str) -> None:
        """Close the round when its vote window ends (or when a restart left it behind)."""
        if action == "close_vote":
            await self.close(room_id, "voting closed")
        elif not self.running(room_id):
            await self.close(room_id, "interrupted by a restart")

    async def stop(self, room: Room) -> None:
        """Stop asking, close the polls and post the result now."""
        await self.ctx.cancel_run(self._running.get(room.id))
        await self.close(room.id, "stopped")

    async def close(self, room_id: int, reason: str) -> None:
        """Tally the votes, update the ratings, post the result and finish the room (once)."""
        async with self._locks.setdefault(room_id, asyncio.Lock()):
            room = await self.ctx.store.rooms.get(room_id)
            if room is None or not room.is_live:
                return
            self.ctx.scheduler.cancel(room_id)
            polls = await self.ctx.store.polls.of_room(room.id, POLL_KIND)
            await catch_up(self.ctx.store, self.ctx.orchestrator.platform_of(room), room, polls)
            votes = await self.tally(room)
            for poll in polls:
                await self.ctx.store.polls.close(poll.id)
            changes = await record_round(self.ctx.store.records, room.tenant_id, votes)
            await self.ctx.post_notice(room, result_notice(room, votes, changes, reason))
            await self.ctx.finish(room.id)

    async def tally(self, room: Room) -> dict[Contestant, int]:
        """Return the 👍 votes of every contestant that answered, in seat order."""
        counts: Counter[str] = Counter()
        answered: set[str] = set()
        for poll in await self.ctx.store.polls.of_room(room.id, POLL_KIND):
            key = poll.subject.rpartition("#")[0]
            answered.add(key)
            counts[key] += (await self.ctx.store.polls.tally(poll.id)).get(VOTE, 0)
        return {c: counts[c.key] for c in contestants_of(room) if c.key in answered}

    async def _ask(self, room: Room, seats: Sequence[Seat]) -> None:
        try:
            answers = await compare(
                self.ctx.llm,
                room.topic,
                seats,
                on_answer=lambda answer: self.ctx.whole(self._post(room, answer)),
            )
        except Exception:
            log.exception("compare round in room %s failed", room.id)
            answers = []
        if any(answer.ok for answer in answers):
            await self._open_voting(room)
        else:
            await self.ctx.post_notice(room, Notice("No contestant could answer.", title="Compare"))
            await self.ctx.finish(room.id)

    async def _post(self, room: Room, answer: CompareAnswer) -> None:
        seat = answer.seat
        if not answer.ok:
            text = f"⏭️ {seat.label} could not answer: {answer.error}"
            await self.ctx.post_notice(room, Notice(text))
            return
        contestant = Contestant.of(seat)
        turn = Turn(0, SpeakerKind.PERSONA, contestant.key, seat.label, answer.text, "contestant")
        turn = await self.ctx.store.rooms.append(room, turn, answer.usage)
        persona = seat_persona(seat.label, seat.model, seat.persona)
        post = TurnPost(persona, answer.text, turn.seq, (VOTE,), model_footer(seat.model))
        posted = await self.ctx.post_turn(room, post)
        refs = _refs(room, posted, turn.seq, contestant.persona_id)
        subject = f"{contestant.key}#{turn.seq}"
        await self.ctx.store.polls.open_on(
            room.id, POLL_KIND, subject, {VOTE: contestant.key}, refs
        )

    async def _open_voting(self, room: Room) -> None:
        room = await self.ctx.reload(room.id)
        if room.state is not RoomState.RUNNING:
            return  # stopped or paused while the answers came in
        room = await self.ctx.move(room, RoomState.VOTING)
        window = room.settings.vote_window_s
        text = f"All answers are in. React {VOTE} on the best one; results in {window:.0f} s."
        await self.ctx.post_notice(room, Notice(text, title="Vote for the best answer"))
        due = due_at(self.ctx.clock.now(), window)
        self.ctx.scheduler.schedule(room.id, room.next_seq, "close_vote", due)


def _refs(room: Room, posted: Posted, seq: int, persona_id: str | None) -> list[MessageRef]:
    platform = room.key.platform
    return [MessageRef(platform, mid, room.id, seq, persona_id, None) for mid in posted.message_ids]


def contestants_of(room: Room) -> list[Contestant]:
    """Return the contestants a compare room was started with."""
    items: list[dict[str, Any]] = room.settings.extra.get("compare", [])
    return [Contestant.from_dict(item) for item in items]


def header_notice(room: Room, seats: Sequence[Seat]) -> Notice:
    """Describe a compare round as it starts."""
    names = join_names([seat.label for seat in seats])
    text = (
        f"“{room.topic}”\n{names} answer side by side. React {VOTE} on the best answer; "
        f"voting closes {room.settings.vote_window_s:.0f} s after the last answer."
    )
    return Notice(text, title="Chimera compare")


def result_notice(
    room: Room, votes: dict[Contestant, int], changes: dict[str, RatingChange], reason: str
) -> Notice:
    """Describe the outcome: the winner, every contestant's votes and rating change."""
    best = max(votes.values(), default=0)
    leaders = [c.label for c, n in votes.items() if n == best and best > 0]
    if not leaders:
        headline = "No votes, so the ratings stay as they were"
    else:
        headline = f"Winner: {join_names(leaders)} with {best} {VOTE}"
    fields = tuple((c.label, _row(n, changes.get(c.rating_key))) for c, n in votes.items())
    text = f"Results for “{room.topic}” — {headline} ({reason})."
    return Notice(text, title="Compare results", fields=fields)


def _row(votes: int, change: RatingChange | None) -> str:
    row = f"{votes} {VOTE}"
    if change is not None:
        row += f" · Elo {change.before:.0f} → {change.after:.0f}"
    return row
