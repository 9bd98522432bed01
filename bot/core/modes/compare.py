"""Compare mode: contestants answer the same prompt side by side, the audience votes.

The room runs while the answers arrive (each posted with its own 👍 poll), then waits in
voting. The close is an ordinary `close_vote` step, so a restart (recovery) closes it too.
Closing tallies the polls, updates the Elo ratings per persona and per model, and posts the
result.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bot.base.rooms import Mode, Recent, Room, RoomState, SpeakerKind, Turn
from bot.base.text import join_names
from bot.core.consortium import CompareAnswer, Seat, compare
from bot.core.consortium.config import MAX_MEMBERS
from bot.core.errors import UserError
from bot.core.host import RoomHost, message_refs
from bot.core.lineage import lineage_fields
from bot.core.modes.base import RoomPlan, StartRequest
from bot.core.modes.identity import model_footer, seat_persona
from bot.core.pacing import due_at
from bot.core.platform import Notice, TurnPost
from bot.core.ratings import Contestant, RatingChange, record_round
from bot.core.results import VOTE_UP

log = logging.getLogger(__name__)
VOTE = VOTE_UP
POLL_KIND = "compare"
DEFAULT_CAST = ("philosopher", "comedian", "scientist")


class CompareRunner:
    """Runs compare rounds: asks every contestant at once, then closes the vote."""

    mode = Mode.COMPARE

    def __init__(self, host: RoomHost) -> None:
        self.host = host
        self._running: dict[int, asyncio.Task[None]] = {}

    async def plan(self, request: StartRequest) -> RoomPlan:
        """Seat each distinct persona or model named (at least two)."""
        targets = request.personas or DEFAULT_CAST
        seats = await self.seats(request.key.tenant_id, targets, request.model)
        contestants = [Contestant.of(seat) for seat in seats]
        cast = tuple(c.persona_id for c in contestants if c.persona_id)
        extra = {"compare": [c.as_dict() for c in contestants]}
        return RoomPlan(cast, self.host.defaults.with_changes(model=request.model, extra=extra))

    async def start(self, room: Room) -> str:
        """Post the header and ask every contestant in the background."""
        seats = await self._seats_of(room)
        await self.host.post_notice(room, header_notice(room, seats))
        await self._launch(room, seats)
        names = join_names([seat.label for seat in seats])
        return f"Comparing {names} on “{room.topic}”. Vote with 👍."

    async def seats(self, tenant_id: str, targets: Sequence[str], model: str | None) -> list[Seat]:
        """Return one seat per distinct persona or model named."""
        default = model or self.host.default_model
        seats = [await self._seat(tenant_id, target.strip(), default) for target in targets]
        unique = list({Contestant.of(seat).key: seat for seat in seats}.values())
        if len(unique) < 2:
            raise UserError("compare needs at least two different personas or models")
        if len(unique) > MAX_MEMBERS:
            raise UserError(f"compare takes at most {MAX_MEMBERS} contestants")
        return unique

    async def step(self, room: Room, seq: int, action: str, recent: Recent) -> None:
        """Close the round when its vote window ends; while the answers come in, watch the
        run, and ask again the contestants a lost run (a restart, a process lost in a
        cluster) had not heard from."""
        if action == "close_vote":
            await self.close(room, "voting closed")
        elif room.state is not RoomState.RUNNING:
            return
        elif await self.host.run_alive(room):
            await self.host.watch_run(room)
        else:
            await self._take_over(room)

    async def pause(self, room: Room) -> Room:
        """Refuse: the answers are already on their way."""
        raise UserError(
            "a compare round cannot be paused: its answers are already on their way. "
            "Use `stop` to end it now"
        )

    async def resume(self, room: Room) -> Room:
        """Refuse: a compare round is never paused."""
        raise UserError("a compare round is never paused; there is nothing to resume")

    async def next(self, room: Room) -> None:
        """Refuse: there are no turns to skip to."""
        raise UserError("a compare round has no turns to skip to; `stop` closes the vote")

    async def stop(self, room: Room) -> None:
        """Stop asking, close the polls and post the result now."""
        await self.host.cancel_run(self._running.get(room.id))
        await self.close(room, "stopped")

    async def results(self, room: Room) -> Notice:
        """Show the votes so far (or the final ones)."""
        votes = await self.tally(room)
        fields = tuple((c.label, f"{n} {VOTE}") for c, n in votes.items())
        when = "Final votes" if room.state is RoomState.FINISHED else "Votes so far"
        return Notice(f"{when} on “{room.topic}”.", title="Compare results", fields=fields)

    async def on_message(self, room: Room, turn: Turn) -> None:
        """People's messages are kept in the transcript; contestants do not read them."""

    async def recover(self, room: Room) -> bool:
        """Schedule the close of a round that lost its pending step."""
        if await self.host.scheduler.pending(room.id):
            return False
        action = "close_vote" if room.state is RoomState.VOTING else "watch"
        await self.host.schedule(room, action, self.host.clock.now())
        return True

    async def close(self, room: Room, reason: str) -> None:
        """Tally the votes, update the ratings, post the result and finish the room (once)."""
        room = await self.host.reload(room)
        if not room.is_live:
            return
        await self.host.scheduler.cancel(room.id)
        await self.host.close_polls(room, POLL_KIND)
        votes = await self.tally(room)
        changes = await record_round(self.host.store.records, room.tenant_id, votes)
        await self.host.post_notice(room, result_notice(room, votes, changes, reason))
        await self.host.finish(room.id)

    async def tally(self, room: Room) -> dict[Contestant, int]:
        """Return the 👍 votes of every contestant that answered, in seat order."""
        polls = self.host.store.polls
        counts: Counter[str] = Counter()
        answered: set[str] = set()
        for poll in await polls.of_room(room.id, POLL_KIND):
            key = poll.subject.rpartition("#")[0]
            answered.add(key)
            counts[key] += (await polls.tally(poll.id)).get(VOTE, 0)
        return {c: counts[c.key] for c in contestants_of(room) if c.key in answered}

    async def _seat(self, tenant_id: str, target: str, model: str) -> Seat:
        if "/" in target:
            return Seat(target, target)
        persona = await self.host.catalog.find(tenant_id, target)
        if persona is None:
            known = ", ".join(p.id for p in await self.host.catalog.all(tenant_id))
            raise UserError(
                f"unknown persona '{target}'. Available: {known}; "
                "or name a model with its provider, such as openai/gpt-4o-mini"
            )
        return Seat(persona.name, persona.model or model, persona)

    async def _seats_of(self, room: Room) -> list[Seat]:
        personas = await self.host.personas(room.tenant_id)
        return [
            Seat(c.label, c.model, personas.get(c.persona_id or "")) for c in contestants_of(room)
        ]

    async def _launch(self, room: Room, seats: Sequence[Seat]) -> None:
        run = self._ask(room, seats)
        task = await self.host.spawn_run(room.id, f"compare-room-{room.id}", run)
        self._running[room.id] = task
        task.add_done_callback(lambda _: self._running.pop(room.id, None))
        await self.host.watch_run(room)

    async def _take_over(self, room: Room) -> None:
        answered = {c.key for c in await self.tally(room)}
        missing = [s for s in await self._seats_of(room) if Contestant.of(s).key not in answered]
        lost = f"The round on “{room.topic}” was interrupted (its process stopped)"
        if missing and await self.host.restart_run(
            room,
            f"{lost}; asking {join_names([s.label for s in missing])} again.",
            "Compare restarted",
        ):
            await self._launch(room, missing)
        elif answered:
            await self._voting(room)  # the step holds the room's lock
        else:
            await self.close(room, "interrupted: its process stopped")

    async def _ask(self, room: Room, seats: Sequence[Seat]) -> None:
        try:
            answers = await compare(
                self.host.llm,
                room.topic,
                seats,
                on_answer=lambda answer: self.host.whole(self._post(room, answer)),
            )
        except Exception:
            log.exception("compare round in room %s failed", room.id)
            answers = []
        if any(answer.ok for answer in answers) or await self.tally(room):
            await self._open_voting(room)
        else:
            notice = Notice("No contestant could answer.", title="Compare")
            await self.host.post_notice(room, notice)
            await self.host.finish(room.id)

    async def _post(self, room: Room, answer: CompareAnswer) -> None:
        room = await self.host.reload(room)
        if not room.is_live:  # stopped meanwhile, maybe from another process
            return
        seat = answer.seat
        if not answer.ok:
            await self.host.post_notice(
                room, Notice(f"⏭️ {seat.label} could not answer: {answer.error}")
            )
            return
        contestant = Contestant.of(seat)
        turn = Turn(0, SpeakerKind.PERSONA, contestant.key, seat.label, answer.text, "contestant")
        turn = await self.host.store.rooms.append(room, turn, answer.usage)
        persona = seat_persona(seat.label, seat.model, seat.persona)
        post = TurnPost(persona, answer.text, turn.seq, (VOTE,), model_footer(seat.model))
        posted = await self.host.post_turn(room, post)
        refs = message_refs(room, posted, turn.seq, contestant.persona_id)
        subject = f"{contestant.key}#{turn.seq}"
        await self.host.store.polls.open_on(
            room.id, POLL_KIND, subject, {VOTE: contestant.key}, refs
        )

    async def _open_voting(self, room: Room) -> None:
        async with self.host.lock(room.id):  # not while a watch step re-arms itself
            await self._voting(room)

    async def _voting(self, room: Room) -> None:
        room = await self.host.reload(room)
        if room.state is not RoomState.RUNNING:
            return  # stopped while the answers came in
        room = await self.host.move(room, RoomState.VOTING)
        await self.host.schedule(
            room, "close_vote", due_at(self.host.clock.now(), room.settings.vote_window_s)
        )
        window = room.settings.vote_window_s
        text = f"All answers are in. React {VOTE} on the best one; results in {window:.0f} s."
        await self.host.post_notice(room, Notice(text, title="Vote for the best answer"))


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
    return Notice(text, title="Chimera compare", fields=lineage_fields(room))


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
