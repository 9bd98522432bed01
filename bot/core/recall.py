"""Memory as turns use it: cited passages for a prompt, and turns and summaries to keep."""

from __future__ import annotations

from typing import Protocol

from bot.base.rooms import Mode, Room, SpeakerKind, Turn
from bot.base.text import clip
from bot.core.prompts import Passage
from bot.memory.interface import PROMPT_MIN_SCORE, Memory

MAX_PASSAGE_CHARS = 700


class Recall(Protocol):
    """What the core needs from memory."""

    async def passages(self, tenant_id: str, query: str, persona_id: str) -> list[Passage]:
        """Return passages worth citing in a persona's next turn."""
        ...

    async def remember(self, room: Room, turn: Turn) -> None:
        """Keep a turn for later recall."""
        ...

    async def remember_summary(self, room: Room, text: str, through_seq: int) -> None:
        """Keep the summary of a room's older turns."""
        ...


class MemoryRecall:
    """Adapt a Memory to the core's Recall interface."""

    def __init__(self, memory: Memory, k: int = 3, min_score: float = PROMPT_MIN_SCORE) -> None:
        self.memory = memory
        self.k = k
        self.min_score = min_score

    async def passages(self, tenant_id: str, query: str, persona_id: str) -> list[Passage]:
        """Return up to k relevant passages, numbered for citation as [n]."""
        hits = await self.memory.search(
            tenant_id, query, k=2 * self.k, persona_id=persona_id, min_score=self.min_score
        )
        fresh = [h for h in hits if h.text.strip() not in query][: self.k]  # not already said
        return [
            Passage(n, clip(h.text, MAX_PASSAGE_CHARS), h.source)
            for n, h in enumerate(fresh, start=1)
        ]

    async def remember(self, room: Room, turn: Turn) -> None:
        """Keep a turn; in a debate a persona's turn is also kept as its position on the motion."""
        if turn.kind is SpeakerKind.SYSTEM or not turn.content.strip():
            return
        tenant = room.tenant_id
        await self.memory.remember_turn(
            tenant, str(room.key), turn.speaker_name, turn.seq, turn.content
        )
        if turn.by_persona and room.mode is Mode.DEBATE:
            await self.memory.remember_position(tenant, turn.speaker_id, room.topic, turn.content)

    async def remember_summary(self, room: Room, text: str, through_seq: int) -> None:
        """Keep the summary of a room's older turns."""
        if text.strip():
            await self.memory.remember_summary(room.tenant_id, str(room.key), text, through_seq)
