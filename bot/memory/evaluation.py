"""Measure retrieval quality: recall@k of a query → passage set across tenants."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.memory.gate import gate
from bot.memory.interface import Memory
from bot.memory.lexical import query_terms
from bot.memory.records import Hit, Kind
from bot.memory.store import SearchMode

RECALL_SET = Path(__file__).parent / "data" / "recall_set.yaml"


@dataclass(frozen=True)
class SetPassage:
    """A passage of the set: stored as a document, a turn or a position."""

    tenant: str
    key: str
    text: str
    kind: Kind = Kind.DOCUMENT
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """A question asked in one tenant and the key of the passage that answers it (or None)."""

    tenant: str
    text: str
    expect: str | None


@dataclass(frozen=True)
class RecallSet:
    """Passages to store and the queries to ask of them."""

    passages: tuple[SetPassage, ...]
    queries: tuple[Query, ...]


@dataclass(frozen=True)
class RecallReport:
    """recall@1 and recall@5 over the answerable queries, and what leaked or was missed."""

    mode: str
    recall_at_1: float
    recall_at_5: float
    foreign_hits: int  # hits from another tenant: must be 0
    misses: tuple[str, ...]
    answer_score_median: float  # cosine of the right passage, when found
    answer_score_min: float
    unanswerable_top_score_max: float  # best cosine seen for questions the tenant cannot answer
    unanswerable_with_hits: int = 0  # such questions that still got passages back
    unanswerable: int = 0  # how many questions the tenant cannot answer were asked

    @property
    def unanswerable_empty_rate(self) -> float:
        """Return the share of unanswerable questions that got no passage back."""
        return 1.0 - self.unanswerable_with_hits / max(self.unanswerable, 1)


def load_recall_set(path: Path) -> RecallSet:
    """Read a recall set from YAML."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    passages = tuple(_passage(t, p) for t, items in raw["tenants"].items() for p in items)
    queries = tuple(Query(q["tenant"], q["q"], q.get("expect")) for q in raw["queries"])
    return RecallSet(passages, queries)


async def store_passages(memory: Memory, passages: Sequence[SetPassage]) -> dict[str, str]:
    """Store every passage in its tenant; return record id → passage key for non-documents."""
    keys = {}
    for p in passages:
        if p.kind is Kind.DOCUMENT:
            await memory.ingest(p.tenant, p.key, p.text, "text")
            continue
        record_id = await _remember(memory, p)
        keys[record_id] = p.key
    return keys


async def evaluate(
    memory: Memory,
    recall_set: RecallSet,
    keys: Mapping[str, str],
    mode: SearchMode,
    min_score: float = 0.0,
    min_best: float = 0.0,
) -> RecallReport:
    """Run every query in `mode` and score recall@1 and recall@5 (after the gate, if set)."""
    results = await search_all(memory, recall_set, mode)
    return score(recall_set, results, keys, mode, min_best, min_score)


async def search_all(memory: Memory, recall_set: RecallSet, mode: SearchMode) -> list[list[Hit]]:
    """Return each query's top 5 hits, ungated."""
    return [await memory.search(q.tenant, q.text, k=5, mode=mode) for q in recall_set.queries]


def split_queries(recall_set: RecallSet, half: int) -> RecallSet:
    """Return the calibration half (0: even positions) or the report half (1: odd ones)."""
    return replace(recall_set, queries=recall_set.queries[half::2])


def calibrate_gate(
    recall_set: RecallSet,
    results: Sequence[list[Hit]],
    keys: Mapping[str, str],
    empty_target: float = 0.95,
) -> float:
    """Return the smallest gate (`min_best`) giving no passage for `empty_target` of the
    set's unanswerable questions; calibrate on one half, report on the other."""
    for step in range(101):
        min_best = step / 100
        if score(recall_set, results, keys, "hybrid", min_best).unanswerable_empty_rate >= (
            empty_target
        ):
            return min_best
    return 1.0


def score(
    recall_set: RecallSet,
    results: Sequence[list[Hit]],
    keys: Mapping[str, str],
    mode: str,
    min_best: float = 0.0,
    min_score: float = 0.0,
) -> RecallReport:
    """Score ungated results (one list per query) after applying the gate."""
    owned = {p.key: p.tenant for p in recall_set.passages}
    ranks, foreign, misses, answer_scores, stray = [], 0, [], [], [0.0]
    unanswered_hits = 0
    for q, ungated in zip(recall_set.queries, results, strict=True):
        hits = gate(ungated, query_terms(q.text), min_best, min_score)
        found = [_key(h, keys) for h in hits]
        foreign += sum(owned.get(f) != q.tenant for f in found)
        if q.expect is None:
            stray += [h.score for h in hits[:1]]
            unanswered_hits += bool(hits)
            continue
        rank = found.index(q.expect) + 1 if q.expect in found else 0
        ranks.append(rank)
        answer_scores += [hits[rank - 1].score] if rank else []
        misses += [] if rank == 1 else [f"{q.text!r} → {found[:3]} (wanted {q.expect})"]
    report = _report(mode, ranks, foreign, misses, answer_scores, stray)
    unanswerable = sum(q.expect is None for q in recall_set.queries)
    return replace(report, unanswerable_with_hits=unanswered_hits, unanswerable=unanswerable)


def _report(
    mode: str,
    ranks: list[int],
    foreign: int,
    misses: list[str],
    answer_scores: list[float],
    stray: list[float],
) -> RecallReport:
    n = max(len(ranks), 1)
    return RecallReport(
        mode=mode,
        recall_at_1=sum(r == 1 for r in ranks) / n,
        recall_at_5=sum(1 <= r <= 5 for r in ranks) / n,
        foreign_hits=foreign,
        misses=tuple(misses),
        answer_score_median=statistics.median(answer_scores) if answer_scores else 0.0,
        answer_score_min=min(answer_scores, default=0.0),
        unanswerable_top_score_max=max(stray),
    )


def _passage(tenant: str, item: Mapping[str, Any]) -> SetPassage:
    kind = Kind(item.get("kind", Kind.DOCUMENT.value))
    fields = {k: v for k, v in item.items() if k not in {"key", "text", "kind"}}
    return SetPassage(tenant, item["key"], item["text"], kind, fields)


async def _remember(memory: Memory, p: SetPassage) -> str:
    f = p.fields
    if p.kind is Kind.TURN:
        return await memory.remember_turn(p.tenant, f["room"], f["speaker"], f["seq"], p.text)
    if p.kind is Kind.POSITION:
        return await memory.remember_position(p.tenant, f["persona"], f["topic"], p.text)
    return await memory.remember_summary(p.tenant, f["room"], p.text)


def _key(hit: Hit, keys: Mapping[str, str]) -> str:
    if hit.kind is Kind.DOCUMENT:
        return str(hit.meta["name"])
    return keys.get(hit.id, hit.id)
