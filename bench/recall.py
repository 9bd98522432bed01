"""Retrieval quality of the memory: recall@1 and recall@5, vector-only versus hybrid.

Usage: python bench/recall.py [path/to/recall_set.yaml]
Prints one line per mode, the misses, and last a JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.memory.evaluation import evaluate, load_recall_set, store_passages
from bot.memory.factory import open_memory
from bot.memory.interface import PROMPT_MIN_SCORE

DEFAULT_SET = Path(__file__).resolve().parents[1] / "tests/bot/memory/recall_set.yaml"


async def main(set_path: Path) -> dict[str, float | int]:
    """Load the set into a fresh store and score every mode."""
    recall_set = load_recall_set(set_path)
    with tempfile.TemporaryDirectory() as tmp:
        memory = open_memory(Path(tmp))
        keys = await store_passages(memory, recall_set.passages)
        reports = {m: await evaluate(memory, recall_set, keys, m) for m in ("vector", "hybrid")}
        gated = await evaluate(memory, recall_set, keys, "hybrid", PROMPT_MIN_SCORE)
        await memory.close()
    for report in reports.values():
        print(f"{report.mode}: recall@1={report.recall_at_1:.3f} recall@5={report.recall_at_5:.3f}")
        for miss in report.misses:
            print(f"  miss@1 {miss}")
    hybrid, vector = reports["hybrid"], reports["vector"]
    answerable = sum(q.expect is not None for q in recall_set.queries)
    return {
        "queries": len(recall_set.queries),
        "answerable_queries": answerable,
        "recall_at_1": round(hybrid.recall_at_1, 4),
        "recall_at_5": round(hybrid.recall_at_5, 4),
        "vector_recall_at_1": round(vector.recall_at_1, 4),
        "vector_recall_at_5": round(vector.recall_at_5, 4),
        "foreign_tenant_hits": hybrid.foreign_hits + vector.foreign_hits,
        "answer_cosine_median": round(hybrid.answer_score_median, 3),
        "answer_cosine_min": round(hybrid.answer_score_min, 3),
        "unanswerable_top_cosine_max": round(hybrid.unanswerable_top_score_max, 3),
        "prompt_min_score": PROMPT_MIN_SCORE,
        "prompt_recall_at_5": round(gated.recall_at_5, 4),
        "prompt_unanswerable_with_hits": gated.unanswerable_with_hits,
    }


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    print(json.dumps(asyncio.run(main(path))))
