"""Fuse a vector ranking with a lexical one by a convex combination of scaled scores."""

from __future__ import annotations

from collections.abc import Container, Mapping

# Weight of the vector side. On bot/memory/data/recall_set.yaml (bench/recall.py --alphas)
# recall@1 is 0.90 for 0.4-0.7, 0.92 at 0.8 and 0.93 at 0.9-1.0, where recall@5 drops from
# 1.00 to 0.98-0.99: 0.8 is the highest weight that keeps every answer in the top 5.
ALPHA = 0.8


def convex_fusion(
    cosine: Mapping[str, float], bm25: Mapping[str, float], alpha: float = ALPHA
) -> dict[str, float]:
    """Return alpha * cosine + (1 - alpha) * BM25 for each candidate in `cosine`.

    Each score is divided by its best value and starts at its theoretical minimum (0), so a
    weak lexical match stays weak, unlike with rank-based fusion (Bruch, Gai & Ingber 2023,
    "An Analysis of Fusion Functions for Hybrid Retrieval").
    """
    top_cos = max((max(c, 0.0) for c in cosine.values()), default=0.0) or 1.0
    top_bm25 = max(bm25.values(), default=0.0) or 1.0
    return {
        i: alpha * max(cosine[i], 0.0) / top_cos + (1 - alpha) * bm25.get(i, 0.0) / top_bm25
        for i in cosine
    }


def fuse(
    cosine: Mapping[str, float],
    bm25: Mapping[str, float],
    found: Container[str],
    alpha: float = ALPHA,
) -> dict[str, float]:
    """Fuse the rankings; without cosines (lexical-only) rank the found passages by BM25."""
    if not cosine:
        return convex_fusion(dict.fromkeys([i for i in bm25 if i in found], 0.0), bm25, 0.0)
    return convex_fusion(cosine, bm25, alpha)
