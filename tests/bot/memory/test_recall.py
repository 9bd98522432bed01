from __future__ import annotations

from pathlib import Path

from bot.memory.evaluation import evaluate, load_recall_set, store_passages
from bot.memory.interface import PROMPT_MIN_SCORE
from bot.memory.store import MemoryStore

SET = Path(__file__).with_name("recall_set.yaml")


async def test_hybrid_retrieval_meets_recall_targets_without_leaks(store: MemoryStore) -> None:
    recall_set = load_recall_set(SET)
    assert sum(q.expect is not None for q in recall_set.queries) >= 30
    assert len({p.tenant for p in recall_set.passages}) == 2
    keys = await store_passages(store, recall_set.passages)
    hybrid = await evaluate(store, recall_set, keys, "hybrid")
    vector = await evaluate(store, recall_set, keys, "vector")
    assert hybrid.recall_at_5 >= 0.95, hybrid.misses
    assert hybrid.recall_at_1 >= 0.8, hybrid.misses
    assert hybrid.recall_at_1 >= vector.recall_at_1
    assert hybrid.foreign_hits == vector.foreign_hits == 0
    gated = await evaluate(store, recall_set, keys, "hybrid", PROMPT_MIN_SCORE)
    assert gated.recall_at_5 >= 0.95, gated.misses  # the prompt threshold keeps the answers
    assert (
        gated.unanswerable_with_hits == 0
    )  # and drops everything for the other tenant's questions
