"""Retrieval quality of the memory: recall@1 and @5, vector-only versus hybrid, and the gate.

Usage: python bench/recall.py [--set path/to/recall_set.yaml] [--alphas 0.5,0.7,0.8,0.9]

The set (default bot/memory/data/recall_set.yaml) is stored in a fresh embedded store. Each
mode is scored on every query; then the prompt gate is calibrated on the calibration half of
the queries (even positions) and reported on the report half (odd positions) and on all of
them, next to the shipped PROMPT_MIN_BEST and the old fixed cosine threshold of 0.3. With
--alphas, hybrid search is rerun with each vector weight. Costs are wall-clock ms per query
(median) on this machine. Prints one line per figure group, the misses, and last a JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.memory.evaluation import (
    RECALL_SET,
    RecallReport,
    RecallSet,
    calibrate_gate,
    load_recall_set,
    score,
    split_queries,
    store_passages,
)
from bot.memory.factory import open_memory
from bot.memory.interface import PROMPT_MIN_BEST
from bot.memory.records import Hit
from bot.memory.store import MemoryStore, SearchMode
from storage.db import Database

OLD_THRESHOLD = 0.3  # the fixed per-hit cosine threshold the gate replaced


async def timed_search(
    store: MemoryStore, recall_set: RecallSet, mode: SearchMode
) -> tuple[list[list[Hit]], float]:
    """Return each query's ungated top 5 and the median ms per query."""
    results, times = [], []
    for q in recall_set.queries:
        started = time.perf_counter()
        results.append(await store.search(q.tenant, q.text, k=5, mode=mode))
        times.append((time.perf_counter() - started) * 1000)
    return results, statistics.median(times)


def figures(report: RecallReport) -> dict[str, float]:
    """Return a report's headline figures, rounded."""
    return {
        "recall_at_1": round(report.recall_at_1, 4),
        "recall_at_5": round(report.recall_at_5, 4),
        "foreign_tenant_hits": report.foreign_hits,
        "unanswerable_empty_rate": round(report.unanswerable_empty_rate, 4),
    }


def gate_figures(
    recall_set: RecallSet, results: list[list[Hit]], keys: dict[str, str]
) -> dict[str, Any]:
    """Calibrate the gate on one half, report it on the other and on the whole set."""
    calib, report = split_queries(recall_set, 0), split_queries(recall_set, 1)
    calibrated = calibrate_gate(calib, results[0::2], keys)
    out: dict[str, Any] = {"calibrated_min_best": calibrated, "shipped_min_best": PROMPT_MIN_BEST}
    for name, part, rows in (("report_half", report, results[1::2]), ("all", recall_set, results)):
        out[f"ungated_{name}"] = figures(score(part, rows, keys, "hybrid"))
        out[f"gated_{name}"] = figures(score(part, rows, keys, "hybrid", PROMPT_MIN_BEST))
        old = score(part, rows, keys, "hybrid", 0.0, OLD_THRESHOLD)
        out[f"old_threshold_{name}"] = figures(old)
    return out


async def main(set_path: Path, alphas: list[float]) -> dict[str, Any]:
    """Load the set into a fresh store and score every mode, the gate and the weights."""
    recall_set = load_recall_set(set_path)
    out: dict[str, Any] = {
        "queries": len(recall_set.queries),
        "answerable_queries": sum(q.expect is not None for q in recall_set.queries),
        "tenants": len({p.tenant for p in recall_set.passages}),
    }
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'memory.db'}")
        await db.migrate()
        store = open_memory(Path(tmp), db)
        keys = await store_passages(store, recall_set.passages)
        await store.search(recall_set.queries[0].tenant, "warm up", k=1)
        for mode in ("vector", "hybrid"):
            results, ms = await timed_search(store, recall_set, mode)
            report = score(recall_set, results, keys, mode)
            out[mode] = {**figures(report), "ms_per_query_median": round(ms, 2)}
            print(f"{mode}: {out[mode]}", file=sys.stderr)
            for miss in report.misses:
                print(f"  miss@1 {miss}", file=sys.stderr)
            if mode == "hybrid":
                out["gate"] = gate_figures(recall_set, results, keys)
        for alpha in alphas:
            store._alpha = alpha  # the weight is read on every search
            results, ms = await timed_search(store, recall_set, "hybrid")
            out[f"hybrid_alpha_{alpha}"] = figures(score(recall_set, results, keys, "hybrid"))
        await store.close()
        await db.close()
    return out


def parse() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=RECALL_SET)
    parser.add_argument("--alphas", default="", help="comma-separated vector weights to try")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse()
    weights = [float(a) for a in args.alphas.split(",") if a]
    print(json.dumps(asyncio.run(main(args.set, weights))))
