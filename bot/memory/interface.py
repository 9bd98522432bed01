"""The memory interface the core and the commands depend on (no Chroma import here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Literal, Protocol

import numpy as np

from bot.memory.records import DocumentInfo, Hit, Kind, MemoryStats, Record

ChunkProgress = Callable[[int, int], Awaitable[None] | None]  # (chunks done, chunks in all)
SearchMode = Literal["hybrid", "vector", "lexical"]

# The least cosine each hit of a prompt search may have: none; the gate below decides.
PROMPT_MIN_SCORE = 0.0
# The prompt gate (bot/memory/gate.py): a prompt search returns passages only when its best
# hit's cosine reaches this. Calibrated on the calibration half of
# bot/memory/data/recall_set.yaml (`python bench/recall.py`, "gate"): the smallest value
# that returns nothing for at least 95% of that half's unanswerable questions.
PROMPT_MIN_BEST = 0.39


class Memory(Protocol):
    """Per-tenant memory: every call names the tenant and sees only that tenant's data."""

    async def remember_turn(
        self, tenant: str, room_id: str, speaker: str, seq: int, text: str
    ) -> str: ...

    async def remember_turns(
        self, tenant: str, room_id: str, turns: Sequence[tuple[str, int, str]]
    ) -> list[str]: ...

    async def remember_position(
        self, tenant: str, persona_id: str, topic: str, text: str
    ) -> str: ...

    async def remember_summary(
        self, tenant: str, room_id: str, text: str, through_seq: int | None = None
    ) -> str: ...

    async def ingest(
        self,
        tenant: str,
        name: str,
        data: str | bytes,
        kind: str | None = None,
        *,
        source: str | None = None,
        progress: ChunkProgress | None = None,
    ) -> DocumentInfo: ...

    async def search(
        self,
        tenant: str,
        query: str,
        k: int = 5,
        *,
        kinds: Iterable[Kind | str] | None = None,
        persona_id: str | None = None,
        room_id: str | None = None,
        min_score: float = 0.0,
        mode: SearchMode = "hybrid",
        vector: np.ndarray | None = None,
        min_best: float = 0.0,
    ) -> list[Hit]: ...

    async def embed(self, texts: Sequence[str], *, background: bool = False) -> np.ndarray: ...

    async def store_embedded(
        self, tenant: str, records: Sequence[Record], vectors: np.ndarray
    ) -> None: ...

    async def documents(self, tenant: str) -> list[DocumentInfo]: ...

    async def stats(self, tenant: str) -> MemoryStats: ...

    async def forget_document(self, tenant: str, doc_id: str) -> int: ...

    async def forget_room(self, tenant: str, room_id: str) -> int: ...

    async def forget_tenant(self, tenant: str) -> int: ...

    async def close(self) -> None: ...
