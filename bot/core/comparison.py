"""Two rooms side by side (a replay and its original): turns, votes, verdict, tokens, cost."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from bot.base.rooms import Room, Turn
from bot.base.text import clip
from bot.core.host import RoomHost
from bot.core.platform import Notice
from bot.core.results import VOTE_DOWN, VOTE_UP, Results, collect_results

VERDICT_CHARS = 120


@dataclass(frozen=True)
class Figures:
    """What one room came to, as shown in a side-by-side summary."""

    room: Room
    cast: str
    model: str
    turns: int
    votes: str
    verdict: str
    tokens: str
    cost: str

    def rows(self) -> tuple[tuple[str, str], ...]:
        """Return (label, value) pairs in the order the summary shows them."""
        return (
            ("Room", str(self.room.id)),
            ("Cast", self.cast),
            ("Model", self.model),
            ("Turns", str(self.turns)),
            ("Votes", self.votes),
            ("Verdict", self.verdict),
            ("Tokens", self.tokens),
            ("Cost", self.cost),
        )


async def figures(host: RoomHost, room: Room) -> Figures:
    """Sum up a room: who spoke, on which model, how it was voted and judged, and its usage."""
    store = host.store
    transcript = await store.rooms.transcript(room.id)
    said = [turn for turn in transcript if turn.by_persona]
    speakers = list(dict.fromkeys(turn.speaker_name for turn in said)) or list(room.cast)
    results = await collect_results(store, room, await host.cast(room))
    votes: Counter[str] = Counter()
    for poll in await store.polls.of_room(room.id):
        votes.update(await store.polls.tally(poll.id))
    usage = await store.rooms.usage_totals(room.id)
    cost = usage["cost_usd"]
    return Figures(
        room=room,
        cast=", ".join(speakers) or "nobody",
        model=host.model_for(room),
        turns=len(said),
        votes=f"{VOTE_UP} {votes[VOTE_UP]} · {VOTE_DOWN} {votes[VOTE_DOWN]}",
        verdict=verdict(results, transcript),
        tokens=f"{usage['prompt_tokens'] + usage['completion_tokens']} ({usage['calls']} calls)",
        cost="unknown" if cost is None else f"${cost:.4f}",
    )


def verdict(results: Results, transcript: list[Turn]) -> str:
    """Say what a room came to: a debate's outcome, a consortium's, or the best-voted turn."""
    if results.decision is not None:
        return f"{results.decision.outcome} (judge: {results.decision.verdict})"
    outcome = next((t for t in reversed(transcript) if t.role == "outcome"), None)
    if outcome is not None:
        return clip(outcome.content, VERDICT_CHARS, flat=True)
    if results.best_line is not None:
        turn, ups = results.best_line
        return f"best: {turn.speaker_name} (#{turn.seq}, {ups} {VOTE_UP})"
    return "no votes"


def _cells(text: str) -> int:
    # Emoji and CJK take two columns in a terminal: pad by columns, not characters.
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def side_by_side(original: Figures, replay: Figures) -> Notice:
    """Return the notice that sets a replay beside its original, row by row."""
    left = original.rows()
    width = max(_cells(value) for _, value in left)
    fields = tuple(
        (label, f"{before}{' ' * (width - _cells(before))}  │  {after}")
        for (label, before), (_, after) in zip(left, replay.rows(), strict=True)
    )
    text = (
        f"“{replay.room.topic}”: the original (room {original.room.id}, left) and its replay "
        f"(room {replay.room.id}, right), with the same seed."
    )
    if original.room.is_live:
        text += " The original is still going: its figures so far."
    return Notice(text, title="Replay beside the original", fields=fields)
