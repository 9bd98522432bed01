"""Memory as the orchestrator uses it: cited passages for a prompt, and turns to keep."""

from __future__ import annotations

from bot.memory.interface import Memory
from bot.memory.store import PROMPT_MIN_SCORE
from bot.prompts import Passage
from bot.rooms import Mode, Room, SpeakerKind, Turn

MAX_PASSAGE_CHARS = 700


class MemoryRecall:
    """Adapt a Memory to the orchestrator's Recall interface."""

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
        return [Passage(n, _clip(h.text), h.source) for n, h in enumerate(fresh, start=1)]

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


def _clip(text: str) -> str:
    if len(text) <= MAX_PASSAGE_CHARS:
        return text
    return text[:MAX_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
