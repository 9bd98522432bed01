"""Memory as turns use it: cited passages for a prompt, and what rooms say kept for later.

The query for a turn's passages costs little: its vector is the sum of the room topic's
vector (embedded once per room) and those the memory writer already computed for the last
turns, and it searches the vector index only. Every turn of every room runs one, and the
keyword half would cost more than everything else in the turn (its matches grow with the
tenant's history, which all shares the room's words); `memory search` stays hybrid. Passages
the prompt already holds — turns of this room inside the prompt window, and the room's
current summary — are never offered, nor anything of a fork's or replay's parent room.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from bot.base.rooms import Room, Turn
from bot.base.text import clip
from bot.core.memory_writer import MemoryWriter, of_summary, of_turn
from bot.core.prompts import Passage
from bot.memory.interface import PROMPT_MIN_BEST, PROMPT_MIN_SCORE, Memory
from bot.memory.records import Hit, Kind

MAX_PASSAGE_CHARS = 700
QUERY_TURNS = 2  # the last turns that, with the topic, make a recall query
CACHED_TOPICS = 4096


class Recall(Protocol):
    """What the core needs from memory."""

    async def passages(self, room: Room, recent: Sequence[Turn], persona_id: str) -> list[Passage]:
        """Return passages worth citing in a persona's next turn."""
        ...

    def remember(self, room: Room, turn: Turn) -> None:
        """Keep a turn for later recall (queued: never waits for the embedding)."""
        ...

    def remember_summary(self, room: Room) -> None:
        """Keep the room's current summary of its older turns."""
        ...


class MemoryRecall:
    """The core's Recall on a Memory, with a batching writer behind it."""

    def __init__(
        self,
        memory: Memory,
        writer: MemoryWriter,
        k: int = 3,
        min_score: float = PROMPT_MIN_SCORE,
        min_best: float = PROMPT_MIN_BEST,
    ) -> None:
        self.memory = memory
        self.writer = writer
        self.k = k
        self.min_score = min_score
        self.min_best = min_best
        self._topics: OrderedDict[int, np.ndarray] = OrderedDict()

    async def passages(self, room: Room, recent: Sequence[Turn], persona_id: str) -> list[Passage]:
        """Return up to k relevant passages not already in the prompt, numbered as [n]."""
        last = list(recent[-QUERY_TURNS:])
        query = " ".join([room.topic, *(turn.content for turn in last)])
        vector = await self._query_vector(room, last)
        hits = await self.memory.search(
            room.tenant_id,
            query,
            k=2 * self.k,
            persona_id=persona_id,
            min_score=self.min_score,
            min_best=self.min_best,
            vector=vector,
            mode="vector",
        )
        window_from = recent[0].seq if recent else room.next_seq
        fresh = [h for h in hits if not _in_prompt(h, room, window_from, query)][: self.k]
        return [
            Passage(n, clip(h.text, MAX_PASSAGE_CHARS), h.source)
            for n, h in enumerate(fresh, start=1)
        ]

    def remember(self, room: Room, turn: Turn) -> None:
        """Queue a turn; in a debate a persona's turn is also kept as its position."""
        self.writer.submit(of_turn(room, turn))

    def remember_summary(self, room: Room) -> None:
        """Queue the room's current summary."""
        self.writer.submit(of_summary(room))

    async def _query_vector(self, room: Room, last: Sequence[Turn]) -> np.ndarray:
        parts = [await self._topic(room), *self.writer.vectors(room.id, [t.seq for t in last])]
        total = np.sum(parts, axis=0)
        return total / max(float(np.linalg.norm(total)), 1e-12)

    async def _topic(self, room: Room) -> np.ndarray:
        vector = self._topics.get(room.id)
        if vector is None:
            vector = (await self.memory.embed([room.topic]))[0]
            self._topics[room.id] = vector
            while len(self._topics) > CACHED_TOPICS:
                self._topics.popitem(last=False)
        self._topics.move_to_end(room.id)
        return vector


def _in_prompt(hit: Hit, room: Room, window_from: int, query: str) -> bool:
    """Tell whether the prompt already holds a passage (or the query quotes it).

    A fork or replay never recalls its parent room: a fork holds the parent's turns up to
    the fork point, and what the parent said after it is the other branch; a replay that
    quoted its original would not be a fair comparison.
    """
    if room.lineage is not None and hit.meta.get("room_id") == room.lineage.parent_id:
        return True
    same_room = hit.meta.get("room_id") == room.id
    if hit.kind is Kind.TURN and same_room and int(hit.meta.get("seq", 0)) >= window_from:
        return True
    if hit.kind is Kind.SUMMARY and same_room:
        return int(hit.meta.get("through_seq", -1)) == room.summary_upto
    return hit.text.strip() in query
